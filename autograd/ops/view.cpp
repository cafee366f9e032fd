// View ops: each computes the result's sizes, strides and offset into x's storage (no copy) and
// records a node whose backward maps the gradient back: the inverse view, a sum over broadcast
// axes, or the gradient embedded in zeros at the viewed positions.
#include <autograd/ops/view.hpp>

#include <autograd/broadcast.hpp>
#include <autograd/detail/kernels.hpp>
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/op_info.hpp>
#include <autograd/ops/shape.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace xg {

namespace {

using ViewFn = std::function<Tensor(const Tensor&)>;

Tensor embed(const Tensor& g, const Shape& shape, ViewFn take, const char* name);

// zeros of the input's shape with the gradient added where the view read: the backward of
// select, diagonal and as_strided, which drop elements (as_strided may also read one element
// several times: its gradients add up). Recorded, its own backward being the view again.
struct EmbedBackward final : Node {
  EmbedBackward(Shape s, ViewFn t, const char* n) : shape(std::move(s)), take(std::move(t)), op(n) {}
  Shape shape;
  ViewFn take;
  const char* op;
  const char* name() const override { return op; }
  Tensor forward(const std::vector<Tensor>& in) const override { return embed(in[0], shape, take, op); }
  std::string derivative() const override { return "d embed(g)/dg = the view that was embedded"; }
  Grads backward(const Tensor& gg) override { return {take(gg)}; }
};

Tensor embed(const Tensor& g, const Shape& shape, ViewFn take, const char* name) {
  Tensor out = zeros(shape, g.dtype());
  {
    NoGradGuard no_grad;
    detail::add_into(take(out), g);
  }
  return Tensor::record<EmbedBackward>(std::move(out), {g}, shape, std::move(take), name);
}

Dims erase(Dims d, size_t k) {
  d.erase(d.begin() + static_cast<std::ptrdiff_t>(k));
  return d;
}

}  // namespace

// ---- permute ----
// d permute(x, dims)/dx: the gradient permuted back by the inverse permutation
struct PermuteBackward final : Node {
  explicit PermuteBackward(Shape d) : dims(std::move(d)) {}
  Shape dims;
  const char* name() const override { return "permute"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return permute(in[0], dims); }
  std::string extra_args() const override { return format_shape(dims); }
  std::string derivative() const override { return "d permute(x)/dx = 1, permuted back"; }
  Grads backward(const Tensor& g) override {
    Shape inverse(dims.size());
    for (size_t k = 0; k < dims.size(); ++k) inverse[static_cast<size_t>(dims[k])] = static_cast<int64_t>(k);
    return {permute(g, inverse)};
  }
};
Tensor permute(const Tensor& x, const Shape& dims) {
  detail::check_defined(x, "permute");
  const int64_t d = x.dim();
  if (static_cast<int64_t>(dims.size()) != d) {
    throw ShapeError(fmt::format("permute: dims {} must name each of the {} axes of shape {} once", format_shape(dims),
                                 d, format_shape(x.shape())));
  }
  Shape axes(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t k = 0; k < dims.size(); ++k) {
    axes[k] = normalize_axis(dims[k], d, "permute");
    if (seen[static_cast<size_t>(axes[k])]) {
      throw ShapeError(fmt::format("permute: dims {} repeat axis {}", format_shape(dims), axes[k]));
    }
    seen[static_cast<size_t>(axes[k])] = true;
  }
  const TensorImpl& in = *x.impl();
  Dims sizes(dims.size()), strides(dims.size());
  for (size_t k = 0; k < dims.size(); ++k) {
    sizes[k] = in.sizes[static_cast<size_t>(axes[k])];
    strides[k] = in.strides[static_cast<size_t>(axes[k])];
  }
  Tensor out = detail::make_view(x, std::move(sizes), std::move(strides), in.offset);
  return Tensor::record<PermuteBackward>(std::move(out), {x}, axes);
}

