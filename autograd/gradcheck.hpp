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
  /// Check float32 inputs as float32 (the model's own rounding included) instead of float64
  /// copies. Steps then follow Stan's rule, h = cbrt(float32 machine eps) * max(1, |x|) (~4.9e-3
  /// for |x| <= 1), and each difference divides by the realised step, (x + h) - (x - h) as stored
  /// in float32, not by 2h. Implies allow_float32; eps applies to float64 inputs only.
  bool keep_float32 = false;
  /// Also check that the backward is reentrant (two runs give identical Jacobians) and that a
  /// zero grad_output gives zero input gradients.
  bool check_contract = true;
  /// For large inputs: per input one random unit direction u (input) and v (output), comparing
  /// v^T (J u) by one central difference with (v^T J) u by one backward pass. On a mismatch the
  /// full check runs instead, and the report says so. (No contract checks in fast mode.)
  bool fast = false;
  /// Leaves that `fn` captures (a model's parameters). float32 ones are converted to float64 in
  /// place (Tensor::set_data) for the check and restored exactly afterwards, also when the check
  /// throws, so a float32 model is checked without float32 rounding in the differences. With
  /// keep_float32 they stay float32.
  std::vector<Tensor> parameters;
};

/// A point where the one-sided differences (f(x+eps)-f(x))/eps and (f(x)-f(x-eps))/eps disagree:
/// the function has a kink there, and the analytic value passes when it lies between the slopes.
struct KinkReport {
  Shape element;         // multi-index in the input
  Shape output_element;  // multi-index in the output
  double value = 0.0;    // the input element's value
  double left = 0.0;     // (f(x) - f(x - eps)) / eps
  double right = 0.0;    // (f(x + eps) - f(x)) / eps
  double analytic = 0.0;
  bool between = false;  // analytic lies in [min(left, right), max(left, right)] within tolerance
};

/// The check of one (output, input) pair: its worst entry, its counts and, on failure, the
/// pattern of the mismatch in one sentence.
struct PairReport {
  int64_t input = -1;
  int64_t output = 0;  // which of fn's outputs (0 for a function with one)
  Shape input_shape;
  Shape output_shape;
  Dtype dtype = Dtype::float64;  // the input's dtype as given (the check itself runs in float64)
  Shape element;                 // worst entry (largest |difference| / tolerance)
  Shape output_element;
  double analytic = 0.0;
  double numerical = 0.0;
  double abs_error = 0.0;  // |analytic - numerical|
  double rel_error = 0.0;  // abs_error / |numerical| (inf when numerical is 0 and they differ)
  double tolerance = 0.0;  // atol + rtol * |numerical|
  /// The steps h used for this input's central differences: eps for float64; with keep_float32
  /// the range of Stan's realised steps ((x + h) - (x - h)) / 2. step_note says it in words.
  double step_min = 0.0, step_max = 0.0;
  std::string step_note;
  int64_t entries_checked = 0;
  int64_t entries_failed = 0;
  bool passed = true;
  std::string diagnosis;  // empty when passed
  std::vector<KinkReport> kinks;
  /// The whole Jacobian, row-major [output element][input element], when it has <= 36 entries.
  std::vector<double> analytic_jacobian, numerical_jacobian;
};

struct GradcheckResult {
  bool passed = true;
  /// Empty when passed; else what failed: "Jacobian mismatch", "backward is not reentrant",
  /// "non-zero gradient for a zero grad_output".
  std::string failure;
  // The worst Jacobian entry (largest |difference| / tolerance), or the first offending one
  // for the contract checks:
  int64_t input = -1;  // which input (index into the inputs vector)
  int64_t output = 0;  // which output of fn (-1 for the zero grad_output check, which covers all)
  Shape input_shape;
  Shape element;         // multi-index of the input element
  Shape output_element;  // multi-index of the output element
  double analytic = 0.0;
  double numerical = 0.0;
  double difference = 0.0;  // |analytic - numerical|
  double tolerance = 0.0;   // atol + rtol * |numerical|
  int64_t entries_checked = 0;
  int64_t entries_failed = 0;
  double max_difference = 0.0;  // over all entries (kinks that passed excepted)
  GradcheckOptions options;
  /// One entry per (checked input, output) pair, input by input.
  std::vector<PairReport> pairs;
  /// The mismatch pattern of the first failing pair, in one sentence ("analytic is 0.5 x
  /// numerical everywhere: a missing factor or a path counted twice"); empty when passed.
  std::string diagnosis;
  /// fast mode: whether the directional check failed and the full check ran instead, and what
  /// the directional check found.
  bool fast_fallback = false;
  std::string fast_note;
  /// With keep_float32: the step rule used and the range of realised steps.
  std::string step_note;

