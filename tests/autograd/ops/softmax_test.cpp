// Tests of autograd/ops/softmax.cpp: softmax and log_softmax values along each axis, their
// stability for large inputs, gradcheck and gradgradcheck, and the errors on misuse.
#include <autograd/engine.hpp>
#include <autograd/error.hpp>
#include <autograd/format.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/ops/softmax.hpp>
#include <autograd/random.hpp>
#include <autograd/tensor.hpp>
#include <autograd/testing.hpp>

#include <catch2/catch.hpp>
#include <support/tensors.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

using namespace xg::test;

namespace {

// softmax([1, 2, 3]) and log_softmax([1, 2, 3]), to double precision
const Values kSoftmax123 = {0.09003057317038046, 0.24472847105479767, 0.6652409557748219};
const Values kLogSoftmax123 = {-2.40760596444438, -1.4076059644443801, -0.40760596444438013};

struct SoftmaxCase {
  const char* name;
  Tensor (*fn)(const Tensor&, int64_t);
};

const std::vector<SoftmaxCase> kCases = {
    {"softmax", [](const Tensor& x, int64_t axis) { return xg::softmax(x, axis); }},
    {"log_softmax", [](const Tensor& x, int64_t axis) { return xg::log_softmax(x, axis); }},
};

}  // namespace

// ---- forward values ----

TEST_CASE("softmax of a vector is e^x over the sum of e^x") {
  Tensor x = values_of({1, 2, 3}, {3});
  CHECK_THAT(xg::softmax(x, 0).to_vector(), Catch::Matchers::Approx(kSoftmax123));
  CHECK_THAT(xg::softmax(x, -1).to_vector(), Catch::Matchers::Approx(kSoftmax123));
  CHECK_THAT(x.softmax(0).to_vector(), Catch::Matchers::Approx(kSoftmax123));
  CHECK(xg::softmax(x, 0).shape() == Shape{3});
}

TEST_CASE("log_softmax of a vector is x minus the log of the sum of e^x") {
  Tensor x = values_of({1, 2, 3}, {3});
  CHECK_THAT(xg::log_softmax(x, 0).to_vector(), Catch::Matchers::Approx(kLogSoftmax123));
  CHECK_THAT(x.log_softmax(-1).to_vector(), Catch::Matchers::Approx(kLogSoftmax123));
}

TEST_CASE("softmax is invariant to adding a constant to the inputs") {
  Tensor x = values_of({101, 102, 103}, {3});
  CHECK_THAT(xg::softmax(x, 0).to_vector(), Catch::Matchers::Approx(kSoftmax123));
  CHECK_THAT(xg::log_softmax(x - 201.0, 0).to_vector(), Catch::Matchers::Approx(kLogSoftmax123));
}

TEST_CASE("softmax along each axis of a matrix normalises that axis only") {
  // [[1, 2, 3], [3, 2, 1]]: along axis 1 each row is softmax([1, 2, 3]) or its reverse
  Tensor x = values_of({1, 2, 3, 3, 2, 1}, {2, 3});
  const Values& s = kSoftmax123;
  Values rows = {s[0], s[1], s[2], s[2], s[1], s[0]};
  CHECK_THAT(xg::softmax(x, 1).to_vector(), Catch::Matchers::Approx(rows));
  CHECK_THAT(xg::softmax(x, -1).to_vector(), Catch::Matchers::Approx(rows));
  // along axis 0 the columns are pairs: (1, 3), (2, 2), (3, 1)
  const double small = 1 / (1 + std::exp(2.0)), large = 1 / (1 + std::exp(-2.0));
  Values columns = {small, 0.5, large, large, 0.5, small};
  CHECK_THAT(xg::softmax(x, 0).to_vector(), Catch::Matchers::Approx(columns));
  CHECK_THAT(xg::softmax(x, -2).to_vector(), Catch::Matchers::Approx(columns));
  CHECK(xg::softmax(x, 0).shape() == Shape{2, 3});
}

TEST_CASE("softmax along the middle axis of a 3-d tensor sums to 1 along it") {
  xg::manual_seed(61);
  Tensor x = random_input({2, 3, 4}, {.scale = 3.0});
  Tensor y = xg::softmax(x, 1);
  CHECK(y.shape() == Shape{2, 3, 4});
  CHECK_THAT(xg::sum(y, 1).to_vector(), Catch::Matchers::Approx(Values(8, 1.0)));
  CHECK_THAT(xg::exp(xg::log_softmax(x, 1)).to_vector(), Catch::Matchers::Approx(y.to_vector()));
}

