// clip_grad_norm_ and clip_grad_value_: the norm is accumulated in double over the raw data;
// gradients are rewritten with the in-place methods, under NoGradGuard.
#include <optim/clip_grad.hpp>

#include <autograd/dtype.hpp>
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/ops/elementwise.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

namespace xg::optim {

namespace {

// The defined gradients of `params`; the rest have nothing to clip.
std::vector<Tensor> grads_of(const std::vector<Tensor>& params, const char* op) {
  std::vector<Tensor> grads;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].defined())
      throw ValueError(fmt::format("{}: parameter {} is undefined, valid: defined tensors", op, i));
    if (params[i].grad().defined()) grads.push_back(params[i].grad());
  }
  return grads;
}

// ||grad||_p of one gradient, accumulated in double.
double norm_of(const Tensor& grad, double norm_type) {
  return dispatch(grad.dtype(), "clip_grad_norm_", [&](auto tag) {
    using T = decltype(tag);
    const Tensor dense = grad.contiguous();
    const T* values = dense.data_ptr<T>();
    const int64_t count = grad.numel();
    double accumulated = 0.0;
    if (std::isinf(norm_type)) {
      for (int64_t k = 0; k < count; ++k) {
        const double magnitude = std::abs(static_cast<double>(values[k]));
        // NaN wins, as torch's max does
        if (!(magnitude <= accumulated)) accumulated = magnitude;
      }
      return accumulated;
    }
    if (norm_type == 2.0) {
      for (int64_t k = 0; k < count; ++k)
        accumulated += static_cast<double>(values[k]) * static_cast<double>(values[k]);
      return std::sqrt(accumulated);
    }
    for (int64_t k = 0; k < count; ++k) accumulated += std::pow(std::abs(static_cast<double>(values[k])), norm_type);
    return std::pow(accumulated, 1.0 / norm_type);
  });
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
  if (!(max_norm >= 0)) {
    throw ValueError(fmt::format("clip_grad_norm_: invalid max_norm, max_norm = {}, valid: max_norm >= 0", max_norm));
  }
  if (!(norm_type > 0)) {
    throw ValueError(
        fmt::format("clip_grad_norm_: invalid norm_type, norm_type = {}, valid: > 0 or INFINITY", norm_type));
  }
  const std::vector<Tensor> grads = grads_of(params, "clip_grad_norm_");
  if (grads.empty()) return 0.0;

  // as torch: the norm of the per-gradient norms, which equals the norm of all elements at once
  double total_norm = 0.0;
  if (std::isinf(norm_type)) {
    for (const Tensor& grad : grads) {
      const double norm = norm_of(grad, norm_type);
      if (!(norm <= total_norm)) total_norm = norm;
    }
  } else {
    for (const Tensor& grad : grads) total_norm += std::pow(norm_of(grad, norm_type), norm_type);
    total_norm = std::pow(total_norm, 1.0 / norm_type);
  }
  if (error_if_nonfinite && !std::isfinite(total_norm)) {
    throw ValueError(
        fmt::format("clip_grad_norm_: the total norm of order {} of the gradients is non-finite, {}, "
                    "valid: a finite norm (or error_if_nonfinite = false to scale by it anyway)",
                    norm_type, total_norm));
  }

  // the 1e-6 keeps the coefficient finite for all-zero gradients; below max_norm nothing changes
  const double clip_coef = max_norm / (total_norm + 1e-6);
  if (!(clip_coef >= 1.0)) {  // NaN included: torch scales by it too
    NoGradGuard no_grad;      // a gradient built with create_graph requires grad itself
    for (Tensor grad : grads) grad.mul_(clip_coef);
  }
  return total_norm;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
  if (!(clip_value >= 0)) {
    throw ValueError(
        fmt::format("clip_grad_value_: invalid clip_value, clip_value = {}, valid: clip_value >= 0", clip_value));
  }
  const std::vector<Tensor> grads = grads_of(params, "clip_grad_value_");
  NoGradGuard no_grad;
  // every clamped copy exists before the first gradient is overwritten
  std::vector<Tensor> clamped;
  clamped.reserve(grads.size());
  for (const Tensor& grad : grads) clamped.push_back(clamp(grad, -clip_value, clip_value));
  for (size_t i = 0; i < grads.size(); ++i) Tensor(grads[i]).copy_(clamped[i]);
}

}  // namespace xg::optim