  /// A readable account: what failed, where, the two values, the tolerance that applied, a table
  /// of the pairs, the diagnosis, kinks, and small Jacobians whole.
  std::string report() const;
};

using TensorFunction = std::function<Tensor(const std::vector<Tensor>&)>;
/// A function with several outputs (torch's gradcheck of a function returning a tuple).
using TensorsFunction = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

/// Checks d fn(inputs) / d input for every input that requires grad. Inputs must be float64
/// (see allow_float32); they are not modified. Throws ValueError when no input requires grad.
GradcheckResult gradcheck(const TensorFunction& fn, const std::vector<Tensor>& inputs, GradcheckOptions options = {});
/// The same for a function with several outputs: every (output, input) pair is checked and
/// reported on its own.
///   xg::gradcheck([](const auto& in) { return std::vector<Tensor>{xg::sin(in[0]), in[0] * in[1]}; }, {x, y});
GradcheckResult gradcheck(const TensorsFunction& fn, const std::vector<Tensor>& inputs, GradcheckOptions options = {});

/// Checks second derivatives: gradcheck of (inputs, v) -> grad(fn(inputs), inputs, v,
/// create_graph = true) for a random v (one per output), as torch.autograd.gradgradcheck.
GradcheckResult gradgradcheck(const TensorFunction& fn, const std::vector<Tensor>& inputs,
                              GradcheckOptions options = {});
GradcheckResult gradgradcheck(const TensorsFunction& fn, const std::vector<Tensor>& inputs,
                              GradcheckOptions options = {});

/// The self-test sweep of check_op: one case per check, each passed or failed with its report.
struct CheckOpCase {
  std::string name;  // "gradcheck", "gradgradcheck", "zero grad_output", "reentrancy", "broadcast input 0"
  bool passed = true;
  bool skipped = false;  // a broadcast case whose input fn does not broadcast
  std::string report;    // the gradcheck report, or what the contract check found
};

struct CheckOpResult {
  bool passed = true;
  std::vector<CheckOpCase> cases;
  /// One line per case, then the report of each failing case.
  std::string report() const;
};

/// Checks a user's op on random float64 inputs of the given shapes (fixed seed, the global
/// generator is not touched): gradcheck, gradgradcheck, a zero grad_output gives zero
/// gradients, backward twice gives the same gradients, strided inputs (views with gaps) give
/// the values and gradients of contiguous ones, and for each input a version with a leading
/// broadcast axis of size 2 (skipped when fn rejects that shape).
CheckOpResult check_op(const TensorFunction& fn, const std::vector<Shape>& shapes, GradcheckOptions options = {});

/// Per-node blame: which recorded op has the wrong backward?
struct BlameResult {
  bool found = false;               // a node whose local backward disagrees with central differences
  std::string op;                   // its name ("matmul")
  std::string node_type;            // "MatmulBackward"
  std::vector<std::string> inputs;  // its inputs' names (or shapes when unnamed)
  size_t position = 0;              // 1-based, among the graph's ops in the order they were recorded
  size_t graph_ops = 0;             // how many ops the graph has
  /// Where the op was created in the program ("model.cpp:42 in Net::forward", then its callers,
  /// one per line), when the graph was recorded under DetectAnomalyGuard; empty otherwise.
  std::string creation_site;
  GradcheckResult check;  // the gradcheck of that node alone
  int nodes_checked = 0;
  std::vector<std::string>
      not_rerunnable;  // ops without forward() (custom nodes; built-in ones with their reason) or freed by backward
  std::string report() const;
};

/// Re-checks every node of the graph that produced `output`, in the order the ops were recorded,
/// each on its own saved inputs (as float64 copies), and names the first whose backward disagrees
/// with central differences, and where that op was created (recorded under DetectAnomalyGuard).
/// Call it before backward (or after one with retain_graph): a backward
/// without retain_graph frees the saved inputs. Nodes without Node::forward are listed, not checked.
BlameResult blame(const Tensor& output, GradcheckOptions options = {});

}  // namespace xg
