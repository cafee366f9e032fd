// View ops: results that share their input's storage (no copy, O(1)), as torch's. A write through
// a view shows in its base and in every other view of the storage. reshape, view, flatten,
// squeeze, unsqueeze, transpose and slice (autograd/ops/shape.hpp) and broadcast_to
// (autograd/broadcast.hpp) return views too; Tensor::detach shares the storage without being a
// view for autograd.
#pragma once

#include <autograd/tensor.hpp>

#include <optional>
#include <vector>

namespace xg {

/// The axes reordered: axis k of the result is axis dims[k] of x (dims a permutation of the axes,
/// negative counting from the end).
Tensor permute(const Tensor& x, const Shape& dims);
/// x broadcast to `sizes` without a copy (torch's expand): -1 keeps an axis; new axes go in front.
/// A write through the result is refused (its elements share memory).
Tensor expand(const Tensor& x, const Shape& sizes);
/// The slice at `index` along `axis`, which it removes (x[i] is select(x, 0, i)); negative index
/// counts from the end. IndexError when out of range.
Tensor select(const Tensor& x, int64_t axis, int64_t index);
/// `length` entries from `start` along `axis` (start may be negative); IndexError when they do not
/// fit (unlike slice, which clamps).
Tensor narrow(const Tensor& x, int64_t axis, int64_t start, int64_t length);
/// `axis` split into `sizes` (one of them may be -1).
Tensor unflatten(const Tensor& x, int64_t axis, const Shape& sizes);
/// The diagonal of the (axis1, axis2) planes, as a last axis (offset > 0: above the main
/// diagonal, < 0: below).
Tensor diagonal(const Tensor& x, int64_t offset = 0, int64_t axis1 = 0, int64_t axis2 = 1);
/// `chunks` views of (nearly) equal size along `axis`: each ceil(size / chunks), the last smaller
/// (there may be fewer than `chunks`, as in torch).
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t axis = 0);
/// Views of split_size entries along `axis` (the last may be smaller).
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t axis = 0);
/// Views of the given sizes along `axis`, which must add up to its size (torch's split_with_sizes).
std::vector<Tensor> split(const Tensor& x, const Shape& sizes, int64_t axis = 0);

/// The elements of x's storage at storage_offset + sum(i_k * strides[k]) for each index i of
/// `sizes` (torch's as_strided; storage_offset defaults to x's). Gradients flow back only to a
/// contiguous x (GraphError when recording from a strided one); elements read more than once
/// get the sum of their gradients.
Tensor as_strided(const Tensor& x, const Shape& sizes, const Shape& strides,
                  std::optional<int64_t> storage_offset = std::nullopt);
/// A copy of x (contiguous x) with src written at the elements as_strided(x, sizes, strides,
/// storage_offset) views (torch's as_strided_scatter); src has shape `sizes`.
Tensor as_strided_scatter(const Tensor& x, const Tensor& src, const Shape& sizes, const Shape& strides,
                          std::optional<int64_t> storage_offset = std::nullopt);

}  // namespace xg
