// softmax / log_softmax. Both are fused: composed from exp, sum and div they overflow for
// inputs above ~88 (float32); subtracting the max along the axis first keeps e^x <= 1.
#include <autograd/ops/softmax.hpp>

#include <autograd/detail/kernels.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/op_info.hpp>
#include <autograd/ops/reduce.hpp>

#include <xtensor/xmath.hpp>
#include <xtensor/xreducer.hpp>

namespace xg {

namespace {

// x - m along axis, m the max (kept), so that e^(x - m) <= 1. Both ops keep working with x - m
// rather than forming m + log(sum) first: in float32 that sum is rounded to the spacing of m
// (6e-5 at m = 1000), which would cost every output that much (torch subtracts m first too).
template <class T, class A>
Array<T> shifted_by_max(const A& a, size_t axis) {
  if (a.shape()[axis] == 0) return Array<T>(a);  // an empty axis has no max to read (the result is empty too)
  Array<T> m = detail::extremum_along(a, axis, true).first;
  // an all -inf row would give -inf - -inf = NaN here; use 0 as its shift instead
  m = xt::where(xt::isfinite(m), m, T(0));
  return Array<T>(a - m);
}

}  // namespace

// ---- softmax ----
// d softmax(x)_i/dx_j = y_i (delta_ij - y_j): grad_x = y * (g - sum(g * y, axis))
struct SoftmaxBackward final : Node {
  explicit SoftmaxBackward(int64_t a) : axis(a) {}
  int64_t axis;
  const char* name() const override { return "softmax"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return softmax(in[0], axis); }
  std::string extra_args() const override { return fmt::format("axis={}", axis); }
  std::string derivative() const override { return "d softmax(x)_i/dx_j = y_i * (delta_ij - y_j)"; }
  Grads backward(const Tensor& g) override {
    Tensor y = softmax(input(0), axis);
    return {y * (g - sum(g * y, axis, true))};
  }
};
Tensor softmax(const Tensor& x, int64_t axis) {
  detail::check_defined(x, "softmax");
  const int64_t ax = normalize_axis(axis, x.dim(), "softmax");
  if (x.dim() == 0) return Tensor::record<SoftmaxBackward>(ones_like(x), {x}, ax);
  Tensor out = detail::unary(x, "softmax", [ax](const auto& a) {
    using T = typename std::decay_t<decltype(a)>::value_type;
    Array<T> e = xt::exp(shifted_by_max<T>(a, static_cast<size_t>(ax)));
    return Array<T>(e / detail::sum_along(e, static_cast<size_t>(ax)));
  });
  return Tensor::record<SoftmaxBackward>(std::move(out), {x}, ax);
}

// ---- log_softmax ----
// d log_softmax(x)_i/dx_j = delta_ij - softmax(x)_j: grad_x = g - softmax(x) * sum(g, axis)
struct LogSoftmaxBackward final : Node {
  explicit LogSoftmaxBackward(int64_t a) : axis(a) {}
  int64_t axis;
  const char* name() const override { return "log_softmax"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return log_softmax(in[0], axis); }
  std::string extra_args() const override { return fmt::format("axis={}", axis); }
  std::string derivative() const override { return "d log_softmax(x)_i/dx_j = delta_ij - softmax(x)_j"; }
  Grads backward(const Tensor& g) override { return {g - softmax(input(0), axis) * sum(g, axis, true)}; }
};
Tensor log_softmax(const Tensor& x, int64_t axis) {
  detail::check_defined(x, "log_softmax");
  const int64_t ax = normalize_axis(axis, x.dim(), "log_softmax");
  if (x.dim() == 0) return Tensor::record<LogSoftmaxBackward>(zeros_like(x), {x}, ax);
  Tensor out = detail::unary(x, "log_softmax", [ax](const auto& a) {
    using T = typename std::decay_t<decltype(a)>::value_type;
    Array<T> z = shifted_by_max<T>(a, static_cast<size_t>(ax));
    return Array<T>(z - xt::log(detail::sum_along(Array<T>(xt::exp(z)), static_cast<size_t>(ax))));
  });
  return Tensor::record<LogSoftmaxBackward>(std::move(out), {x}, ax);
}

// ---- the catalogue (autograd/ops/op_info.hpp): how tests and the docs see this file's ops ----
std::span<const OpInfo> softmax_ops() {
  static const OpInfo ops[] = {
      {.name = "softmax",
       .family = "autograd/ops/softmax",
       .signature = "softmax(x, axis)",
       .sample = OpSample::axis,
       .call = [](const OpCall& o) { return softmax(o.a, o.i0); },
       .expression = "softmax({a}, {i0})"},
      {.name = "log_softmax",
       .family = "autograd/ops/softmax",
       .signature = "log_softmax(x, axis)",
       .sample = OpSample::axis,
       .call = [](const OpCall& o) { return log_softmax(o.a, o.i0); },
       .expression = "log_softmax({a}, {i0})"},
  };
  return ops;
}

}  // namespace xg