// ---- expand (broadcast_to's view with torch's -1) ----
Tensor expand(const Tensor& x, const Shape& sizes) {
  detail::check_defined(x, "expand");
  const Shape from = x.shape();
  if (sizes.size() < from.size()) {
    throw ShapeError(
        fmt::format("expand: the number of sizes ({}) must be at least the tensor's dimensions ({}): "
                    "sizes {}, tensor shape {}",
                    sizes.size(), from.size(), format_shape(sizes), format_shape(from)));
  }
  Shape target = sizes;
  const size_t lead = sizes.size() - from.size();
  for (size_t k = 0; k < sizes.size(); ++k) {
    if (sizes[k] != -1) continue;
    if (k < lead) {
      throw ShapeError(fmt::format("expand: -1 is not allowed for a new leading axis (axis {} of sizes {})", k,
                                   format_shape(sizes)));
    }
    target[k] = from[k - lead];
  }
  for (size_t k = 0; k < from.size(); ++k) {
    if (from[k] != 1 && from[k] != target[lead + k]) {
      throw ShapeError(
          fmt::format("expand: the expanded size {} must match the existing size {} at non-singleton "
                      "axis {} (sizes {}, tensor shape {})",
                      target[lead + k], from[k], lead + k, format_shape(sizes), format_shape(from)));
    }
  }
  return broadcast_to(x, target);
}

// ---- select ----
// d select(x, axis, i)/dx: the gradient placed at index i along axis, zero elsewhere
struct SelectBackward final : Node {
  SelectBackward(int64_t a, int64_t i) : axis(a), index(i) {}
  int64_t axis, index;
  const char* name() const override { return "select"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return select(in[0], axis, index); }
  std::string extra_args() const override { return fmt::format("axis={}, index={}", axis, index); }
  std::string derivative() const override { return "d select(x)/dx = 1 at the selected slice, else 0"; }
  Grads backward(const Tensor& g) override {
    return {embed(
        g, input_shape(0), [a = axis, i = index](const Tensor& t) { return select(t, a, i); }, "select_backward")};
  }
};
Tensor select(const Tensor& x, int64_t axis, int64_t index) {
  detail::check_defined(x, "select");
  if (x.dim() == 0) throw ShapeError("select: cannot select from a 0-d tensor");
  const int64_t ax = normalize_axis(axis, x.dim(), "select");
  const int64_t n = x.size(ax);
  if (index < -n || index >= n) {
    throw IndexError(fmt::format("select: index {} is out of range for axis {} of size {} (shape {})", index, ax, n,
                                 format_shape(x.shape())));
  }
  const int64_t i = index < 0 ? index + n : index;
  const TensorImpl& in = *x.impl();
  const auto k = static_cast<size_t>(ax);
  Tensor out = detail::make_view(x, erase(in.sizes, k), erase(in.strides, k), in.offset + i * in.strides[k]);
  return Tensor::record<SelectBackward>(std::move(out), {x}, ax, i);
}

// ---- narrow ----
Tensor narrow(const Tensor& x, int64_t axis, int64_t start, int64_t length) {
  detail::check_defined(x, "narrow");
  if (x.dim() == 0) throw ShapeError("narrow: cannot narrow a 0-d tensor");
  const int64_t ax = normalize_axis(axis, x.dim(), "narrow");
  const int64_t n = x.size(ax);
  if (start < -n || start > n) {
    throw IndexError(
        fmt::format("narrow: start {} is out of range for axis {} of size {} (valid: {} to {})", start, ax, n, -n, n));
  }
  const int64_t s = start < 0 ? start + n : start;
  if (length < 0 || s + length > n) {
    throw IndexError(fmt::format("narrow: start {} + length {} does not fit in axis {} of size {} (shape {})", s,
                                 length, ax, n, format_shape(x.shape())));
  }
  return slice(x, ax, s, s + length);
}

