// Basic indexing (integers, Slice, None, Ellipsis) as a chain of view ops, and index_put_ as a
// write through that view.
#include <autograd/indexing.hpp>

#include <autograd/broadcast.hpp>
#include <autograd/detail/kernels.hpp>
#include <autograd/detail/tensor_impl.hpp>
#include <autograd/error.hpp>
#include <autograd/ops/arithmetic.hpp>
#include <autograd/ops/compare.hpp>
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
  if (is_tensor()) return tensor().defined() ? "tensor" + format_shape(tensor().shape()) : "tensor(undefined)";
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

// ---- advanced (integer-tensor) indexing ----
// The tensor indices of an index list, on the view that its integers, slices and Nones made:
// axis k of that view indexed by indices[k] (broadcast to `shape`, wrapped into [0, size),
// contiguous and private: backward reads them after the caller may have changed theirs).
struct Advanced {
  std::vector<int64_t> axes;
  std::vector<Tensor> indices;
  Shape shape;  // B: the index tensors' broadcast shape
  bool empty() const { return axes.empty(); }
};

// Offsets sum_k strides[axes[k]] * i_k for every row-major combination of i over those axes.
std::vector<int64_t> combinations(const Shape& sizes, const Shape& strides, const std::vector<int64_t>& axes) {
  std::vector<int64_t> out{0};
  for (int64_t a : axes) {
    std::vector<int64_t> next;
    next.reserve(out.size() * static_cast<size_t>(sizes[a]));
    for (int64_t o : out)
      for (int64_t i = 0; i < sizes[a]; ++i) next.push_back(o + i * strides[a]);
    out = std::move(next);
  }
  return out;
}

// Where each element of the result comes from: result[(p * nb + b) * nq + q] is
// source[pre[p] + at[b] + post[q]] for the axes before B (pre), the positions B names (at) and
// the axes after it (post). When the indexed axes are not adjacent, B goes first (pre is empty).
struct Layout {
  std::vector<int64_t> pre, at, post;
  Shape shape;  // the result's
};
Layout layout(const Shape& sizes, const Shape& strides, const Advanced& adv) {
  const bool adjacent = adv.axes.back() - adv.axes.front() + 1 == static_cast<int64_t>(adv.axes.size());
  std::vector<int64_t> before, after;
  for (int64_t a = 0; a < static_cast<int64_t>(sizes.size()); ++a) {
    if (std::find(adv.axes.begin(), adv.axes.end(), a) != adv.axes.end()) continue;
    (adjacent && a < adv.axes.front() ? before : after).push_back(a);
  }
  Layout l;
  l.pre = combinations(sizes, strides, before);
  l.post = combinations(sizes, strides, after);
  int64_t nb = 1;
  for (int64_t s : adv.shape) nb *= s;
  l.at.assign(static_cast<size_t>(nb), 0);
  for (size_t k = 0; k < adv.axes.size(); ++k) {
    const int64_t* idx = adv.indices[k].impl()->first<int64_t>();
    const int64_t stride = strides[adv.axes[k]];
    for (int64_t b = 0; b < nb; ++b) l.at[b] += idx[b] * stride;
  }
  for (int64_t a : before) l.shape.push_back(sizes[a]);
  l.shape.insert(l.shape.end(), adv.shape.begin(), adv.shape.end());
  for (int64_t a : after) l.shape.push_back(sizes[a]);
  return l;
}

Tensor gather(const Tensor& x, const Advanced& adv);
Tensor scatter(const Tensor& x, const Advanced& adv, const Tensor& values, bool accumulate);

// d x.index(idx)/dx: the gradient added back at each position read (repeats add up)
struct IndexBackward final : Node {
  explicit IndexBackward(Advanced a) : adv(std::move(a)) {}
  Advanced adv;  // int64 tensors that never require grad: holding them creates no cycle
  const char* name() const override { return "index"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return gather(in[0], adv); }
  std::string derivative() const override { return "d x[idx]/dx = 1 at each position read (summed over repeats)"; }
  Grads backward(const Tensor& g) override {
    return {scatter(zeros(input_shape(0), g.dtype()), adv, g, /*accumulate=*/true)};
  }
};

// index_put(x, idx, values): x with values written (or added) at the positions idx names
struct IndexPutBackward final : Node {
  IndexPutBackward(Advanced a, bool acc) : adv(std::move(a)), accumulate(acc) {}
  Advanced adv;
  bool accumulate;
  const char* name() const override { return accumulate ? "index_put_accumulate" : "index_put"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return scatter(in[0], adv, in[1], accumulate); }
  std::string derivative() const override {
    return accumulate ? "d index_put(x, idx, v, accumulate)/dx = 1, d/dv = 1 at the positions idx names"
                      : "d index_put(x, idx, v)/dx = 0 at the positions idx names and 1 elsewhere, d/dv = 1 there";
  }
  Grads backward(const Tensor& g) override {
    Tensor grad_x, grad_values;
    if (needs_input_grad(0)) grad_x = accumulate ? g : scatter(g, adv, zeros({}, g.dtype()), false);
    if (needs_input_grad(1)) grad_values = sum_to(gather(g, adv), input_shape(1));
    return {grad_x, grad_values};
  }
};

