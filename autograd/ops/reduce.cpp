// Reductions over all elements or along one axis.
#include <autograd/ops/reduce.hpp>

#include <autograd/broadcast.hpp>
#include <autograd/detail/kernels.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/op_info.hpp>
#include <autograd/ops/shape.hpp>

#include <xtensor/xindex_view.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xreducer.hpp>
#include <xtensor/xsort.hpp>

namespace xg {

namespace {

// The gradient of a reduction along `axis`, given with or without the kept axis, broadcast
// back over the input's shape.
Tensor expand_back(const Tensor& g, const Shape& input, int64_t axis, bool keepdim) {
  if (input.empty()) return g.reshape({});
  return detail::broadcast_grad(keepdim ? g : unsqueeze(g, axis), input);
}

Shape reduced_shape(Shape s, int64_t axis, bool keepdim) {
  if (s.empty()) return s;
  if (keepdim)
    s[axis] = 1;
  else
    s.erase(s.begin() + axis);
  return s;
}

// Runs reducer(array, axis) -> Array<T> on x (a 0-d x is reduced as if it were [1]).
template <Dtypes Accepted = Dtypes::floating, class F>
Tensor reduce_axis(const Tensor& x, int64_t axis, bool keepdim, const char* op, F&& reducer) {
  const Shape out_shape = reduced_shape(x.shape(), axis, keepdim);
  return dispatch<Accepted>(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const Tensor xc = detail::contiguous(x);
    const auto& a = detail::array<T>(xc);
    auto r = x.dim() == 0 ? reducer(Array<T>(xt::reshape_view(a, {1})), 0) : reducer(a, static_cast<size_t>(axis));
    using R = typename decltype(r)::value_type;
    Array<R> out(std::move(r));
    out.reshape(detail::to_xshape<R>(out_shape));
    return detail::make_tensor<R>(std::move(out));
  });
}

void check_not_empty(const Tensor& x, const char* op) {
  if (x.numel() == 0) {
    throw ShapeError(fmt::format("{}: cannot reduce an empty tensor of shape {} (the {} of no elements is undefined)",
                                 op, format_shape(x.shape()), op));
  }
}

// Along an axis only that axis must be non-empty: max over axis 1 of a [0, 3] tensor is an empty
// [0], as in torch; over axis 0 there is no element to take.
void check_axis_not_empty(const Tensor& x, int64_t axis, const char* op) {
  if (x.dim() > 0 && x.size(axis) == 0) {
    throw ShapeError(
        fmt::format("{}: cannot reduce along axis {} of size 0 (shape {}; the {} of no elements is "
                    "undefined)",
                    op, axis, format_shape(x.shape()), op));
  }
}

}  // namespace

// ---- sum ----
// d sum(x)/dx_i = 1: the gradient broadcast back over the summed axes
struct SumBackward final : Node {
  SumBackward(std::optional<int64_t> a, bool k) : axis(a), keepdim(k) {}
  std::optional<int64_t> axis;
  bool keepdim;
  const char* name() const override { return "sum"; }
  Tensor forward(const std::vector<Tensor>& in) const override {
    return axis ? sum(in[0], *axis, keepdim) : sum(in[0]);
  }
  std::string derivative() const override { return "d sum(x)/dx_i = 1"; }
  Grads backward(const Tensor& g) override {
    // g [] or [.. 1 ..] -> grad_x [input shape]
    const Shape in = input_shape(0);
    return {axis ? expand_back(g, in, *axis, keepdim) : detail::broadcast_grad(g, in)};
  }
};
Tensor sum(const Tensor& x) {
  detail::check_defined(x, "sum");
  if (x.dtype() == Dtype::boolean) return sum(x.to(Dtype::int64));  // counts, as torch: (x > 0).sum()
  Tensor out = dispatch<Dtypes::numeric>(x.dtype(), "sum", [&](auto tag) {
    using T = decltype(tag);
    const Tensor xc = detail::contiguous(x);
    const auto& a = detail::array<T>(xc);
    return detail::make_tensor<T>(Array<T>(detail::sum_all(a.data(), a.size())));
  });
  return Tensor::record<SumBackward>(std::move(out), {x}, std::nullopt, false);
}
Tensor sum(const Tensor& x, int64_t axis, bool keepdim) {
  detail::check_defined(x, "sum");
  if (x.dtype() == Dtype::boolean) return sum(x.to(Dtype::int64), axis, keepdim);
  const int64_t ax = normalize_axis(axis, x.dim(), "sum");
  Tensor out = reduce_axis<Dtypes::numeric>(x, ax, keepdim, "sum",
                                            [](const auto& a, size_t k) { return detail::sum_along(a, k); });
  return Tensor::record<SumBackward>(std::move(out), {x}, ax, keepdim);
}

