// nn::Linear: shapes, the forward formula, torch's initialisation, gradients.
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/linalg.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/random.hpp>
#include <autograd/testing.hpp>
#include <nn/linear.hpp>

#include <catch2/catch.hpp>
#include <cmath>

using namespace xg;
using Catch::Contains;

TEST_CASE("Linear computes x W^T + b for 1-D, 2-D and 3-D inputs") {
  nn::Linear layer(3, 2, true, {.dtype = float64});
  Tensor w = layer.weight, b = layer.bias;
  {
    NoGradGuard no_grad;
    w.copy_(tensor({{1, 2, 3}, {-1, 0, 1}}, {.dtype = float64}));
    b.copy_(tensor({0.5, -0.5}, {.dtype = float64}));
  }
  CHECK(layer.weight.shape() == Shape{2, 3});
  CHECK(layer.bias.shape() == Shape{2});
  CHECK(layer(tensor({1, 1, 1}, {.dtype = float64})).to_vector() == std::vector<double>{6.5, -0.5});
  Tensor batch = tensor({{1, 0, 0}, {0, 0, 2}}, {.dtype = float64});
  CHECK(layer(batch).to_vector() == std::vector<double>{1.5, -1.5, 6.5, 1.5});
  Tensor seq = tensor({{{1, 0, 0}}, {{0, 0, 2}}}, {.dtype = float64});
  CHECK(layer(seq).shape() == Shape{2, 1, 2});
  CHECK(layer(seq).to_vector() == std::vector<double>{1.5, -1.5, 6.5, 1.5});
}

TEST_CASE("Linear without bias has only a weight") {
  nn::Linear layer(4, 3, false);
  CHECK_FALSE(layer.bias.defined());
  CHECK(layer.parameters().size() == 1);
  CHECK(layer.parameter_count() == 12);
}

TEST_CASE("Linear's default init is U(-1/sqrt(in), 1/sqrt(in)) with the right spread") {
  manual_seed(0);
  const int64_t in = 400;
  nn::Linear layer(in, 300);
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  const auto w = layer.weight.to_vector();
  double sum = 0, sq = 0, lo = 1, hi = -1;
  for (double v : w) {
    sum += v;
    sq += v * v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  const double mean = sum / w.size(), var = sq / w.size() - mean * mean;
  CHECK(lo >= -bound);
  CHECK(hi <= bound);
  CHECK(lo < -0.99 * bound);  // the whole interval is used
  CHECK(hi > 0.99 * bound);
  CHECK(mean == Approx(0.0).margin(0.01 * bound));
  CHECK(var == Approx(bound * bound / 3.0).epsilon(0.02));  // variance of U(-a, a) is a^2 / 3
  for (double v : layer.bias.to_vector()) CHECK(std::abs(v) <= bound);
}

TEST_CASE("the same seed gives the same initial weights") {
  manual_seed(42);
  nn::Linear a(2, 1);
  manual_seed(42);
  nn::Linear b(2, 1);
  CHECK(a.weight.to_vector() == b.weight.to_vector());
  CHECK(a.bias.to_vector() == b.bias.to_vector());
  nn::Linear c(2, 1);
  CHECK(c.weight.to_vector() != a.weight.to_vector());
}

TEST_CASE("Linear's gradients match central differences") {
  manual_seed(3);
  nn::Linear layer(3, 2, true, {.dtype = float64});
  Tensor x = randn({4, 3}, float64).requires_grad_();
  CHECK_THAT((std::vector<Tensor>{x, layer.weight, layer.bias}),
             testing::PassesGradcheck([](const std::vector<Tensor>& in) {
               return matmul(in[0], in[1].t()) + in[2];  // the formula Linear computes with gemm
             }));
  CHECK_THAT((std::vector<Tensor>{x}),
             testing::PassesGradcheck([&](const std::vector<Tensor>& in) { return layer(in[0]); }));
  layer(x).sum().backward();
  CHECK(layer.bias.grad().to_vector() == std::vector<double>{4.0, 4.0});
}

TEST_CASE("Linear names the shapes when the input does not fit") {
  nn::Linear layer(3, 2);
  CHECK_THROWS_WITH(layer(ones({4, 5})), Contains("Linear") && Contains("[4, 5]") && Contains("in_features=3"));
  CHECK_THROWS_AS(nn::Linear(0, 2), ValueError);
}