Tensor gather(const Tensor& x, const Advanced& adv) {
  const Layout l = layout(x.shape(), x.stride(), adv);
  Tensor out = dispatch<Dtypes::all>(x.dtype(), "index", [&](auto tag) {
    using T = decltype(tag);
    Array<T> result = Array<T>::from_shape(detail::to_xshape<T>(l.shape));
    const T* src = x.impl()->template first<T>();
    T* dst = result.data();
    for (int64_t p : l.pre)
      for (int64_t b : l.at)
        for (int64_t q : l.post) *dst++ = src[p + b + q];
    return detail::make_tensor<T>(std::move(result));
  });
  return Tensor::record<IndexBackward>(std::move(out), {x}, adv);
}

// Writes (or adds) values, broadcast to the indexed shape, at the positions adv names in x's
// elements, through x's strides; checks the values first, so a refusal writes nothing.
void scatter_into(const Tensor& x, const Advanced& adv, const Tensor& values, bool accumulate) {
  const Layout l = layout(x.shape(), x.stride(), adv);
  if (values.dtype() != x.dtype()) {
    throw DtypeError(fmt::format("index_put: the values ({}) must have the dtype of the tensor written ({})",
                                 dtype_name(values.dtype()), dtype_name(x.dtype())));
  }
  bool fits = values.dim() <= static_cast<int64_t>(l.shape.size());
  for (int64_t k = 1; fits && k <= values.dim(); ++k) {
    const int64_t v = values.shape()[values.dim() - k];
    fits = v == 1 || v == l.shape[l.shape.size() - static_cast<size_t>(k)];
  }
  if (!fits) {
    throw ShapeError(fmt::format("index_put: values of shape {} cannot be broadcast to the indexed shape {}",
                                 format_shape(values.shape()), format_shape(l.shape)));
  }
  // values that share x's storage are read in full before the first write
  const Tensor expanded = values.shape() == l.shape ? values.detach() : broadcast_to(values.detach(), l.shape);
  const Tensor v = values.is_alias_of(x) ? detail::copy_values(expanded) : detail::contiguous(expanded);
  dispatch<Dtypes::all>(x.dtype(), "index_put", [&](auto tag) {
    using T = decltype(tag);
    T* dst = x.impl()->template first<T>();
    const T* src = v.impl()->template first<T>();
    for (int64_t p : l.pre)
      for (int64_t b : l.at)
        for (int64_t q : l.post) {
          if (accumulate) {
            dst[p + b + q] += *src++;
          } else {
            dst[p + b + q] = *src++;
          }
        }
    return 0;
  });
}

Tensor scatter(const Tensor& x, const Advanced& adv, const Tensor& values, bool accumulate) {
  Tensor out = detail::copy_values(x);
  scatter_into(out, adv, values, accumulate);
  return Tensor::record<IndexPutBackward>(std::move(out), {x, values}, adv, accumulate);
}