// ---- unflatten ----
Tensor unflatten(const Tensor& x, int64_t axis, const Shape& sizes) {
  detail::check_defined(x, "unflatten");
  if (x.dim() == 0) throw ShapeError("unflatten: cannot unflatten a 0-d tensor");
  const int64_t ax = normalize_axis(axis, x.dim(), "unflatten");
  if (sizes.empty()) throw ShapeError("unflatten: sizes must not be empty");
  Shape s = sizes;
  int64_t infer = -1, known = 1;
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] == -1 && infer < 0) {
      infer = static_cast<int64_t>(k);
    } else if (s[k] < 0) {
      throw ValueError(fmt::format("unflatten: invalid sizes {} (sizes are >= 0, or -1 once)", format_shape(sizes)));
    } else {
      known *= s[k];
    }
  }
  const int64_t n = x.size(ax);
  if (infer >= 0 && known != 0 && n % known == 0) s[static_cast<size_t>(infer)] = n / known;
  if (numel(s) != n || (infer >= 0 && known == 0)) {
    throw ShapeError(fmt::format("unflatten: sizes {} do not multiply to the size {} of axis {} (shape {})",
                                 format_shape(sizes), n, ax, format_shape(x.shape())));
  }
  Shape target = x.shape();
  target.erase(target.begin() + ax);
  target.insert(target.begin() + ax, s.begin(), s.end());
  return view(x, target);
}

// ---- diagonal ----
// d diagonal(x)/dx: the gradient placed on the diagonal, zero elsewhere
struct DiagonalBackward final : Node {
  DiagonalBackward(int64_t o, int64_t a, int64_t b) : offset(o), axis1(a), axis2(b) {}
  int64_t offset, axis1, axis2;
  const char* name() const override { return "diagonal"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return diagonal(in[0], offset, axis1, axis2); }
  std::string extra_args() const override { return fmt::format("offset={}, axes={}, {}", offset, axis1, axis2); }
  std::string derivative() const override { return "d diagonal(x)/dx = 1 on the diagonal, else 0"; }
  Grads backward(const Tensor& g) override {
    return {embed(
        g, input_shape(0), [o = offset, a = axis1, b = axis2](const Tensor& t) { return diagonal(t, o, a, b); },
        "diagonal_backward")};
  }
};
Tensor diagonal(const Tensor& x, int64_t offset, int64_t axis1, int64_t axis2) {
  detail::check_defined(x, "diagonal");
  if (x.dim() < 2) {
    throw ShapeError(fmt::format("diagonal: needs at least 2 dimensions, got shape {}", format_shape(x.shape())));
  }
  const int64_t a = normalize_axis(axis1, x.dim(), "diagonal");
  const int64_t b = normalize_axis(axis2, x.dim(), "diagonal");
  if (a == b) throw ShapeError(fmt::format("diagonal: axis1 and axis2 are both axis {}", a));
  const TensorImpl& in = *x.impl();
  const auto ka = static_cast<size_t>(a), kb = static_cast<size_t>(b);
  const int64_t length = offset >= 0 ? std::max<int64_t>(std::min(in.sizes[ka], in.sizes[kb] - offset), 0)
                                     : std::max<int64_t>(std::min(in.sizes[ka] + offset, in.sizes[kb]), 0);
  int64_t start = in.offset;
  if (length > 0) start += offset >= 0 ? offset * in.strides[kb] : -offset * in.strides[ka];  // torch's rule
  Dims sizes, strides;
  for (size_t k = 0; k < in.sizes.size(); ++k) {
    if (k == ka || k == kb) continue;
    sizes.push_back(in.sizes[k]);
    strides.push_back(in.strides[k]);
  }
  sizes.push_back(length);
  strides.push_back(in.strides[ka] + in.strides[kb]);
  Tensor out = detail::make_view(x, std::move(sizes), std::move(strides), start);
  return Tensor::record<DiagonalBackward>(std::move(out), {x}, offset, a, b);
}

