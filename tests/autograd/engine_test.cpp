#include <autograd/broadcast.hpp>
#include <autograd/engine.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/testing.hpp>
#include <catch2/catch.hpp>
using namespace xg;
TEST_CASE("sanity") {
  Tensor x = tensor({0.5, -1.0, 2.0}, {.dtype = float64, .requires_grad = true});
  Tensor y = (tanh(x) * x).sum();
  y.backward();
  INFO(to_string(x.grad()));
  auto g = x.grad().to_vector();
  CHECK(g[0] == Approx(std::tanh(0.5) + 0.5 * (1 - std::tanh(0.5) * std::tanh(0.5))));
  CHECK_THAT((std::vector<Tensor>{x}), testing::PassesGradcheck([](const std::vector<Tensor>& in) { return tanh(in[0]) * in[0]; }));
  CHECK_THAT((std::vector<Tensor>{x}), testing::PassesGradgradcheck([](const std::vector<Tensor>& in) { return tanh(in[0]) * in[0]; }));
  auto bad = gradcheck([](const std::vector<Tensor>& in) { return tanh(in[0]) * in[0]; }, {x});
  INFO(bad.report());
  CHECK(bad.passed);
}
TEST_CASE("sanity axis") {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}}, {.dtype = float64, .requires_grad = true});
  CHECK(sum(x, 0).to_vector() == std::vector<double>{5, 7, 9});
  CHECK(sum(x, 1, true).to_vector() == std::vector<double>{6, 15});
  CHECK(max(x, 1).to_vector() == std::vector<double>{3, 6});
  CHECK(max(x).item() == 6);
  CHECK(sum_to(x, {1, 3}).to_vector() == std::vector<double>{5, 7, 9});
  CHECK(sum(x).item() == 21);
}