// ---- mean ----
// d mean(x)/dx_i = 1 / n, n the number of elements averaged
struct MeanBackward final : Node {
  MeanBackward(std::optional<int64_t> a, bool k, double c) : axis(a), keepdim(k), count(c) {}
  std::optional<int64_t> axis;
  bool keepdim;
  double count;
  const char* name() const override { return "mean"; }
  Tensor forward(const std::vector<Tensor>& in) const override {
    return axis ? mean(in[0], *axis, keepdim) : mean(in[0]);
  }
  std::string derivative() const override { return "d mean(x)/dx_i = 1 / n"; }
  Grads backward(const Tensor& g) override {
    const Shape in = input_shape(0);
    return {(axis ? expand_back(g, in, *axis, keepdim) : detail::broadcast_grad(g, in)) / count};
  }
};
Tensor mean(const Tensor& x) {
  detail::check_defined(x, "mean");
  if (!is_floating(x.dtype())) throw_not_floating("mean", x.dtype());  // torch: no mean of integers either
  const double n = static_cast<double>(x.numel());
  Tensor out;
  {
    NoGradGuard raw;
    out = sum(x) / n;  // the empty mean is 0/0 = NaN, as in torch
  }
  return Tensor::record<MeanBackward>(std::move(out), {x}, std::nullopt, false, n);
}
Tensor mean(const Tensor& x, int64_t axis, bool keepdim) {
  detail::check_defined(x, "mean");
  if (!is_floating(x.dtype())) throw_not_floating("mean", x.dtype());
  const int64_t ax = normalize_axis(axis, x.dim(), "mean");
  const double n = x.dim() == 0 ? 1.0 : static_cast<double>(x.size(ax));
  Tensor out;
  {
    NoGradGuard raw;
    out = sum(x, ax, keepdim) / n;
  }
  return Tensor::record<MeanBackward>(std::move(out), {x}, ax, keepdim, n);
}

// ---- max / min over all elements ----
// d max(x)/dx_i = 1/k for each of the k elements equal to the max, else 0 (torch's even split)
struct ExtremumAllBackward final : Node {
  explicit ExtremumAllBackward(bool is_max) : max(is_max) {}
  bool max;
  const char* name() const override { return max ? "max" : "min"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return max ? xg::max(in[0]) : xg::min(in[0]); }
  std::string derivative() const override {
    return max ? "d max(x)/dx_i = 1/k at the k maximal elements, else 0"
               : "d min(x)/dx_i = 1/k at the k minimal elements, else 0";
  }
  Grads backward(const Tensor& g) override {
    const Tensor& x = input(0);
    Tensor ties = dispatch(x.dtype(), name(), [&](auto tag) {
      using T = decltype(tag);
      const Tensor xc = detail::contiguous(x);
      const auto& a = detail::array<T>(xc);
      Array<T> flat(a);
      flat.reshape({a.size()});
      const T best = detail::extremum_along(flat, 0, max).first(0);
      Array<T> mask = xt::cast<T>(xt::equal(a, best));
      const T count = detail::sum_all(mask.data(), mask.size());
      return detail::make_tensor<T>(Array<T>(mask / count));
    });
    return {detail::broadcast_grad(g, x.shape()) * ties};
  }
};
static Tensor extremum_all(const Tensor& x, bool is_max) {
  const char* op = is_max ? "max" : "min";
  detail::check_defined(x, op);
  check_not_empty(x, op);
  Tensor out = dispatch<Dtypes::numeric>(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const Tensor xc = detail::contiguous(x);
    const auto& a = detail::array<T>(xc);
    Array<T> flat(a);
    flat.reshape({a.size()});
    return detail::make_tensor<T>(Array<T>(detail::extremum_along(flat, 0, is_max).first(0)));
  });
  return Tensor::record<ExtremumAllBackward>(std::move(out), {x}, is_max);
}
Tensor max(const Tensor& x) { return extremum_all(x, true); }
Tensor min(const Tensor& x) { return extremum_all(x, false); }

// ---- argmax / argmin ----
static Tensor arg_extremum(const Tensor& x, int64_t axis, bool keepdim, bool is_max) {
  const char* op = is_max ? "argmax" : "argmin";
  detail::check_defined(x, op);
  const int64_t ax = normalize_axis(axis, x.dim(), op);
  check_axis_not_empty(x, ax, op);
  if (x.dim() == 0) return zeros({}, int64);
  return reduce_axis<Dtypes::numeric>(x, ax, keepdim, op, [is_max](const auto& a, size_t k) {
    return detail::extremum_along(a, k, is_max).second;  // the first extremum, as torch
  });
}
Tensor argmax(const Tensor& x, int64_t axis, bool keepdim) { return arg_extremum(x, axis, keepdim, true); }
Tensor argmin(const Tensor& x, int64_t axis, bool keepdim) { return arg_extremum(x, axis, keepdim, false); }

