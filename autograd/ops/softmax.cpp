// softmax / log_softmax. Both are fused: composed from exp, sum and div they overflow for
// inputs above ~88 (float32); subtracting the max along the axis first keeps e^x <= 1.
#include <autograd/ops/softmax.hpp>

#include <autograd/detail/kernels.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>

#include <xtensor/xmath.hpp>
#include <xtensor/xreducer.hpp>

namespace xg {

namespace {

// log(sum(e^x)) along axis, with keepdim, computed as m + log(sum(e^(x - m))), m = max
template <class T>
Array<T> logsumexp_keepdim(const Array<T>& a, size_t axis) {
  Array<T> m = detail::extremum_along(a, axis, true).first;
  // an all -inf row would give -inf - -inf = NaN; use 0 as its shift instead
  m = xt::where(xt::isfinite(m), m, T(0));
  Array<T> s = detail::sum_along(Array<T>(xt::exp(a - m)), axis);
  return Array<T>(m + xt::log(s));
}

}  // namespace

// ---- softmax ----
// d softmax(x)_i/dx_j = y_i (delta_ij - y_j): grad_x = y * (g - sum(g * y, axis))
struct SoftmaxBackward final : Node {
  explicit SoftmaxBackward(int64_t a) : axis(a) {}
  int64_t axis;
  const char* name() const override { return "softmax"; }
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
    return Array<T>(xt::exp(a - logsumexp_keepdim<T>(a, static_cast<size_t>(ax))));
  });
  return Tensor::record<SoftmaxBackward>(std::move(out), {x}, ax);
}

// ---- log_softmax ----
// d log_softmax(x)_i/dx_j = delta_ij - softmax(x)_j: grad_x = g - softmax(x) * sum(g, axis)
struct LogSoftmaxBackward final : Node {
  explicit LogSoftmaxBackward(int64_t a) : axis(a) {}
  int64_t axis;
  const char* name() const override { return "log_softmax"; }
  std::string derivative() const override { return "d log_softmax(x)_i/dx_j = delta_ij - softmax(x)_j"; }
  Grads backward(const Tensor& g) override { return {g - softmax(input(0), axis) * sum(g, axis, true)}; }
};
Tensor log_softmax(const Tensor& x, int64_t axis) {
  detail::check_defined(x, "log_softmax");
  const int64_t ax = normalize_axis(axis, x.dim(), "log_softmax");
  if (x.dim() == 0) return Tensor::record<LogSoftmaxBackward>(zeros_like(x), {x}, ax);
  Tensor out = detail::unary(x, "log_softmax", [ax](const auto& a) {
    using T = typename std::decay_t<decltype(a)>::value_type;
    return Array<T>(a - logsumexp_keepdim<T>(a, static_cast<size_t>(ax)));
  });
  return Tensor::record<LogSoftmaxBackward>(std::move(out), {x}, ax);
}

}  // namespace xg
