// Broadcasting: the NumPy shape rule, broadcast_to and its reverse, sum_to.
#include <autograd/broadcast.hpp>

#include <autograd/detail/kernels.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/op_info.hpp>

#include <xtensor/xbroadcast.hpp>
#include <xtensor/xreducer.hpp>

namespace xg {

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    // align from the right: missing leading dims count as 1
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) {
      throw ShapeError(
          fmt::format("{}: shapes {} and {} cannot be broadcast together (dimension {} from the right: "
                      "{} vs {}; sizes must match or one be 1)",
                      op, format_shape(a), format_shape(b), n - i, da, db));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

namespace {

// The axes sum_to reduces: the leading ones x has in excess, and those where `target` is 1.
std::vector<size_t> sum_to_axes(const Shape& from, const Shape& target) {
  if (target.size() > from.size()) {
    throw ShapeError(fmt::format("sum_to: cannot sum shape {} to shape {} (the target has more dimensions)",
                                 format_shape(from), format_shape(target)));
  }
  const size_t lead = from.size() - target.size();
  std::vector<size_t> axes;
  for (size_t i = 0; i < lead; ++i) axes.push_back(i);
  for (size_t i = 0; i < target.size(); ++i) {
    const int64_t f = from[lead + i], t = target[i];
    if (t == f) continue;
    if (t != 1) {
      throw ShapeError(
          fmt::format("sum_to: cannot sum shape {} to shape {} (dimension {}: {} vs {}; the target "
                      "size must equal the source size or be 1)",
                      format_shape(from), format_shape(target), lead + i, f, t));
    }
    axes.push_back(lead + i);
  }
  return axes;
}

}  // namespace

// ---- broadcast_to ----
// d broadcast_to(x)/dx: the gradient summed back over the broadcast axes (sum_to)
struct BroadcastToBackward final : Node {
  explicit BroadcastToBackward(Shape s) : shape(std::move(s)) {}
  Shape shape;
  const char* name() const override { return "broadcast_to"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return broadcast_to(in[0], shape); }
  std::string derivative() const override { return "d broadcast_to(x)/dx = 1, summed over the copies"; }
  Grads backward(const Tensor& g) override { return {sum_to(g, input_shape(0))}; }
};
Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  detail::check_defined(x, "broadcast_to");
  check_sizes(shape, "broadcast_to");
  if (x.shape() == shape) return x;
  if (broadcast_shapes(x.shape(), shape, "broadcast_to") != shape) {
    throw ShapeError(
        fmt::format("broadcast_to: shape {} cannot be broadcast to {}", format_shape(x.shape()), format_shape(shape)));
  }
  // a view: the broadcast axes step 0 through the storage
  // (torch's inferExpandGeometry: a new leading axis of size 1 steps over the axes after it)
  const TensorImpl& in = *x.impl();
  const size_t lead = shape.size() - in.sizes.size();
  Dims strides(shape.size(), 0);
  for (size_t k = shape.size(); k-- > 0;) {
    if (k >= lead) {
      strides[k] = in.sizes[k - lead] == shape[k] ? in.strides[k - lead] : 0;
    } else {
      strides[k] = shape[k] != 1 ? 0 : k + 1 < shape.size() ? shape[k + 1] * strides[k + 1] : 1;
    }
  }
  Tensor out = detail::make_view(x, detail::to_dims(shape), std::move(strides), in.offset);
  return Tensor::record<BroadcastToBackward>(std::move(out), {x}, shape);
}

Tensor detail::broadcast_grad(const Tensor& g, const Shape& shape) {
  if (is_grad_enabled() || g.shape() == shape) return broadcast_to(g, shape);
  if (g.numel() != 1) return detail::contiguous(broadcast_to(g, shape));
  return dispatch<Dtypes::all>(g.dtype(), "broadcast_to", [&](auto tag) {
    using T = decltype(tag);
    Array<T> out = Array<T>::from_shape(detail::to_xshape<T>(shape));
    std::fill(out.begin(), out.end(), *g.impl()->template first<T>());
    return detail::make_tensor<T>(std::move(out));
  });
}

// ---- sum_to ----
// d sum_to(x)/dx = 1 for every summed element: the gradient broadcast back (broadcast_to)
struct SumToBackward final : Node {
  explicit SumToBackward(Shape s) : shape(std::move(s)) {}
  Shape shape;
  const char* name() const override { return "sum_to"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return sum_to(in[0], shape); }
  std::string derivative() const override { return "d sum_to(x)/dx = 1, broadcast back"; }
  Grads backward(const Tensor& g) override { return {broadcast_to(g, input_shape(0))}; }
};
Tensor sum_to(const Tensor& x, const Shape& shape) {
  detail::check_defined(x, "sum_to");
  const Shape from = x.shape();
  if (from == shape) return x;
  const std::vector<size_t> axes = sum_to_axes(from, shape);
  Tensor out = dispatch<Dtypes::numeric>(x.dtype(), "sum_to", [&](auto tag) {
    using T = decltype(tag);
    const Tensor xc = detail::contiguous(x);
    Array<T> s(detail::array<T>(xc));
    for (size_t axis : axes) s = detail::sum_along(s, axis);  // keepdim: later axes keep their place
    s.reshape(detail::to_xshape<T>(shape));
    return detail::make_tensor<T>(std::move(s));
  });
  return Tensor::record<SumToBackward>(std::move(out), {x}, shape);
}

// ---- the catalogue (autograd/ops/op_info.hpp): how tests and the docs see this file's ops ----
std::span<const OpInfo> broadcast_ops() {
  static const OpInfo ops[] = {
      {.name = "broadcast_to",
       .family = "autograd/broadcast",
       .signature = "broadcast_to(x, shape)",
       .sample = OpSample::broadcast_to,
       .call = [](const OpCall& o) { return broadcast_to(o.a, o.shape); },
       .expression = "broadcast_to({a}, {shape})"},
      {.name = "sum_to",
       .family = "autograd/broadcast",
       .signature = "sum_to(x, shape)",
       .sample = OpSample::sum_to,
       .call = [](const OpCall& o) { return sum_to(o.a, o.shape); },
       .expression = "sum_to({a}, {shape})"},
  };
  return ops;
}

}  // namespace xg
