// Shape ops: forward, backward and checks side by side.
#include <autograd/ops/shape.hpp>

#include <autograd/detail/kernels.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/op_info.hpp>

#include <numeric>
#include <xtensor/xmanipulation.hpp>

namespace xg {

namespace {

std::string describe_shapes(const std::vector<Tensor>& tensors) {
  std::string s;
  for (size_t i = 0; i < tensors.size(); ++i) s += (i ? ", " : "") + format_shape(tensors[i].shape());
  return s;
}

// Copies entry `from` along the split axis of src to entry `to` of dst, for every outer
// index: both arrays seen as [outer, n, inner] (detail::split_at). With Add, adds instead.
template <bool Add = false, class T>
void copy_entry(const T* src, const detail::AxisSplit& s, size_t from, T* dst, const detail::AxisSplit& d, size_t to) {
  for (size_t o = 0; o < s.outer; ++o) {
    const T* in = src + (o * s.n + from) * s.inner;
    T* out = dst + (o * d.n + to) * d.inner;
    for (size_t i = 0; i < s.inner; ++i) {
      if constexpr (Add)
        out[i] += in[i];
      else
        out[i] = in[i];
    }
  }
}

}  // namespace

// ---- reshape ----
// d reshape(x)/dx: the gradient reshaped back to x's shape
struct ReshapeBackward final : Node {
  explicit ReshapeBackward(Shape t) : target(std::move(t)) {}
  Shape target;
  const char* name() const override { return "reshape"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return reshape(in[0], target); }
  std::string derivative() const override { return "d reshape(x)/dx = 1, reshaped back"; }
  Grads backward(const Tensor& g) override { return {reshape(g, input_shape(0))}; }
};
namespace {
// reshape under the name the caller used (reshape, view, flatten), for its error messages.
Tensor reshape_named(const Tensor& x, const Shape& shape, const char* op) {
  detail::check_defined(x, op);
  Shape target = shape;
  int64_t infer = -1, known = 1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1) {
      if (infer >= 0) throw ShapeError(fmt::format("{}: only one size may be -1, got {}", op, format_shape(shape)));
      infer = static_cast<int64_t>(i);
    } else if (target[i] < 0) {
      throw ValueError(fmt::format("{}: invalid size {} in shape {} (sizes are >= 0, or -1 once)", op, target[i],
                                   format_shape(shape)));
    } else if (__builtin_mul_overflow(known, target[i], &known)) {
      throw ValueError(fmt::format("{}: shape {} has more elements than int64 can count", op, format_shape(shape)));
    }
  }
  const int64_t n = x.numel();
  if (infer >= 0) {
    if (known == 0 || n % known != 0) {
      throw ShapeError(fmt::format("{}: shape {} is invalid for input of shape {} ({} elements)", op,
                                   format_shape(shape), format_shape(x.shape()), n));
    }
    target[infer] = n / known;
  } else if (known != n) {
    throw ShapeError(fmt::format("{}: shape {} is invalid for input of shape {} ({} elements, {} asked for)", op,
                                 format_shape(shape), format_shape(x.shape()), n, known));
  }
  check_sizes(target, op);  // [0, 2^62, 4] matches 0 elements, but its strides overflow (shape_fuzz)
  if (target == x.shape()) return x;
  const Dims sizes = detail::to_dims(target);
  std::optional<Dims> strides = detail::view_strides(x.impl()->sizes, x.impl()->strides, sizes);
  Tensor out;
  if (strides) {
    out = detail::make_view(x, sizes, std::move(*strides), x.storage_offset());
  } else if (std::string_view(op) == "view") {
    throw ShapeError(
        fmt::format("view: shape {} is not compatible with the input's shape {} and strides {} (an axis "
                    "would span two separate runs of memory); use reshape, which copies then",
                    format_shape(shape), format_shape(x.shape()), format_shape(x.stride())));
  } else {
    // no strides fit: torch's reshape copies, then views the copy
    out = detail::contiguous(x);  // a fresh tensor (x is not contiguous, or strides would fit)
    out.impl()->set_geometry(sizes, detail::contiguous_strides(sizes), 0);
  }
  return Tensor::record<ReshapeBackward>(std::move(out), {x}, target);
}
}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) { return reshape_named(x, shape, "reshape"); }

