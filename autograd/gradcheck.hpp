// Gradient checking: analytic gradients (backward) against central differences, as
// torch.autograd.gradcheck, returning a result that says which element differs and by how much.
#pragma once

#include <autograd/tensor.hpp>

#include <functional>
#include <string>
#include <vector>

namespace xg {

struct GradcheckOptions {
  double eps = 1e-6;   // central-difference step
  double atol = 1e-5;  // pass when |analytic - numerical| <= atol + rtol * |numerical|
  double rtol = 1e-3;
  /// float32 inputs are refused (central differences in float32 are off by ~1e-2; torch warns
  /// "will likely fail"). With this set they are checked as float64 copies: `fn` must then work
  /// for float64 inputs.
  bool allow_float32 = false;
  /// Also check that the backward is reentrant (two runs give identical Jacobians) and that a
  /// zero grad_output gives zero input gradients.
  bool check_contract = true;
};

struct GradcheckResult {
  bool passed = true;
  /// Empty when passed; else what failed: "Jacobian mismatch", "backward is not reentrant",
  /// "non-zero gradient for a zero grad_output".
  std::string failure;
  // The worst Jacobian entry (largest |difference| / tolerance), or the first offending one
  // for the contract checks:
  int64_t input = -1;      // which input (index into the inputs vector)
  Shape input_shape;
  Shape element;           // multi-index of the input element
  Shape output_element;    // multi-index of the output element
  double analytic = 0.0;
  double numerical = 0.0;
  double difference = 0.0;  // |analytic - numerical|
  double tolerance = 0.0;   // atol + rtol * |numerical|
  int64_t entries_checked = 0;
  int64_t entries_failed = 0;
  double max_difference = 0.0;  // over all entries
  GradcheckOptions options;

  /// A readable account: what failed, where, the two values, the tolerance that applied.
  std::string report() const;
};

using TensorFunction = std::function<Tensor(const std::vector<Tensor>&)>;

/// Checks d fn(inputs) / d input for every input that requires grad. Inputs must be float64
/// (see allow_float32); they are not modified. Throws ValueError when no input requires grad.
GradcheckResult gradcheck(const TensorFunction& fn, const std::vector<Tensor>& inputs, GradcheckOptions options = {});

/// Checks second derivatives: gradcheck of (inputs, v) -> grad(fn(inputs), inputs, v,
/// create_graph = true) for a random v, as torch.autograd.gradgradcheck.
GradcheckResult gradgradcheck(const TensorFunction& fn, const std::vector<Tensor>& inputs,
                              GradcheckOptions options = {});

}  // namespace xg