TEST_CASE("log_softmax equals the log of softmax") {
  xg::manual_seed(62);
  Tensor x = random_input({3, 5});
  CHECK_THAT(xg::log_softmax(x, 1).to_vector(), Catch::Matchers::Approx(xg::log(xg::softmax(x, 1)).to_vector()));
  CHECK_THAT(xg::log_softmax(x, 0).to_vector(), Catch::Matchers::Approx(xg::log(xg::softmax(x, 0)).to_vector()));
}

TEST_CASE("softmax and log_softmax of a 0-d tensor are 1 and 0, as torch") {
  Tensor x = xg::scalar_tensor(3.5, {.dtype = xg::float64, .requires_grad = true});
  CHECK(xg::softmax(x, 0).item() == 1.0);
  CHECK(xg::softmax(x, -1).shape() == Shape{});
  CHECK(xg::log_softmax(x, 0).item() == 0.0);
  CHECK(gradient(xg::softmax(x, 0), x) == Values{0});
  CHECK(gradient(xg::log_softmax(x, 0), x) == Values{0});
}

TEST_CASE("softmax and log_softmax of an empty tensor are empty, as torch") {
  for (const SoftmaxCase& c : kCases) {
    DYNAMIC_SECTION(c.name) {
      CHECK(c.fn(xg::zeros({2, 0}, xg::float64), 1).shape() == Shape{2, 0});
      CHECK(c.fn(xg::zeros({0, 3}, xg::float64), 1).shape() == Shape{0, 3});
      CHECK(c.fn(xg::zeros({0}, xg::float64), 0).numel() == 0);
    }
  }
}

// ---- stability ----

TEST_CASE("log_softmax of large inputs is finite, as if the max were subtracted first") {
  for (xg::Dtype dtype : {xg::float64, xg::float32}) {
    DYNAMIC_SECTION(xg::dtype_name(dtype)) {
      Tensor x = values_of({1000, 0, -1000, 1001}, {4}, dtype);
      Tensor y = xg::log_softmax(x, 0);
      CHECK(all_finite(y.to_vector()));
      // log_softmax(x) = x - 1001 - log(1 + e^-1) up to e^-1000 terms
      const double lse = 1001 + std::log1p(std::exp(-1.0));
      const double margin = dtype == xg::float32 ? 1e-3 : 1e-9;  // float32 spacing at 1000 is 6e-5
      CHECK_THAT(y.to_vector(),
                 Catch::Matchers::Approx(Values{1000 - lse, -lse, -1000 - lse, 1001 - lse}).margin(margin));
      Values g = gradient(y, x);
      CHECK(all_finite(g));
      // d sum(log_softmax(x))/dx = 1 - n softmax(x)
      const double p = 1 / (1 + std::exp(1.0)), q = 1 / (1 + std::exp(-1.0));
      CHECK_THAT(g, Catch::Matchers::Approx(Values{1 - 4 * p, 1, 1, 1 - 4 * q}).margin(1e-6));
    }
  }
}

TEST_CASE("softmax of large inputs is finite and exact") {
  for (xg::Dtype dtype : {xg::float64, xg::float32}) {
    DYNAMIC_SECTION(xg::dtype_name(dtype)) {
      Tensor x = values_of({1000, 1000, -1000}, {3}, dtype);
      Tensor y = xg::softmax(x, 0);
      CHECK_THAT(y.to_vector(), Catch::Matchers::Approx(Values{0.5, 0.5, 0}));
      Values g = gradient(y, x, values_of({1, 0, 0}, {3}, dtype, false));
      CHECK(all_finite(g));
      // d y_0/dx = y_0 (delta_0j - y_j) = [0.25, -0.25, 0]
      CHECK_THAT(g, Catch::Matchers::Approx(Values{0.25, -0.25, 0}).margin(1e-7));
    }
  }
}

TEST_CASE("softmax gives 0 to -inf inputs and log_softmax gives them -inf") {
  const double inf = std::numeric_limits<double>::infinity();
  Tensor x = values_of({-inf, 0, 0}, {3}, xg::float64, false);
  CHECK_THAT(xg::softmax(x, 0).to_vector(), Catch::Matchers::Approx(Values{0, 0.5, 0.5}));
  Values y = xg::log_softmax(x, 0).to_vector();
  CHECK(y[0] == -inf);
  CHECK(y[1] == Approx(-M_LN2));
}

// ---- gradients ----

