// Basic indexing (integers, Slice, None, Ellipsis) as a chain of view ops, and index_put_ as a
// write through that view.
#include <autograd/indexing.hpp>

#include <autograd/detail/kernels.hpp>
#include <autograd/error.hpp>
#include <autograd/ops/arithmetic.hpp>
#include <autograd/ops/op_info.hpp>
#include <autograd/ops/shape.hpp>
#include <autograd/ops/view.hpp>

#include <fmt/format.h>

#include <limits>

namespace xg {

namespace indexing {
std::string TensorIndex::str() const {
  if (is_integer()) return std::to_string(integer());
  if (is_ellipsis()) return "...";
  if (is_none()) return "None";
  const Slice& s = slice();
  auto part = [](const std::optional<int64_t>& v) { return v ? std::to_string(*v) : std::string(); };
  return s.step ? fmt::format("{}:{}:{}", part(s.start), part(s.stop), *s.step)
                : fmt::format("{}:{}", part(s.start), part(s.stop));
}
}  // namespace indexing

namespace {
std::string describe(const std::vector<indexing::TensorIndex>& indices) {
  std::string s = "[";
  for (size_t k = 0; k < indices.size(); ++k) s += (k ? ", " : "") + indices[k].str();
  return s + "]";
}
}  // namespace

Tensor index(const Tensor& x, const std::vector<indexing::TensorIndex>& indices) {
  detail::check_defined(x, "index");
  // as torch's applySlicing: each Ellipsis skips the axes no integer or Slice names (a second
  // one, after the first took them all, skips none in effect)
  int64_t named = 0;
  for (const auto& i : indices) named += i.is_integer() || i.is_slice();
  if (named > x.dim()) {
    throw IndexError(fmt::format("index: too many indices for a tensor of dimension {} (shape {}): {}", x.dim(),
                                 format_shape(x.shape()), describe(indices)));
  }
  Tensor result = x;
  int64_t axis = 0;  // the axis of `result` the next index applies to
  for (const auto& i : indices) {
    if (i.is_integer()) {
      const int64_t n = result.size(axis);
      if (i.integer() < -n || i.integer() >= n) {
        throw IndexError(fmt::format("index: index {} is out of range for axis {} of size {} (shape {}, indices {})",
                                     i.integer(), axis, n, format_shape(x.shape()), describe(indices)));
      }
      result = select(result, axis, i.integer());
    } else if (i.is_slice()) {
      const indexing::Slice& s = i.slice();
      const int64_t step = s.step.value_or(1);
      if (step <= 0) {
        throw ValueError(fmt::format("index: slice step must be positive, got {} in {}", step, describe(indices)));
      }
      result = slice(result, axis, s.start.value_or(0), s.stop.value_or(std::numeric_limits<int64_t>::max()), step);
      ++axis;
    } else if (i.is_none()) {
      result = unsqueeze(result, axis);
      ++axis;
    } else {
      axis += x.dim() - named;  // the axes the Ellipsis stands for stay as they are
    }
  }
  return result;
}

Tensor& index_put_(Tensor& x, const std::vector<indexing::TensorIndex>& indices, const Tensor& value) {
  Tensor target = index(x, indices);
  target.copy_(value);
  return x;
}

Tensor& index_put_(Tensor& x, const std::vector<indexing::TensorIndex>& indices, double value) {
  Tensor target = index(x, indices);
  target.fill_(value);
  return x;
}

Tensor Tensor::index(const std::vector<indexing::TensorIndex>& indices) const { return xg::index(*this, indices); }
Tensor& Tensor::index_put_(const std::vector<indexing::TensorIndex>& indices, const Tensor& value) {
  return xg::index_put_(*this, indices, value);
}
Tensor& Tensor::index_put_(const std::vector<indexing::TensorIndex>& indices, double value) {
  return xg::index_put_(*this, indices, value);
}

// ---- the catalogue (autograd/ops/op_info.hpp) ----
std::span<const OpInfo> indexing_ops() {
  using namespace indexing;
  static const OpInfo ops[] = {
      // x[..., i, :2] style: i1 selects along axis i0, then None adds an axis, then everything after
      {.name = "index",
       .family = "autograd/indexing",
       .signature = "x.index({Slice(start, stop, step), i, None, Ellipsis, ...})",
       .sample = OpSample::select,
       .call =
           [](const OpCall& o) {
             const int64_t axis = o.i0 < 0 ? o.i0 + o.a.dim() : o.i0;
             std::vector<TensorIndex> idx(static_cast<size_t>(axis), Slice());
             idx.push_back(o.i1);
             idx.push_back(None);
             idx.push_back(Ellipsis);
             return o.a.index(idx);
           },
       .expression =
           "[](const Tensor& x) {{ std::vector<indexing::TensorIndex> idx(static_cast<size_t>({i0} < 0 ? {i0} "
           "+ x.dim() : {i0}), indexing::Slice()); idx.push_back({i1}); idx.push_back(indexing::None); "
           "idx.push_back(indexing::Ellipsis); return x.index(idx); }}({a})"},
      // x[:, 1:] = 2 * x[:, :-1] style: a write through a view of a copy, differentiable in both
      {.name = "index_put",
       .family = "autograd/indexing",
       .signature = "x.index_put_({...}, value)",
       .sample = OpSample::slice,
       .call =
           [](const OpCall& o) {
             Tensor out = o.a * 1.0;
             std::vector<TensorIndex> idx(static_cast<size_t>(o.i0 < 0 ? o.i0 + o.a.dim() : o.i0), Slice());
             idx.push_back(Slice(o.i1, o.i2));
             Tensor source = o.a.index(idx) * 2.0;
             out.index_put_({Ellipsis}, out * 0.5);
             return out.index_put_(idx, source);
           },
       .expression = "[](const Tensor& x) {{ Tensor out = x * 1.0; std::vector<indexing::TensorIndex> "
                     "idx(static_cast<size_t>({i0} < 0 ? {i0} + x.dim() : {i0}), indexing::Slice()); "
                     "idx.push_back(indexing::Slice({i1}, {i2})); Tensor source = x.index(idx) * 2.0; "
                     "out.index_put_({{indexing::Ellipsis}}, out * 0.5); return out.index_put_(idx, source); }}({a})"},
  };
  return ops;
}

}  // namespace xg