// The basic part of an index list applied (a view of x) and its tensors, on that view's axes.
struct Split {
  Tensor view;
  Advanced adv;
};
Split apply_indices(const Tensor& x, const std::vector<indexing::TensorIndex>& indices, const char* op) {
  detail::check_defined(x, op);
  // as torch's applySlicing: each Ellipsis skips the axes no integer, Slice or tensor names (a
  // second one, after the first took them all, skips none in effect)
  int64_t named = 0;
  for (const auto& i : indices) {
    // a bool mask names as many axes as it has (torch's count_specified_dimensions)
    const bool mask = i.is_tensor() && i.tensor().defined() && i.tensor().dtype() == Dtype::boolean;
    named += mask ? i.tensor().dim() : i.is_integer() || i.is_slice() || i.is_tensor();
  }
  if (named > x.dim()) {
    throw IndexError(fmt::format("{}: too many indices for a tensor of dimension {} (shape {}): {}", op, x.dim(),
                                 format_shape(x.shape()), describe(indices)));
  }
  Split out{x, {}};
  Tensor& result = out.view;
  std::vector<std::pair<int64_t, Tensor>> tensors;
  int64_t axis = 0;  // the axis of `result` the next index applies to
  auto select_at = [&](int64_t index) {
    const int64_t n = result.size(axis);
    if (index < -n || index >= n) {
      throw IndexError(fmt::format("{}: index {} is out of range for axis {} of size {} (shape {}, indices {})", op,
                                   index, axis, n, format_shape(x.shape()), describe(indices)));
    }
    result = select(result, axis, index);
  };
  for (const auto& i : indices) {
    if (i.is_integer()) {
      select_at(i.integer());
    } else if (i.is_slice()) {
      const indexing::Slice& s = i.slice();
      const int64_t step = s.step.value_or(1);
      if (step <= 0) {
        throw ValueError(fmt::format("{}: slice step must be positive, got {} in {}", op, step, describe(indices)));
      }
      result = slice(result, axis, s.start.value_or(0), s.stop.value_or(std::numeric_limits<int64_t>::max()), step);
      ++axis;
    } else if (i.is_none()) {
      result = unsqueeze(result, axis);
      ++axis;
    } else if (i.is_tensor()) {
      const Tensor& t = i.tensor();
      detail::check_defined(t, op);
      if (t.dtype() == Dtype::boolean) {
        // a mask over the next t.dim() axes stands for the positions of its true elements, one
        // int64 tensor per axis (torch's expandTensors); a 0-d mask adds an axis of size 1 or 0
        if (t.dim() == 0) {
          result = unsqueeze(result, axis);
          tensors.emplace_back(axis, t.item() != 0.0 ? zeros({1}, Dtype::int64) : zeros({0}, Dtype::int64));
          ++axis;
          continue;
        }
        for (int64_t k = 0; k < t.dim(); ++k) {
          if (t.size(k) != result.size(axis + k)) {
            throw IndexError(
                fmt::format("{}: the shape of the mask {} at index {} does not match the shape of the indexed tensor "
                            "{} at index {}",
                            op, format_shape(t.shape()), k, format_shape(result.shape()), axis + k));
          }
        }
        const Tensor positions = nonzero(t);
        for (int64_t k = 0; k < t.dim(); ++k) tensors.emplace_back(axis + k, positions.select(1, k));
        axis += t.dim();
        continue;
      }
      if (t.dtype() != Dtype::int64) {
        throw IndexError(fmt::format("{}: tensors used as indices must be int64 or bool, got {} of shape {} in {}", op,
                                     dtype_name(t.dtype()), format_shape(t.shape()), describe(indices)));
      }
      if (t.requires_grad()) throw GraphError(fmt::format("{}: an index tensor must not require grad", op));
      if (t.dim() == 0) {  // as torch's applySlicing: a 0-d index is an integer (a select, a view)
        select_at(*t.impl()->first<int64_t>());
        continue;
      }
      tensors.emplace_back(axis, t);
      ++axis;
    } else {
      axis += x.dim() - named;  // the axes the Ellipsis stands for stay as they are
    }
  }
  if (tensors.empty()) return out;
  Shape b = tensors.front().second.shape();
  for (const auto& [a, t] : tensors) {
    try {
      b = broadcast_shapes(b, t.shape(), op);
    } catch (const ShapeError&) {
      std::string shapes;
      for (const auto& [a2, t2] : tensors) shapes += (shapes.empty() ? "" : ", ") + format_shape(t2.shape());
      throw IndexError(fmt::format("{}: the index tensors cannot be broadcast together (shapes {}) in {}", op, shapes,
                                   describe(indices)));
    }
  }
  out.adv.shape = b;
  for (const auto& [a, t] : tensors) {
    const int64_t n = result.size(a);
    Tensor idx = detail::copy_values(broadcast_to(t.detach(), b));
    for (int64_t& v : detail::mut_array<int64_t>(idx)) {
      if (v < -n || v >= n) {
        throw IndexError(fmt::format("{}: index {} is out of range for axis {} of size {} (shape {}, indices {})", op,
                                     v, a, n, format_shape(result.shape()), describe(indices)));
      }
      if (v < 0) v += n;
    }
    out.adv.axes.push_back(a);
    out.adv.indices.push_back(std::move(idx));
  }
  return out;
}
}  // namespace

Tensor index(const Tensor& x, const std::vector<indexing::TensorIndex>& indices) {
  Split s = apply_indices(x, indices, "index");
  return s.adv.empty() ? s.view : gather(s.view, s.adv);
}

Tensor& index_put_(Tensor& x, const std::vector<indexing::TensorIndex>& indices, const Tensor& value, bool accumulate) {
  return x.index_put_(indices, value, accumulate);
}

Tensor& index_put_(Tensor& x, const std::vector<indexing::TensorIndex>& indices, double value) {
  return x.index_put_(indices, value);
}

Tensor index_put(const Tensor& x, const std::vector<indexing::TensorIndex>& indices, const Tensor& value,
                 bool accumulate) {
  detail::check_defined(x, "index_put");
  Tensor out = x.clone();
  return out.index_put_(indices, value, accumulate);
}

