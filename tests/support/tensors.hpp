// Tensor builders, gradient helpers and gradcheck loops shared by the op tests (tests/autograd/ops).
#pragma once

#include <autograd/engine.hpp>
#include <autograd/random.hpp>
#include <autograd/tensor.hpp>
#include <autograd/testing.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

// Both derivative checks (gradcheck, gradgradcheck) of `fn` at `inputs`, reported at the calling line.
#define CHECK_DERIVATIVES(inputs, fn)                           \
  do {                                                          \
    CHECK_THAT((inputs), xg::testing::PassesGradcheck(fn));     \
    CHECK_THAT((inputs), xg::testing::PassesGradgradcheck(fn)); \
  } while (false)

namespace xg::test {

// The names every op test uses, brought in by `using namespace xg::test`.
using Catch::Contains;
using xg::Shape;
using xg::Tensor;
using xg::testing::PassesGradcheck;
using xg::testing::PassesGradgradcheck;

// A tensor's values as to_vector() gives them, and the expected values they are compared with.
using Values = std::vector<double>;

// The inputs of a gradcheck function.
using Inputs = std::vector<Tensor>;

// `values` laid out as `shape`, float64 unless told, by default a leaf that requires grad.
inline Tensor values_of(const Values& values, const Shape& shape, xg::Dtype dtype = xg::float64,
                        bool requires_grad = true) {
  return xg::from_vector(values, shape, {.dtype = dtype, .requires_grad = requires_grad});
}

// 0, 1, 2, ... laid out as `shape` (float64), a constant unless told.
inline Tensor counting(const Shape& shape, bool requires_grad = false) {
  Values values(static_cast<size_t>(xg::numel(shape)));
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i);
  return xg::from_vector(values, shape, {.dtype = xg::float64, .requires_grad = requires_grad});
}

// `values` as a 1-d tensor, float64 unless told, by default a leaf that requires grad.
inline Tensor vec(const Values& values, xg::Dtype dtype = xg::float64, bool requires_grad = true) {
  return values_of(values, {static_cast<int64_t>(values.size())}, dtype, requires_grad);
}

// How random_input draws its values (all defaults: plain N(0, 1)).
struct RandomInputOptions {
  Values kinks = {};    // points to stay away from (where the op is not differentiable)
  double margin = 0.1;  // the least distance kept from each kink
  double scale = 1.0;   // multiplies the N(0, 1) draws (before the kinks are avoided)
};

// A seeded N(0, 1) float64 leaf that requires grad, scaled, and kept `margin` away from each kink.
inline Tensor random_input(const Shape& shape, const RandomInputOptions& options = {}) {
  Values v = xg::randn(shape, xg::float64).to_vector();
  for (double& x : v) {
    x *= options.scale;
    for (double k : options.kinks) {
      if (std::abs(x - k) < options.margin) x = x < k ? k - options.margin : k + options.margin;
    }
  }
  return values_of(v, shape);
}

// The gradient of <y, weights> (of sum(y) when weights are omitted) with respect to x, as a tensor.
inline Tensor gradient_tensor(const Tensor& y, const Tensor& x, Tensor weights = {}) {
  if (!weights.defined()) weights = xg::ones_like(y);
  return xg::grad({y}, {x}, {weights})[0];
}

// gradient_tensor's values, for comparing with expected Values.
inline Values gradient(const Tensor& y, const Tensor& x, const Tensor& weights = {}) {
  return gradient_tensor(y, x, weights).to_vector();
}

// Whether no value is inf or NaN.
inline bool all_finite(const Values& values) {
  for (double v : values) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

// A one-input op as a gradcheck function of its first input.
inline xg::TensorFunction unary_fn(std::function<Tensor(const Tensor&)> fn) {
  return [fn = std::move(fn)](const Inputs& in) { return fn(in[0]); };
}

// Which derivatives check_each_case compares with central differences.
enum class Order { first, second };

// Per case {name, fn, ...}, in a section of that name: seed, make_input(case), check fn's derivatives.
template <class Case, class MakeInput>
void check_each_case(const std::vector<Case>& cases, uint64_t seed, Order order, MakeInput make_input) {
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      xg::manual_seed(seed);
      const Inputs in{make_input(c)};
      if (order == Order::first) {
        CHECK_THAT(in, PassesGradcheck(unary_fn(c.fn)));
      } else {
        CHECK_THAT(in, PassesGradgradcheck(unary_fn(c.fn)));
      }
    }
  }
}

}  // namespace xg::test
