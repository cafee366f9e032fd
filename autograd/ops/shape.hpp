// Ops that move elements without changing them: reshape, transpose, concat, stack, slicing,
// index_select, and one_hot. reshape/view/flatten/squeeze/unsqueeze/transpose/slice return views
// (autograd/ops/view.hpp has the other view ops).
#pragma once

#include <autograd/tensor.hpp>

#include <vector>

namespace xg {

/// The same elements in `shape`, which may hold one -1 (inferred): a view of x when strides
/// allow (always for a contiguous x), else a copy, as torch's; an unchanged shape returns x.
Tensor reshape(const Tensor& x, const Shape& shape);
/// As reshape, but always a view: ShapeError when x's strides allow none (use reshape then).
Tensor view(const Tensor& x, const Shape& shape);
/// Reshaped to 1-D.
Tensor flatten(const Tensor& x);
/// A new axis of size 1 at `axis` (in [-dim-1, dim]).
Tensor unsqueeze(const Tensor& x, int64_t axis);
/// Removes `axis` if its size is 1 (returns x unchanged otherwise, as torch).
Tensor squeeze(const Tensor& x, int64_t axis);
/// Swaps the last two axes (torch's x.mT; t() for a matrix). ShapeError below 2-D.
Tensor transpose(const Tensor& x);
/// Swaps two axes (x itself when they are the same axis).
Tensor transpose(const Tensor& x, int64_t axis0, int64_t axis1);
/// Joins tensors along an existing axis; all other sizes must match.
Tensor concat(const std::vector<Tensor>& tensors, int64_t axis = 0);
/// Joins tensors of one shape along a new axis.
Tensor stack(const std::vector<Tensor>& tensors, int64_t axis = 0);
/// Elements start, start+step, ... < end along `axis`; start/end may be negative (from the
/// end) and are clamped to the axis as in Python slicing; step >= 1.
Tensor slice(const Tensor& x, int64_t axis, int64_t start, int64_t end, int64_t step = 1);
/// The entries at `index` (a 1-D int64 tensor) along `axis`; repeated indices accumulate
/// their gradients.
Tensor index_select(const Tensor& x, int64_t axis, const Tensor& index);
/// [*] int64 class indices -> [*, num_classes] with a 1 at each index. num_classes = -1 takes
/// max(index) + 1. The result is int64 as in torch unless another dtype is asked for.
Tensor one_hot(const Tensor& index, int64_t num_classes = -1, Dtype dtype = Dtype::int64);

}  // namespace xg