// ---- chunk and split: narrow views along one axis ----
std::vector<Tensor> split(const Tensor& x, const Shape& sizes, int64_t axis) {
  detail::check_defined(x, "split");
  if (x.dim() == 0) throw ShapeError("split: cannot split a 0-d tensor");
  const int64_t ax = normalize_axis(axis, x.dim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0) throw ValueError(fmt::format("split: sizes {} must be >= 0", format_shape(sizes)));
    total += s;
  }
  if (total != x.size(ax)) {
    throw ShapeError(fmt::format("split: sizes {} add up to {}, not to the size {} of axis {} (shape {})",
                                 format_shape(sizes), total, x.size(ax), ax, format_shape(x.shape())));
  }
  std::vector<Tensor> out;
  int64_t start = 0;
  for (int64_t s : sizes) {
    out.push_back(narrow(x, ax, start, s));
    start += s;
  }
  return out;
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t axis) {
  detail::check_defined(x, "split");
  if (x.dim() == 0) throw ShapeError("split: cannot split a 0-d tensor");
  const int64_t ax = normalize_axis(axis, x.dim(), "split");
  const int64_t n = x.size(ax);
  if (split_size < 0 || (split_size == 0 && n != 0)) {
    throw ValueError(fmt::format("split: split_size must be positive, got {} for an axis of size {}", split_size, n));
  }
  Shape sizes;
  for (int64_t start = 0; start < n; start += split_size) sizes.push_back(std::min(split_size, n - start));
  if (sizes.empty()) sizes.push_back(0);  // an empty axis splits into one empty piece, as in torch
  return split(x, sizes, ax);
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t axis) {
  detail::check_defined(x, "chunk");
  if (chunks <= 0) throw ValueError(fmt::format("chunk: chunks must be positive, got {}", chunks));
  if (x.dim() == 0) throw ShapeError("chunk: cannot chunk a 0-d tensor");
  const int64_t n = x.size(normalize_axis(axis, x.dim(), "chunk"));
  const int64_t split_size = (n + chunks - 1) / chunks;
  if (split_size == 0 && n == 0) {
    // torch returns `chunks` empty pieces for an empty axis
    return split(x, Shape(static_cast<size_t>(chunks), 0), axis);
  }
  return split(x, split_size, axis);
}

// ---- as_strided and as_strided_scatter ----
namespace {

// Sizes and strides as given, the offset relative to x's first element; checked against x's
// storage (torch's "out of bounds for storage" check).
struct StridedRegion {
  Dims sizes, strides;
  int64_t relative_offset = 0;
};
StridedRegion region_of(const Tensor& x, const Shape& sizes, const Shape& strides, std::optional<int64_t> offset,
                        const char* op) {
  if (sizes.size() != strides.size()) {
    throw ShapeError(
        fmt::format("{}: sizes {} and strides {} differ in length", op, format_shape(sizes), format_shape(strides)));
  }
  check_sizes(sizes, op);
  const int64_t start = offset.value_or(x.storage_offset());
  if (start < 0) throw ValueError(fmt::format("{}: storage_offset {} must be >= 0", op, start));
  int64_t last = start;
  for (size_t k = 0; k < sizes.size(); ++k) {
    if (strides[k] < 0) throw ValueError(fmt::format("{}: strides {} must be >= 0", op, format_shape(strides)));
    if (sizes[k] == 0) last = -1;
    if (last >= 0) last += (sizes[k] - 1) * strides[k];
  }
  const int64_t storage_size = x.impl()->storage->size();
  if (last >= storage_size) {
    throw ValueError(
        fmt::format("{}: sizes {}, strides {} and storage offset {} reach element {}, out of bounds for "
                    "a storage of {} elements",
                    op, format_shape(sizes), format_shape(strides), start, last, storage_size));
  }
  return {detail::to_dims(sizes), detail::to_dims(strides), start - x.storage_offset()};
}

// The region at the same place relative to t's first element (t contiguous, of x's shape).
Tensor take_region(const Tensor& t, const Dims& sizes, const Dims& strides, int64_t relative_offset) {
  const Tensor c = t.contiguous();
  return as_strided(c, detail::to_shape(sizes), detail::to_shape(strides), c.storage_offset() + relative_offset);
}

}  // namespace