Tensor Tensor::index(const std::vector<indexing::TensorIndex>& indices) const { return xg::index(*this, indices); }
Tensor& Tensor::index_put_(const std::vector<indexing::TensorIndex>& indices, const Tensor& value_in, bool accumulate) {
  detail::check_defined(value_in, "index_put_");
  // as torch's set_item: leading axes of size 1 of the value do not count (x[0] = ones(1, 4))
  Tensor value = value_in;
  if (value.dim() > 0 && value.size(0) == 1) {
    Shape sizes = value.shape();
    size_t lead = 0;
    while (lead < sizes.size() && sizes[lead] == 1) ++lead;
    value = value.reshape(Shape(sizes.begin() + static_cast<std::ptrdiff_t>(lead), sizes.end()));
  }
  Split s = apply_indices(*this, indices, "index_put_");
  if (s.adv.empty()) {
    if (accumulate) {
      s.view.add_(value);
    } else {
      s.view.copy_(value);
    }
    return *this;
  }
  if (!s.view.inplace_records({value})) {  // outside a graph: only the positions named are touched
    detail::check_no_internal_overlap(s.view, "index_put_");
    scatter_into(s.view, s.adv, value, accumulate);
    ++s.view.impl()->version();
    return *this;
  }
  s.view.apply_inplace("index_put_", [&](const Tensor& v) { return scatter(v, s.adv, value, accumulate); }, {value});
  return *this;
}
Tensor& Tensor::index_put_(const std::vector<indexing::TensorIndex>& indices, double value) {
  detail::check_defined(*this, "index_put_");
  return index_put_(indices, full({}, value, dtype()));
}

// ---- the catalogue (autograd/ops/op_info.hpp) ----
namespace {
// `:` for each axis before the sample's axis i0: the start of an index list that acts on axis i0
std::vector<indexing::TensorIndex> up_to_axis(const OpCall& o) {
  return std::vector<indexing::TensorIndex>(static_cast<size_t>(o.i0 < 0 ? o.i0 + o.a.dim() : o.i0), indexing::Slice());
}
}  // namespace

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
             std::vector<TensorIndex> idx = up_to_axis(o);
             idx.push_back(o.i1);
             idx.push_back(None);
             idx.push_back(Ellipsis);
             return o.a.index(idx);
           },
       .expression =
           "[](const Tensor& x) {{ std::vector<indexing::TensorIndex> idx(static_cast<size_t>({i0} < 0 ? {i0} "
           "+ x.dim() : {i0}), indexing::Slice()); idx.push_back({i1}); idx.push_back(indexing::None); "
           "idx.push_back(indexing::Ellipsis); return x.index(idx); }}({a})"},
      // x[:, idx] with an int64 tensor along axis i0 (repeats): a gather
      {.name = "index_advanced",
       .family = "autograd/indexing",
       .signature = "x.index({..., idx, ...}) with int64 tensors",
       .sample = OpSample::index,
       .call =
           [](const OpCall& o) {
             std::vector<TensorIndex> idx = up_to_axis(o);
             idx.push_back(o.c);
             return o.a.index(idx);
           },
       .expression = "[](const Tensor& x, const Tensor& c) {{ std::vector<indexing::TensorIndex> "
                     "idx(static_cast<size_t>({i0} < 0 ? {i0} + x.dim() : {i0}), indexing::Slice()); "
                     "idx.push_back(c); return x.index(idx); }}({a}, {c})"},
      // x.index_put_({..., idx}, 2 * x[..., idx], accumulate=true) on a copy: a scatter-add
      {.name = "index_put_advanced",
       .family = "autograd/indexing",
       .signature = "x.index_put_({..., idx, ...}, values, accumulate) with int64 tensors",
       .sample = OpSample::index,
       .call =
           [](const OpCall& o) {
             std::vector<TensorIndex> idx = up_to_axis(o);
             idx.push_back(o.c);
             Tensor out = o.a * 1.0;
             return out.index_put_(idx, o.a.index(idx) * 2.0, true);
           },
       .expression = "[](const Tensor& x, const Tensor& c) {{ std::vector<indexing::TensorIndex> "
                     "idx(static_cast<size_t>({i0} < 0 ? {i0} + x.dim() : {i0}), indexing::Slice()); "
                     "idx.push_back(c); Tensor out = x * 1.0; return out.index_put_(idx, x.index(idx) * 2.0, "
                     "true); }}({a}, {c})"},
      // x[:, 1:] = 2 * x[:, :-1] style: a write through a view of a copy, differentiable in both
      {.name = "index_put",
       .family = "autograd/indexing",
       .signature = "x.index_put_({...}, value)",
       .sample = OpSample::slice,
       .call =
           [](const OpCall& o) {
             Tensor out = o.a * 1.0;
             std::vector<TensorIndex> idx = up_to_axis(o);
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
