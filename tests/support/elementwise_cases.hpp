// The input domains and the unary-op table type shared by the element-wise op tests
// (tests/autograd/ops/arithmetic_test.cpp and elementwise_test.cpp).
#pragma once

#include <autograd/ops/arithmetic.hpp>
#include <autograd/random.hpp>
#include <autograd/tensor.hpp>

#include <support/tensors.hpp>

#include <functional>
#include <vector>

namespace xg::test {

// Seeded values in [0.5, 2.5) that require grad: the domain of log, sqrt and a real power.
inline Tensor positive_input(const Shape& shape) {
  Tensor x = xg::rand(shape, xg::float64) * 2.0 + 0.5;
  x.requires_grad_();
  return x;
}

enum class Domain { real, positive, nonzero };

// A seeded input that requires grad, drawn from `domain` (kept `kinks` away from, when real).
inline Tensor input_in(Domain domain, const Shape& shape, const Values& kinks = {}) {
  switch (domain) {
    case Domain::positive: return positive_input(shape);
    case Domain::nonzero: return random_input(shape, {.kinks = {0.0}, .margin = 0.5});
    case Domain::real: break;
  }
  return random_input(shape, {.kinks = kinks});
}

struct UnaryCase {
  const char* name;
  std::function<Tensor(const Tensor&)> fn;
  Domain domain = Domain::real;
  Values kinks = {};  // points to stay away from (piecewise ops)
};

inline Tensor input_for(const UnaryCase& c, const Shape& shape) { return input_in(c.domain, shape, c.kinks); }

// Each case's backward (seed 11, shape [3, 4]) or second derivatives (seed 12, shape [2, 3])
// against central differences, with the inputs of its domain.
inline void check_unary_cases(const std::vector<UnaryCase>& cases, Order order) {
  if (order == Order::first) {
    check_each_case(cases, 11, order, [](const UnaryCase& c) { return input_for(c, {3, 4}); });
  } else {
    check_each_case(cases, 12, order, [](const UnaryCase& c) { return input_for(c, {2, 3}); });
  }
}

}  // namespace xg::test