// d as_strided(x)/dx: the gradient added at the viewed elements of zeros of x's shape
struct AsStridedBackward final : Node {
  explicit AsStridedBackward(StridedRegion r) : region(std::move(r)) {}
  StridedRegion region;
  const char* name() const override { return "as_strided"; }
  Tensor forward(const std::vector<Tensor>& in) const override {
    return take_region(in[0], region.sizes, region.strides, region.relative_offset);
  }
  std::string extra_args() const override {
    return fmt::format("{}, {}, offset {}", format_shape(detail::to_shape(region.sizes)),
                       format_shape(detail::to_shape(region.strides)), region.relative_offset);
  }
  std::string derivative() const override { return "d as_strided(x)/dx = 1 at each viewed element (summed)"; }
  Grads backward(const Tensor& g) override {
    return {embed(
        g, input_shape(0),
        [r = region](const Tensor& t) { return take_region(t, r.sizes, r.strides, r.relative_offset); },
        "as_strided_backward")};
  }
};
Tensor as_strided(const Tensor& x, const Shape& sizes, const Shape& strides, std::optional<int64_t> storage_offset) {
  detail::check_defined(x, "as_strided");
  StridedRegion region = region_of(x, sizes, strides, storage_offset, "as_strided");
  if (is_grad_enabled() && x.requires_grad()) {
    if (!x.is_contiguous()) {
      throw GraphError(
          fmt::format("as_strided: gradients through as_strided of a strided tensor (shape {}, strides "
                      "{}) are not supported; call as_strided on x.contiguous()",
                      format_shape(x.shape()), format_shape(x.stride())));
    }
    // the backward places the gradient among x's own elements: the region must lie among them
    int64_t last = region.relative_offset;
    for (size_t k = 0; k < region.sizes.size(); ++k) last += (region.sizes[k] - 1) * region.strides[k];
    if (x.numel() > 0 && xg::numel(sizes) > 0 && (region.relative_offset < 0 || last >= x.numel())) {
      throw GraphError(
          fmt::format("as_strided: the region (sizes {}, strides {}, storage offset {}) reaches outside "
                      "the input's own elements (shape {}, storage offset {}); gradients cannot flow "
                      "there",
                      format_shape(sizes), format_shape(strides), x.storage_offset() + region.relative_offset,
                      format_shape(x.shape()), x.storage_offset()));
    }
  }
  Tensor out = detail::make_view(x, region.sizes, region.strides, x.storage_offset() + region.relative_offset);
  return Tensor::record<AsStridedBackward>(std::move(out), {x}, std::move(region));
}

// d as_strided_scatter(x, src)/dx: the gradient with the region zeroed; d/dsrc: the region
struct AsStridedScatterBackward final : Node {
  explicit AsStridedScatterBackward(StridedRegion r) : region(std::move(r)) {}
  StridedRegion region;
  const char* name() const override { return "as_strided_scatter"; }
  Tensor forward(const std::vector<Tensor>& in) const override {
    const Tensor x = in[0].contiguous();
    return as_strided_scatter(x, in[1], detail::to_shape(region.sizes), detail::to_shape(region.strides),
                              x.storage_offset() + region.relative_offset);
  }
  std::string derivative() const override {
    return "d as_strided_scatter(x, src)/dx = 1 outside the region, d/dsrc = 1 inside it";
  }
  Grads backward(const Tensor& g) override {
    const Tensor gc = g.contiguous();
    const Shape sizes = detail::to_shape(region.sizes), strides = detail::to_shape(region.strides);
    const int64_t at = gc.storage_offset() + region.relative_offset;
    Tensor grad_x, grad_src;
    if (needs_input_grad(0)) grad_x = as_strided_scatter(gc, zeros(sizes, g.dtype()), sizes, strides, at);
    if (needs_input_grad(1)) grad_src = as_strided(gc, sizes, strides, at);
    return {grad_x, grad_src};
  }
};
Tensor as_strided_scatter(const Tensor& x, const Tensor& src, const Shape& sizes, const Shape& strides,
                          std::optional<int64_t> storage_offset) {
  detail::check_defined(x, "as_strided_scatter");
  detail::check_defined(src, "as_strided_scatter");
  detail::check_same_dtype(x, src, "as_strided_scatter");
  StridedRegion region = region_of(x, sizes, strides, storage_offset, "as_strided_scatter");
  if (src.shape() != sizes) {
    throw ShapeError(fmt::format("as_strided_scatter: src has shape {}, the region {}", format_shape(src.shape()),
                                 format_shape(sizes)));
  }
  if (!x.is_contiguous()) {
    throw ShapeError(fmt::format("as_strided_scatter: x (shape {}, strides {}) must be contiguous",
                                 format_shape(x.shape()), format_shape(x.stride())));
  }
  Tensor out = detail::copy_values(x);
  const Tensor target = detail::make_view(out, region.sizes, region.strides, region.relative_offset);
  detail::check_no_internal_overlap(target, "as_strided_scatter");
  detail::write_into(target, src);
  return Tensor::record<AsStridedScatterBackward>(std::move(out), {x, src}, std::move(region));
}