Tensor view(const Tensor& x, const Shape& shape) { return reshape_named(x, shape, "view"); }
Tensor flatten(const Tensor& x) { return reshape_named(x, {-1}, "flatten"); }

Tensor unsqueeze(const Tensor& x, int64_t axis) {
  detail::check_defined(x, "unsqueeze");
  Shape s = x.shape();
  const int64_t ax = normalize_axis(axis, static_cast<int64_t>(s.size()) + 1, "unsqueeze");
  s.insert(s.begin() + ax, 1);
  return reshape(x, s);
}

Tensor squeeze(const Tensor& x, int64_t axis) {
  detail::check_defined(x, "squeeze");
  Shape s = x.shape();
  const int64_t ax = normalize_axis(axis, x.dim(), "squeeze");
  if (s.empty() || s[ax] != 1) return x;
  s.erase(s.begin() + ax);
  return reshape(x, s);
}

// ---- transpose ----
// d transpose(x, a, b)/dx: the gradient transposed back
struct TransposeBackward final : Node {
  TransposeBackward(int64_t a, int64_t b) : axis0(a), axis1(b) {}
  int64_t axis0, axis1;
  const char* name() const override { return "transpose"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return transpose(in[0], axis0, axis1); }
  std::string derivative() const override { return "d transpose(x)/dx = 1, transposed back"; }
  Grads backward(const Tensor& g) override { return {transpose(g, axis0, axis1)}; }
};
Tensor transpose(const Tensor& x, int64_t axis0, int64_t axis1) {
  detail::check_defined(x, "transpose");
  const int64_t a = normalize_axis(axis0, x.dim(), "transpose");
  const int64_t b = normalize_axis(axis1, x.dim(), "transpose");
  if (a == b || x.dim() < 2) return x;
  Dims sizes = x.impl()->sizes, strides = x.impl()->strides;
  std::swap(sizes[a], sizes[b]);
  std::swap(strides[a], strides[b]);
  Tensor out = detail::make_view(x, std::move(sizes), std::move(strides), x.storage_offset());
  return Tensor::record<TransposeBackward>(std::move(out), {x}, a, b);
}
Tensor transpose(const Tensor& x) {
  detail::check_defined(x, "transpose");
  if (x.dim() < 2) {
    throw ShapeError(fmt::format("transpose: swapping the last two axes needs at least 2 dimensions, got shape {}",
                                 format_shape(x.shape())));
  }
  return transpose(x, -2, -1);
}

// ---- slice ----
// d slice(x)/dx: the gradient placed back at the sliced positions, zero elsewhere
Tensor slice_backward(const Tensor& g, const Shape& input_shape, int64_t axis, int64_t start, int64_t end,
                      int64_t step);
