// Deliberately broken ops for the tests of gradcheck, its report, fast mode, check_op and blame:
// custom nodes whose backward is wrong in one known way.
#pragma once

#include <autograd/grad_mode.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/linalg.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/tensor.hpp>

#include <functional>
#include <utility>
#include <vector>

namespace xg::test {

// A custom op with a deliberate bug: d(x^2)/dx computed as x instead of 2x.
struct HalfSquareBackward final : Node {
  const char* name() const override { return "bad_square"; }
  Grads backward(const Tensor& g) override { return {g * input(0)}; }
};
inline Tensor bad_square(const Tensor& x) {
  Tensor out;
  {
    NoGradGuard no_grad;
    out = x * x;
  }
  return Tensor::record<HalfSquareBackward>(out, {x});
}

// A backward that is not reentrant: it returns a different answer each run.
struct CountingBackward final : Node {
  int calls = 0;
  const char* name() const override { return "counting"; }
  Grads backward(const Tensor& g) override { return {g * static_cast<double>(1 + (calls++ > 2 ? 1 : 0))}; }
};

// A backward that ignores grad_output.
struct ConstantBackward final : Node {
  const char* name() const override { return "constant"; }
  Grads backward(const Tensor& g) override { return {ones_like(g)}; }
};

// Records `out` (computed without recording) with the node NodeT over `inputs`.
template <class NodeT, class... Args>
Tensor record_broken(const std::function<Tensor()>& forward, const std::vector<Tensor>& inputs, Args&&... args) {
  Tensor out;
  {
    NoGradGuard no_grad;
    out = forward();
  }
  return Tensor::record<NodeT>(out, inputs, std::forward<Args>(args)...);
}

// d(x^2)/dx with the sign flipped
struct NegatedSquareBackward final : Node {
  const char* name() const override { return "negated_square"; }
  Grads backward(const Tensor& g) override { return {g * -2.0 * input(0)}; }
};

// y = A x with a backward that multiplies by A instead of A^T
struct TransposedMatvecBackward final : Node {
  explicit TransposedMatvecBackward(Tensor a) : a_(std::move(a)) {}
  Tensor a_;
  const char* name() const override { return "bad_matvec"; }
  Grads backward(const Tensor& g) override { return {matmul(a_, g)}; }
};

// a [3, 2] + b [2] whose backward averages over the broadcast axis instead of summing
struct MeanInsteadOfSumBackward final : Node {
  const char* name() const override { return "bad_add_mean"; }
  Grads backward(const Tensor& g) override { return {g, mean(g, 0)}; }
};

// a [3, 2] + b [2] whose backward passes only the first row of grad_output to b
struct FirstRowOnlyBackward final : Node {
  const char* name() const override { return "bad_add_row"; }
  Grads backward(const Tensor& g) override {
    const Tensor first_row = tensor({{1.0, 1.0}, {0.0, 0.0}, {0.0, 0.0}}, {.dtype = float64});
    return {g, sum(g * first_row, 0)};
  }
};

// a backward that returns zeros (as if it assigned into a buffer that was then dropped)
struct ZeroBackward final : Node {
  const char* name() const override { return "zero_grad_op"; }
  Grads backward(const Tensor& g) override { return {zeros_like(g)}; }
};

// relu whose subgradient at 0 is 3 (outside [0, 1]); right everywhere else
struct BadSubgradientReluBackward final : Node {
  const char* name() const override { return "bad_relu"; }
  Grads backward(const Tensor& g) override {
    std::vector<double> slope = input(0).to_vector();
    for (double& v : slope) v = v > 0 ? 1.0 : (v == 0 ? 3.0 : 0.0);
    return {g * from_vector(slope, input(0).shape(), {.dtype = float64})};
  }
};

// abs with the subgradient 1 at 0 (a valid one: it lies in [-1, 1])
struct AbsRightSlopeBackward final : Node {
  const char* name() const override { return "abs_right"; }
  Grads backward(const Tensor& g) override {
    std::vector<double> slope = input(0).to_vector();
    for (double& v : slope) v = v >= 0 ? 1.0 : -1.0;
    return {g * from_vector(slope, input(0).shape(), {.dtype = float64})};
  }
};

}  // namespace xg::test
