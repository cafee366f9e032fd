// Indexing as LibTorch's torch::indexing: `x.index({Slice(0, 2), 1, Ellipsis, None})` and
// `x.index_put_({Slice(), 0}, value)`, with `using namespace xg::indexing;`. Integers select (the
// axis goes), Slice(start, stop, step) slices as Python does (negative counts from the end, out of
// range clamps), None inserts an axis of size 1, Ellipsis stands for the axes not named. Without
// tensors the result is a view (select, slice and unsqueeze recorded one after another) and
// index_put_ writes through it, in place and differentiably (autograd/inplace.cpp).
//
// int64 tensors index as torch's advanced indexing: `x.index({idx})`, `x.index({Slice(), rows,
// cols})`. The index tensors broadcast together to a shape B; the result is a new tensor (a
// gather, not a view) whose indexed axes are replaced by B, in place when they are adjacent and
// at the front when something separates them (as NumPy and torch). index_put_ with tensors
// scatters (the last write wins for a repeated position, as torch on the CPU; accumulate=true
// adds them up). Both are differentiable in the tensor and in the values.
//
// A bool tensor is a mask over as many axes as it has, whose sizes it must match: `x.index({x >
// 0})` is the 1-D tensor of x's positive elements (row-major), `x.index_put_({x < 0}, 0.0)` zeroes
// the negative ones. As in torch it stands for nonzero(mask), one int64 tensor per axis it covers,
// and follows the rules above from there; a 0-d mask adds an axis of size 1 (true) or 0 (false).
#pragma once

#include <autograd/tensor.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace xg::indexing {

/// `:` when all three are absent; `Slice(None, 2)` is `:2`. step > 0.
struct Slice {
  Slice(std::optional<int64_t> start = std::nullopt, std::optional<int64_t> stop = std::nullopt,
        std::optional<int64_t> step = std::nullopt)
      : start(start), stop(stop), step(step) {}
  std::optional<int64_t> start, stop, step;
};

struct EllipsisIndexType {};
/// `...`: as many full slices as the axes no other index names.
inline constexpr EllipsisIndexType Ellipsis{};
/// A new axis of size 1 (Python's None); also "absent" in Slice(None, 2).
inline constexpr std::nullopt_t None = std::nullopt;

/// One entry of an index list: an integer, a Slice, Ellipsis, None, an int64 tensor or a bool mask.
class TensorIndex {
 public:
  TensorIndex(Tensor t) : value_(std::move(t)) {}          // NOLINT
  TensorIndex(int64_t i) : value_(i) {}                    // NOLINT: implicit, as LibTorch's
  TensorIndex(int i) : value_(static_cast<int64_t>(i)) {}  // NOLINT
  TensorIndex(Slice s) : value_(s) {}                      // NOLINT
  TensorIndex(EllipsisIndexType e) : value_(e) {}          // NOLINT
  TensorIndex(std::nullopt_t n) : value_(n) {}             // NOLINT

  bool is_integer() const { return std::holds_alternative<int64_t>(value_); }
  bool is_slice() const { return std::holds_alternative<Slice>(value_); }
  bool is_ellipsis() const { return std::holds_alternative<EllipsisIndexType>(value_); }
  bool is_none() const { return std::holds_alternative<std::nullopt_t>(value_); }
  bool is_tensor() const { return std::holds_alternative<Tensor>(value_); }
  const Tensor& tensor() const { return std::get<Tensor>(value_); }
  int64_t integer() const { return std::get<int64_t>(value_); }
  const Slice& slice() const { return std::get<Slice>(value_); }
  /// "0", "1:3", "::2", "...", "None" as Python writes them, "tensor[2, 3]" (for error messages).
  std::string str() const;

 private:
  std::variant<int64_t, Slice, EllipsisIndexType, std::nullopt_t, Tensor> value_;
};

}  // namespace xg::indexing

namespace xg {

/// x.index({...}) as a free function; IndexError for an index out of range, too many indices,
/// index tensors that do not broadcast together or are neither int64 nor bool, a mask whose shape
/// differs from the axes it covers.
Tensor index(const Tensor& x, const std::vector<indexing::TensorIndex>& indices);
/// Writes value (broadcast to the shape x.index(indices) has) at those positions of x, in place,
/// and returns x; accumulate=true adds instead (repeated positions add up).
Tensor& index_put_(Tensor& x, const std::vector<indexing::TensorIndex>& indices, const Tensor& value,
                   bool accumulate = false);
Tensor& index_put_(Tensor& x, const std::vector<indexing::TensorIndex>& indices, double value);
/// torch.index_put: the same on a copy of x (x unchanged).
Tensor index_put(const Tensor& x, const std::vector<indexing::TensorIndex>& indices, const Tensor& value,
                 bool accumulate = false);

}  // namespace xg