struct SliceBackward final : Node {
  SliceBackward(int64_t a, int64_t s, int64_t e, int64_t st) : axis(a), start(s), end(e), step(st) {}
  int64_t axis, start, end, step;
  const char* name() const override { return "slice"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return slice(in[0], axis, start, end, step); }
  std::string derivative() const override { return "d slice(x)/dx = 1 at the sliced elements, else 0"; }
  Grads backward(const Tensor& g) override { return {slice_backward(g, input_shape(0), axis, start, end, step)}; }
};
// the adjoint of slice_backward is slice itself
struct SliceBackwardBackward final : Node {
  SliceBackwardBackward(Shape shape, int64_t a, int64_t s, int64_t e, int64_t st)
      : sliced_shape(std::move(shape)), axis(a), start(s), end(e), step(st) {}
  Shape sliced_shape;  // the shape of the tensor that was sliced
  int64_t axis, start, end, step;
  const char* name() const override { return "slice_backward"; }
  Tensor forward(const std::vector<Tensor>& in) const override {
    return slice_backward(in[0], sliced_shape, axis, start, end, step);
  }
  std::string derivative() const override { return "d slice_backward(g)/dg = slice"; }
  Grads backward(const Tensor& gg) override { return {slice(gg, axis, start, end, step)}; }
};
Tensor slice_backward(const Tensor& g, const Shape& input_shape, int64_t axis, int64_t start, int64_t end,
                      int64_t step) {
  Tensor out = dispatch(g.dtype(), "slice", [&](auto tag) {
    using T = decltype(tag);
    Array<T> z = xt::zeros<T>(detail::to_xshape<T>(input_shape));
    const Tensor gc = detail::contiguous(g);
    const auto& src = detail::array<T>(gc);
    const auto s = detail::split_at(src.shape(), static_cast<size_t>(axis));
    const auto d = detail::split_at(z.shape(), static_cast<size_t>(axis));
    for (size_t k = 0; k < s.n; ++k)
      copy_entry(src.data(), s, k, z.data(), d, static_cast<size_t>(start + static_cast<int64_t>(k) * step));
    return detail::make_tensor<T>(std::move(z));
  });
  return Tensor::record<SliceBackwardBackward>(std::move(out), {g}, input_shape, axis, start, end, step);
}
Tensor slice(const Tensor& x, int64_t axis, int64_t start, int64_t end, int64_t step) {
  detail::check_defined(x, "slice");
  if (x.dim() == 0) throw ShapeError("slice: cannot slice a 0-d tensor");
  const int64_t ax = normalize_axis(axis, x.dim(), "slice");
  if (step < 1) throw ValueError(fmt::format("slice: step must be >= 1, got {}", step));
  const int64_t n = x.size(ax);
  auto clamp_index = [n](int64_t i) { return std::clamp(i < 0 ? i + n : i, int64_t{0}, n); };
  const int64_t s = clamp_index(start);
  const int64_t e = std::max(clamp_index(end), s);
  Dims sizes = x.impl()->sizes, strides = x.impl()->strides;
  sizes[ax] = (e - s + step - 1) / step;
  const int64_t offset = x.storage_offset() + s * strides[ax];  // torch's too when the slice is empty
  strides[ax] *= step;
  Tensor out = detail::make_view(x, std::move(sizes), std::move(strides), offset);
  return Tensor::record<SliceBackward>(std::move(out), {x}, ax, s, e, step);
}

// ---- concat ----
// d concat(x_1..x_n)/dx_k: the slice of the gradient where x_k was placed
struct ConcatBackward final : Node {
  explicit ConcatBackward(int64_t a) : axis(a) {}
  int64_t axis;
  const char* name() const override { return "concat"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return concat(in, axis); }
  std::string derivative() const override { return "d concat(x_1, ..)/dx_k = 1 on x_k's part"; }
  Grads backward(const Tensor& g) override {
    Grads grads(num_inputs());
    int64_t offset = 0;
    for (size_t k = 0; k < num_inputs(); ++k) {
      const int64_t len = input_shape(k)[axis];
      if (needs_input_grad(k)) grads[k] = slice(g, axis, offset, offset + len);
      offset += len;
    }
    return grads;
  }
};
Tensor concat(const std::vector<Tensor>& tensors, int64_t axis) {
  if (tensors.empty()) throw ValueError("concat: expected a non-empty list of tensors");
  for (const auto& t : tensors) detail::check_defined(t, "concat");
  const Tensor& first = tensors[0];
  if (first.dim() == 0) throw ShapeError("concat: zero-dimensional tensors cannot be concatenated (use stack)");
  const int64_t ax = normalize_axis(axis, first.dim(), "concat");
  Shape out_shape = first.shape();
  out_shape[ax] = 0;
  for (size_t k = 0; k < tensors.size(); ++k) {
    detail::check_same_dtype(first, tensors[k], "concat");
    Shape s = tensors[k].shape();
    bool ok = s.size() == out_shape.size();
    for (size_t i = 0; ok && i < s.size(); ++i) ok = static_cast<int64_t>(i) == ax || s[i] == out_shape[i];
    if (!ok) {
      throw ShapeError(fmt::format("concat: shapes {} do not match except along axis {} (tensor {} differs)",
                                   describe_shapes(tensors), ax, k));
    }
    out_shape[ax] += s[ax];
  }
  Tensor out = dispatch<Dtypes::all>(first.dtype(), "concat", [&](auto tag) {
    using T = decltype(tag);
    Array<T> result = Array<T>::from_shape(detail::to_xshape<T>(out_shape));
    const auto to = detail::split_at(result.shape(), static_cast<size_t>(ax));
    size_t offset = 0;
    for (const auto& t : tensors) {
      const Tensor tc = detail::contiguous(t);
      const auto& src = detail::array<T>(tc);
      const auto from = detail::split_at(src.shape(), static_cast<size_t>(ax));
      for (size_t k = 0; k < from.n; ++k) copy_entry(src.data(), from, k, result.data(), to, offset + k);
      offset += from.n;
    }
    return detail::make_tensor<T>(std::move(result));
  });
  return Tensor::record<ConcatBackward>(std::move(out), tensors, ax);
}