TEST_CASE("softmax and log_softmax have the hand-computed gradients on [1, 2, 3]") {
  Tensor x = values_of({1, 2, 3}, {3});
  const Values& s = kSoftmax123;
  // d sum(log_softmax(x))/dx = 1 - 3 softmax(x)
  CHECK_THAT(gradient(xg::log_softmax(x, 0), x),
             Catch::Matchers::Approx(Values{0.7299082804888586, 0.265814586835607, -0.9957228673244658}));
  // softmax sums to 1, so the gradient of its sum is 0
  CHECK_THAT(gradient(xg::softmax(x, 0), x), Catch::Matchers::Approx(Values{0, 0, 0}).margin(1e-15));
  // d softmax(x)_2/dx_j = s_2 (delta_2j - s_j)
  CHECK_THAT(gradient(xg::softmax(x, 0), x, values_of({0, 0, 1}, {3}, xg::float64, false)),
             Catch::Matchers::Approx(Values{-s[2] * s[0], -s[2] * s[1], s[2] * (1 - s[2])}));
}

TEST_CASE("softmax and log_softmax backward match central differences along every axis",
          "[op:softmax][op:log_softmax]") {
  for (const SoftmaxCase& c : kCases) {
    for (int64_t axis : {0, 1, 2, -1, -2, -3}) {
      DYNAMIC_SECTION(c.name << " along axis " << axis) {
        xg::manual_seed(63);
        Tensor x = random_input({2, 3, 4}, {.scale = 2.0});
        auto fn = [f = c.fn, axis](const std::vector<Tensor>& in) { return f(in[0], axis); };
        CHECK_THAT((std::vector<Tensor>{x}), PassesGradcheck(fn));
      }
    }
  }
}

TEST_CASE("softmax and log_softmax second derivatives match central differences") {
  for (const SoftmaxCase& c : kCases) {
    for (int64_t axis : {0, -1}) {
      DYNAMIC_SECTION(c.name << " along axis " << axis) {
        xg::manual_seed(64);
        Tensor x = random_input({3, 4}, {.scale = 2.0});
        auto fn = [f = c.fn, axis](const std::vector<Tensor>& in) { return f(in[0], axis); };
        CHECK_THAT((std::vector<Tensor>{x}), PassesGradgradcheck(fn));
      }
    }
  }
}

TEST_CASE("softmax and log_softmax backward match central differences on a vector and with large inputs") {
  for (const SoftmaxCase& c : kCases) {
    DYNAMIC_SECTION(c.name) {
      xg::manual_seed(65);
      auto fn = [f = c.fn](const std::vector<Tensor>& in) { return f(in[0], 0); };
      CHECK_THAT((std::vector<Tensor>{random_input({5})}), PassesGradcheck(fn));
      // the max subtracted in forward must not break the gradient: inputs near 500
      Tensor large = xg::randn({4}, xg::float64) + 500.0;
      large.requires_grad_();
      CHECK_THAT((std::vector<Tensor>{large}), PassesGradcheck(fn));
    }
  }
}

TEST_CASE("cross-entropy written with log_softmax passes gradcheck and gradgradcheck") {
  xg::manual_seed(66);
  Tensor logits = random_input({4, 3});
  Tensor target = xg::from_vector(Values{1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0}, {4, 3}, {.dtype = xg::float64});
  auto fn = [target](const std::vector<Tensor>& in) {
    return -xg::mean(xg::sum(xg::log_softmax(in[0], 1) * target, 1));
  };
  CHECK_DERIVATIVES((Inputs{logits}), fn);
}

// ---- errors ----

TEST_CASE("softmax and log_softmax name themselves when the axis is out of range") {
  Tensor x = xg::ones({2, 3}, xg::float64);
  for (const SoftmaxCase& c : kCases) {
    DYNAMIC_SECTION(c.name) {
      CHECK_THROWS_AS(c.fn(x, 2), xg::ShapeError);
      CHECK_THROWS_WITH(c.fn(x, 2), Contains(c.name) && Contains("axis 2") && Contains("dimension 2"));
      CHECK_THROWS_WITH(c.fn(x, -3), Contains(c.name) && Contains("axis -3") && Contains("-2 to 1"));
      CHECK_THROWS_AS(c.fn(xg::scalar_tensor(1, {.dtype = xg::float64}), 1), xg::ShapeError);
    }
  }
}

TEST_CASE("softmax and log_softmax of an int64 tensor throw DtypeError naming the op") {
  Tensor labels = xg::from_vector(std::vector<int64_t>{1, 2}, {2});
  for (const SoftmaxCase& c : kCases) {
    DYNAMIC_SECTION(c.name) {
      CHECK_THROWS_AS(c.fn(labels, 0), xg::DtypeError);
      CHECK_THROWS_WITH(c.fn(labels, 0), Contains(c.name) && Contains("int64"));
    }
  }
}

TEST_CASE("softmax and log_softmax refuse an undefined tensor") {
  for (const SoftmaxCase& c : kCases) {
    DYNAMIC_SECTION(c.name) { CHECK_THROWS_WITH(c.fn(Tensor(), 0), Contains(c.name) && Contains("undefined")); }
  }
}
