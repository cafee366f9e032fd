// NumPy broadcasting: the shape rule, and the pair of ops that expand a tensor to a shape and
// reduce a gradient back to its input's shape (each is the other's backward).
#pragma once

#include <autograd/tensor.hpp>

namespace xg {

/// The broadcast shape of a and b (NumPy rules); ShapeError naming `op` when they do not fit.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op = "broadcast_shapes");

/// x expanded to `shape` (NumPy rules, torch.broadcast_to). Backward: sum_to.
Tensor broadcast_to(const Tensor& x, const Shape& shape);

/// Sums x down to `shape`, which x's shape must broadcast from: leading axes are summed away
/// and axes where `shape` has 1 are summed with keepdim (torch's sum_to_size). Every binary
/// op's backward uses it: broadcasting in forward is a sum in reverse.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace xg