// ---- the catalogue (autograd/ops/op_info.hpp): how tests and the docs see this file's ops ----
std::span<const OpInfo> view_ops() {
  static const OpInfo ops[] = {
      {.name = "permute",
       .family = "autograd/ops/view",
       .signature = "permute(x, dims), x.permute(dims)",
       .sample = OpSample::permutation,
       .call = [](const OpCall& o) { return permute(o.a, o.shape); },
       .expression = "permute({a}, {shape})"},
      {.name = "expand",
       .family = "autograd/ops/view",
       .signature = "expand(x, sizes), x.expand(sizes)",
       .sample = OpSample::broadcast_to,
       .call = [](const OpCall& o) { return expand(o.a, o.shape); },
       .expression = "expand({a}, {shape})"},
      {.name = "select",
       .family = "autograd/ops/view",
       .signature = "select(x, axis, index), x.select(axis, index), x[index]",
       .sample = OpSample::select,
       .call = [](const OpCall& o) { return select(o.a, o.i0, o.i1); },
       .expression = "select({a}, {i0}, {i1})"},
      {.name = "narrow",
       .family = "autograd/ops/view",
       .signature = "narrow(x, axis, start, length)",
       .sample = OpSample::slice,
       .call = [](const OpCall& o) { return narrow(o.a, o.i0, o.i1, o.i2 - o.i1); },
       .expression = "narrow({a}, {i0}, {i1}, {i2} - {i1})"},
      {.name = "unflatten",
       .family = "autograd/ops/view",
       .signature = "unflatten(x, axis, sizes)",
       .sample = OpSample::unflatten,
       .call = [](const OpCall& o) { return unflatten(o.a, o.i0, o.shape); },
       .expression = "unflatten({a}, {i0}, {shape})"},
      {.name = "diagonal",
       .family = "autograd/ops/view",
       .signature = "diagonal(x, offset, axis1, axis2)",
       .sample = OpSample::diagonal,
       .call = [](const OpCall& o) { return diagonal(o.a, o.i0, o.i1, o.i2); },
       .expression = "diagonal({a}, {i0}, {i1}, {i2})"},
      // the last piece: the others are views of the same storage, alive until the call returns
      {.name = "chunk",
       .family = "autograd/ops/view",
       .signature = "chunk(x, chunks, axis)",
       .sample = OpSample::axis,
       .call = [](const OpCall& o) { return chunk(o.a, 2, o.i0).back(); },
       .expression = "chunk({a}, 2, {i0}).back()"},
      // every piece, joined back in reverse order: each piece's gradient flows to its place
      {.name = "split",
       .family = "autograd/ops/view",
       .signature = "split(x, split_size, axis), split(x, sizes, axis)",
       .sample = OpSample::axis,
       .call =
           [](const OpCall& o) {
             std::vector<Tensor> pieces = split(o.a, 2, o.i0);
             std::reverse(pieces.begin(), pieces.end());
             return concat(pieces, o.i0);
           },
       .expression = "[](std::vector<xg::Tensor> p) {{ return concat(std::vector<xg::Tensor>(p.rbegin(), p.rend()), "
                     "{i0}); }}(split({a}, 2, {i0}))"},
      {.name = "as_strided",
       .family = "autograd/ops/view",
       .signature = "as_strided(x, sizes, strides, storage_offset)",
       .not_drawn = "needs a geometry inside the input's storage; view_test.cpp checks its derivatives"},
      {.name = "as_strided_scatter",
       .family = "autograd/ops/view",
       .signature = "as_strided_scatter(x, src, sizes, strides, storage_offset)",
       .not_drawn = "needs a geometry inside the input's storage; view_test.cpp checks its derivatives"},
  };
  return ops;
}

}  // namespace xg