// stack = unsqueeze each, then concat: its backward comes from those two
Tensor stack(const std::vector<Tensor>& tensors, int64_t axis) {
  if (tensors.empty()) throw ValueError("stack: expected a non-empty list of tensors");
  for (const auto& t : tensors) detail::check_defined(t, "stack");
  for (size_t k = 1; k < tensors.size(); ++k) {
    if (tensors[k].shape() != tensors[0].shape()) {
      throw ShapeError(fmt::format("stack: expects tensors of one shape, got {}", describe_shapes(tensors)));
    }
  }
  const int64_t ax = normalize_axis(axis, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> expanded;
  expanded.reserve(tensors.size());
  for (const auto& t : tensors) expanded.push_back(unsqueeze(t, ax));
  return concat(expanded, ax);
}

// ---- index_select ----
// d index_select(x, idx)/dx: the gradient added back at each selected index (index_add)
Tensor index_select_backward(const Tensor& g, const Shape& input_shape, int64_t axis, const Tensor& index);
struct IndexSelectBackward final : Node {
  IndexSelectBackward(int64_t a, Tensor i) : axis(a), index(std::move(i)) {}
  int64_t axis;
  Tensor index;  // int64, never requires grad: holding it creates no cycle
  const char* name() const override { return "index_select"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return index_select(in[0], axis, index); }
  std::string derivative() const override { return "d index_select(x)/dx = 1 at each selected index (summed)"; }
  Grads backward(const Tensor& g) override { return {index_select_backward(g, input_shape(0), axis, index)}; }
};
// the adjoint of index_add into zeros is index_select
struct IndexSelectBackwardBackward final : Node {
  IndexSelectBackwardBackward(Shape shape, int64_t a, Tensor i)
      : indexed_shape(std::move(shape)), axis(a), index(std::move(i)) {}
  Shape indexed_shape;  // the shape of the tensor that was indexed
  int64_t axis;
  Tensor index;
  const char* name() const override { return "index_select_backward"; }
  Tensor forward(const std::vector<Tensor>& in) const override {
    return index_select_backward(in[0], indexed_shape, axis, index);
  }
  std::string derivative() const override { return "d index_add(g)/dg = index_select"; }
  Grads backward(const Tensor& gg) override { return {index_select(gg, axis, index)}; }
};
Tensor index_select_backward(const Tensor& g, const Shape& input_shape, int64_t axis, const Tensor& index) {
  Tensor out = dispatch(g.dtype(), "index_select", [&](auto tag) {
    using T = decltype(tag);
    Array<T> z = xt::zeros<T>(detail::to_xshape<T>(input_shape));
    const auto& idx = detail::array<int64_t>(index);
    const Tensor gc = detail::contiguous(g);
    const auto& src = detail::array<T>(gc);
    const auto from = detail::split_at(src.shape(), static_cast<size_t>(axis));
    const auto to = detail::split_at(z.shape(), static_cast<size_t>(axis));
    // repeated indices add up: each selection contributed its own copy
    for (size_t k = 0; k < idx.size(); ++k)
      copy_entry<true>(src.data(), from, k, z.data(), to, static_cast<size_t>(idx.data()[k]));
    return detail::make_tensor<T>(std::move(z));
  });
  return Tensor::record<IndexSelectBackwardBackward>(std::move(out), {g}, input_shape, axis, index);
}
Tensor index_select(const Tensor& x, int64_t axis, const Tensor& index) {
  detail::check_defined(x, "index_select");
  detail::check_defined(index, "index_select");
  if (index.dtype() != Dtype::int64 || index.dim() > 1) {
    throw DtypeError(fmt::format("index_select: index must be a 0-d or 1-d int64 tensor, got {} of shape {}",
                                 dtype_name(index.dtype()), format_shape(index.shape())));
  }
  if (x.dim() == 0) throw ShapeError("index_select: cannot index a 0-d tensor");
  const int64_t ax = normalize_axis(axis, x.dim(), "index_select");
  const int64_t n = x.size(ax);
  // a private copy: the backward reads these positions, and the caller may overwrite theirs
  const Tensor idx = detail::copy_values(index.reshape({-1}));
  for (int64_t i : detail::array<int64_t>(idx)) {
    if (i < 0 || i >= n) {
      throw ValueError(fmt::format("index_select: index {} is out of range for axis {} of size {} (shape {})", i, ax, n,
                                   format_shape(x.shape())));
    }
  }
  Shape out_shape = x.shape();
  out_shape[ax] = idx.numel();
  Tensor out = dispatch<Dtypes::all>(x.dtype(), "index_select", [&](auto tag) {
    using T = decltype(tag);
    Array<T> result = Array<T>::from_shape(detail::to_xshape<T>(out_shape));
    const auto& ix = detail::array<int64_t>(idx);
    const Tensor xc = detail::contiguous(x);
    const auto& src = detail::array<T>(xc);
    const auto from = detail::split_at(src.shape(), static_cast<size_t>(ax));
    const auto to = detail::split_at(result.shape(), static_cast<size_t>(ax));
    for (size_t k = 0; k < ix.size(); ++k)
      copy_entry(src.data(), from, static_cast<size_t>(ix.data()[k]), result.data(), to, k);
    return detail::make_tensor<T>(std::move(result));
  });
  return Tensor::record<IndexSelectBackward>(std::move(out), {x}, ax, idx);
}

// ---- one_hot (not differentiable: its input is a class index) ----
Tensor one_hot(const Tensor& index, int64_t num_classes, Dtype dtype) {
  detail::check_defined(index, "one_hot");
  if (index.dtype() != Dtype::int64) {
    throw DtypeError(fmt::format("one_hot: class indices must be int64, got {}", dtype_name(index.dtype())));
  }
  const Tensor index_values = detail::contiguous(index);
  const auto& idx = detail::array<int64_t>(index_values);
  if (num_classes == -1) {
    if (idx.size() == 0) throw ValueError("one_hot: cannot infer num_classes from an empty tensor");
    num_classes = *std::max_element(idx.begin(), idx.end()) + 1;
  }
  if (num_classes < 1) throw ValueError(fmt::format("one_hot: num_classes must be >= 1 (or -1), got {}", num_classes));
  for (int64_t i : idx) {
    if (i < 0 || i >= num_classes) {
      throw ValueError(fmt::format("one_hot: class index {} is out of range for {} classes (valid: 0 to {})", i,
                                   num_classes, num_classes - 1));
    }
  }
  Shape out_shape = index.shape();
  out_shape.push_back(num_classes);
  return dispatch<Dtypes::numeric>(dtype, "one_hot", [&](auto tag) {
    using T = decltype(tag);
    Array<T> out = xt::zeros<T>(detail::to_xshape<T>(out_shape));
    for (size_t k = 0; k < idx.size(); ++k) out.data()[k * static_cast<size_t>(num_classes) + idx.data()[k]] = T(1);
    return detail::make_tensor<T>(std::move(out));
  });
}

// ---- the catalogue (autograd/ops/op_info.hpp): how tests and the docs see this file's ops ----
std::span<const OpInfo> shape_ops() {
  static const OpInfo ops[] = {
      {.name = "reshape",
       .family = "autograd/ops/shape",
       .signature = "reshape(x, shape)",
       .sample = OpSample::reshape,
       .call = [](const OpCall& o) { return reshape(o.a, o.shape); },
       .expression = "reshape({a}, {shape})"},
      {.name = "view",
       .family = "autograd/ops/shape",
       .signature = "view(x, shape)",
       .sample = OpSample::reshape,
       // on a contiguous input: view refuses the strides no view can have, as torch's does
       .call = [](const OpCall& o) { return view(o.a.contiguous(), o.shape); },
       .expression = "view({a}.contiguous(), {shape})"},
      {.name = "flatten",
       .family = "autograd/ops/shape",
       .signature = "flatten(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return flatten(o.a); },
       .expression = "flatten({a})"},
      {.name = "unsqueeze",
       .family = "autograd/ops/shape",
       .signature = "unsqueeze(x, axis)",
       .sample = OpSample::unsqueeze,
       .call = [](const OpCall& o) { return unsqueeze(o.a, o.i0); },
       .expression = "unsqueeze({a}, {i0})"},
      {.name = "squeeze",
       .family = "autograd/ops/shape",
       .signature = "squeeze(x, axis)",
       .sample = OpSample::squeeze,
       .call = [](const OpCall& o) { return squeeze(o.a, o.i0); },
       .expression = "squeeze({a}, {i0})"},
      {.name = "transpose",
       .family = "autograd/ops/shape",
       .signature = "transpose(x), x.t()",
       .sample = OpSample::matrix,
       .call = [](const OpCall& o) { return transpose(o.a); },
       .expression = "transpose({a})"},
      {.name = "transpose_axes",
       .family = "autograd/ops/shape",
       .signature = "transpose(x, axis0, axis1)",
       .sample = OpSample::two_axes,
       .call = [](const OpCall& o) { return transpose(o.a, o.i0, o.i1); },
       .expression = "transpose({a}, {i0}, {i1})"},
      {.name = "concat",
       .family = "autograd/ops/shape",
       .signature = "concat({a, b, ...}, axis)",
       .sample = OpSample::concat,
       .call =
           [](const OpCall& o) {
             return concat({o.a, o.b}, o.i0);
           },
       .expression = "concat({{{a}, {b}}}, {i0})"},
      // three parts, one of them twice: both of its gradients flow back
      {.name = "concat3",
       .family = "autograd/ops/shape",
       .signature = "concat({a, b, a}, axis)",
       .sample = OpSample::concat,
       .call =
           [](const OpCall& o) {
             return concat({o.a, o.b, o.a}, o.i0);
           },
       .expression = "concat({{{a}, {b}, {a}}}, {i0})"},
      {.name = "stack",
       .family = "autograd/ops/shape",
       .signature = "stack({a, b, ...}, axis)",
       .sample = OpSample::stack,
       .call =
           [](const OpCall& o) {
             return stack({o.a, o.b}, o.i0);
           },
       .expression = "stack({{{a}, {b}}}, {i0})"},
      {.name = "slice",
       .family = "autograd/ops/shape",
       .signature = "slice(x, axis, start, end, step)",
       .sample = OpSample::slice,
       .call = [](const OpCall& o) { return slice(o.a, o.i0, o.i1, o.i2, o.i3); },
       .expression = "slice({a}, {i0}, {i1}, {i2}, {i3})"},
      {.name = "index_select",
       .family = "autograd/ops/shape",
       .signature = "index_select(x, axis, index)",
       .sample = OpSample::index,
       .call = [](const OpCall& o) { return index_select(o.a, o.i0, o.c); },
       .expression = "index_select({a}, {i0}, {c})"},
      {.name = "one_hot",
       .family = "autograd/ops/shape",
       .signature = "one_hot(index, num_classes, dtype)",
       .not_drawn = "takes int64 indices: nothing to differentiate"},
  };
  return ops;
}

}  // namespace xg
