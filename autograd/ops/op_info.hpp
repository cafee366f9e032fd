// The op catalogue: one entry per public op, written beside the op in its family file. The graph
// fuzzer and the op sweep draw calls from it, the docs' op table (docs/ops.md) is printed from
// it, and a test checks that every entry has a tagged test case (docs/adding-an-op.md).
#pragma once

#include <autograd/shape.hpp>
#include <autograd/tensor.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace xg {

/// How a test driver draws a valid call of an op from an operand `a` it already has. Each kind
/// is one drawing rule in tests/fuzz/graph_fuzz.cpp; an op of an existing kind needs no other
/// code there.
enum class OpSample {
  none,           // not drawn: OpInfo::not_drawn says why
  unary,          // f(a), a of any shape
  unary_scalar,   // f(a, d), d drawn from [lo, hi] (negated half the time with either_sign)
  unary_integer,  // f(a, i0), i0 drawn from [lo, hi]
  binary,         // f(a, b), b broadcasting with a
  same_shape,     // f(a, b), b of a's shape
  where,          // f(c, a, b): b broadcasting with a, c a 0/1 condition broadcasting with both
  matrix,         // f(a), a of rank 2
  matmul,         // f(a, b), b's leading dimension matching a's last (batched for rank 3)
  gemm,           // f(a, b, flag, i0): rank-2 operands, flag and i0 the transposes
  axis,           // f(a, i0, flag): i0 an axis of a (negative too), flag keepdim
  squeeze,        // f(a, i0): i0 an axis of size 1
  unsqueeze,      // f(a, i0): i0 in [-rank - 1, rank]
  two_axes,       // f(a, i0, i1): two axes of a
  reshape,        // f(a, shape): a shape with a's number of elements (one -1 sometimes)
  concat,         // f(a, b, i0): b of a's shape (or a itself), i0 an axis of a
  stack,          // f(a, b, i0): b of a's shape (or a itself), i0 in [-rank - 1, rank]
  slice,          // f(a, i0, i1, i2, i3): axis, start < end, step 1 or 2
  permutation,    // f(a, shape): shape a permutation of a's axes (some counted from the end)
  select,         // f(a, i0, i1): i0 an axis of a, i1 an index along it (negative too)
  diagonal,       // f(a, i0, i1, i2): rank >= 2, i0 an offset in [-2, 2], i1 != i2 two axes
  unflatten,      // f(a, i0, shape): i0 an axis, shape sizes multiplying to its size (one -1 sometimes)
  index,          // f(a, i0, c): c a 1-D int64 tensor of 1 to 4 positions along axis i0 (repeats)
  broadcast_to,   // f(a, shape): a shape a broadcasts to
  sum_to,         // f(a, shape): a shape that broadcasts to a's
  probabilities,  // f(a, c, i0): c values in [0, 1] of a's shape, i0 a Reduction
  class_labels,   // f(a, c, i0): a of rank 2 [N, C], c N int64 labels in [0, C), i0 a Reduction
};

/// The arguments of one drawn call. Unused fields stay at their defaults.
struct OpCall {
  Tensor a, b;  // the differentiable operands (b undefined for unary ops)
  Tensor c;     // a constant operand: a condition, indices, a target
  double d = 0.0;
  int64_t i0 = 0, i1 = 0, i2 = 0, i3 = 0;
  bool flag = false;
  Shape shape;
};

/// One op of the catalogue.
struct OpInfo {
  const char* name;       // unique; also its test case's tag, [op:name]
  const char* family;     // its source file without .cpp: "autograd/ops/elementwise"; its test file adds _test
  const char* signature;  // the call as a user writes it, for the docs' table
  OpSample sample = OpSample::none;
  Tensor (*call)(const OpCall&) = nullptr;
  /// The call as C++ over the operands' names, for the fuzzer's reproductions: a fmt format
  /// string with the named fields {a} {b} {c} {d} {i0} {i1} {i2} {i3} {flag} {shape}
  /// and {reduction} (i0 as nn::Reduction::...).
  const char* expression = "";
  double lo = 0.0, hi = 0.0;   // the range of d (unary_scalar) or i0 (unary_integer)
  bool either_sign = false;    // d is drawn from [lo, hi] or [-hi, -lo]
  bool positive_a = false;     // a must be > 0: drivers pass a * a + 0.5
  bool positive_b = false;     // b must be > 0, likewise
  double keep_from_zero = 0;   // a jump at 0: no element of a within this of it
  double max_abs_a = 0;        // when > 0: no element of a beyond it (a saturating op)
  const char* not_drawn = "";  // with OpSample::none: why no driver draws it
};

/// The ops of each family file, in the order the file defines them.
std::span<const OpInfo> arithmetic_ops();
std::span<const OpInfo> elementwise_ops();
std::span<const OpInfo> activation_ops();
std::span<const OpInfo> reduce_ops();
std::span<const OpInfo> linalg_ops();
std::span<const OpInfo> shape_ops();
std::span<const OpInfo> view_ops();
std::span<const OpInfo> softmax_ops();
std::span<const OpInfo> broadcast_ops();
std::span<const OpInfo> tensor_ops();
std::span<const OpInfo> compare_ops();
std::span<const OpInfo> pointwise_ops();
std::span<const OpInfo> indexing_ops();  // autograd/indexing.cpp  // autograd/tensor.cpp: clone, to

/// Every op of the engine (autograd/), family by family. nn's functional losses are in
/// xg::nn::loss_ops() (nn/loss.hpp): autograd/ knows nothing of nn/.
std::vector<OpInfo> op_catalogue();

}  // namespace xg