// ---- max / min along an axis ----
// d max(x, axis)/dx = 1 at the first maximal element of each slice, else 0
struct ExtremumAxisBackward final : Node {
  ExtremumAxisBackward(bool is_max, int64_t a, bool k) : max(is_max), axis(a), keepdim(k) {}
  bool max;
  int64_t axis;
  bool keepdim;
  const char* name() const override { return max ? "max" : "min"; }
  Tensor forward(const std::vector<Tensor>& in) const override {
    return max ? xg::max(in[0], axis, keepdim) : xg::min(in[0], axis, keepdim);
  }
  std::string derivative() const override {
    return max ? "d max(x, axis)/dx = 1 at the first maximum, else 0"
               : "d min(x, axis)/dx = 1 at the first minimum, else 0";
  }
  Grads backward(const Tensor& g) override {
    const Tensor& x = input(0);
    if (x.dim() == 0) return {g.reshape({})};
    // one-hot mask of the selected element along the axis, a constant
    Tensor idx = arg_extremum(x, axis, true, max);
    Tensor selected = dispatch(x.dtype(), name(), [&](auto tag) {
      using T = decltype(tag);
      const auto& i = detail::array<int64_t>(idx);
      Shape view_shape(static_cast<size_t>(x.dim()), 1);
      view_shape[axis] = x.size(axis);
      Array<int64_t> pos = xt::arange<int64_t>(x.size(axis));
      pos.reshape(detail::to_xshape<int64_t>(view_shape));
      return detail::make_tensor<T>(Array<T>(xt::cast<T>(xt::equal(pos, i))));
    });
    return {expand_back(g, x.shape(), axis, keepdim) * selected};
  }
};
static Tensor extremum_axis(const Tensor& x, int64_t axis, bool keepdim, bool is_max) {
  const char* op = is_max ? "max" : "min";
  detail::check_defined(x, op);
  const int64_t ax = normalize_axis(axis, x.dim(), op);
  check_axis_not_empty(x, ax, op);
  Tensor out = reduce_axis<Dtypes::numeric>(
      x, ax, keepdim, op, [is_max](const auto& a, size_t k) { return detail::extremum_along(a, k, is_max).first; });
  return Tensor::record<ExtremumAxisBackward>(std::move(out), {x}, is_max, ax, keepdim);
}
Tensor max(const Tensor& x, int64_t axis, bool keepdim) { return extremum_axis(x, axis, keepdim, true); }
Tensor min(const Tensor& x, int64_t axis, bool keepdim) { return extremum_axis(x, axis, keepdim, false); }

// ---- the catalogue (autograd/ops/op_info.hpp): how tests and the docs see this file's ops ----
std::span<const OpInfo> reduce_ops() {
  static const OpInfo ops[] = {
      {.name = "sum",
       .family = "autograd/ops/reduce",
       .signature = "sum(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return sum(o.a); },
       .expression = "sum({a})"},
      {.name = "sum_axis",
       .family = "autograd/ops/reduce",
       .signature = "sum(x, axis, keepdim)",
       .sample = OpSample::axis,
       .call = [](const OpCall& o) { return sum(o.a, o.i0, o.flag); },
       .expression = "sum({a}, {i0}, {flag})"},
      {.name = "mean",
       .family = "autograd/ops/reduce",
       .signature = "mean(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return mean(o.a); },
       .expression = "mean({a})"},
      {.name = "mean_axis",
       .family = "autograd/ops/reduce",
       .signature = "mean(x, axis, keepdim)",
       .sample = OpSample::axis,
       .call = [](const OpCall& o) { return mean(o.a, o.i0, o.flag); },
       .expression = "mean({a}, {i0}, {flag})"},
      {.name = "max",
       .family = "autograd/ops/reduce",
       .signature = "max(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return max(o.a); },
       .expression = "max({a})"},
      {.name = "max_axis",
       .family = "autograd/ops/reduce",
       .signature = "max(x, axis, keepdim)",
       .sample = OpSample::axis,
       .call = [](const OpCall& o) { return max(o.a, o.i0, o.flag); },
       .expression = "max({a}, {i0}, {flag})"},
      {.name = "min",
       .family = "autograd/ops/reduce",
       .signature = "min(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return min(o.a); },
       .expression = "min({a})"},
      {.name = "min_axis",
       .family = "autograd/ops/reduce",
       .signature = "min(x, axis, keepdim)",
       .sample = OpSample::axis,
       .call = [](const OpCall& o) { return min(o.a, o.i0, o.flag); },
       .expression = "min({a}, {i0}, {flag})"},
      {.name = "argmax",
       .family = "autograd/ops/reduce",
       .signature = "argmax(x, axis, keepdim)",
       .not_drawn = "an int64 result: nothing to differentiate"},
      {.name = "argmin",
       .family = "autograd/ops/reduce",
       .signature = "argmin(x, axis, keepdim)",
       .not_drawn = "an int64 result: nothing to differentiate"},
  };
  return ops;
}

}  // namespace xg
