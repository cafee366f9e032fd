// gradcheck's fast mode: one random direction per input instead of the whole Jacobian, falling
// back to the full check on a mismatch.
#include <autograd/detail/gradcheck_internal.hpp>

#include <autograd/engine.hpp>
#include <autograd/grad_mode.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <random>

namespace xg::detail {

// fast mode: per input, v^T (J u) by one central difference against (v^T J) u from one backward
// pass (shared by all inputs); a mismatch falls back to the full check. The difference divides
// by the realised displacement, so float32 inputs (keep_float32) are perturbed as float32 with
// Stan's step.
GradcheckResult fast_gradcheck(const TensorsFunction& fn, const std::vector<Tensor>& inputs, GradcheckOptions options) {
  PreparedCheck prepared = prepare_check(fn, inputs, options, "gradcheck");
  // not a structured binding: lambdas below capture these, which clang 14 refuses for bindings
  std::vector<Tensor>& xs = prepared.xs;
  const std::vector<size_t>& checked = prepared.checked;
  const std::vector<Tensor>& targets = prepared.targets;
  const std::vector<Tensor>& ys = prepared.ys;
  const size_t n_out = static_cast<size_t>(prepared.n_out);
  GradcheckResult result;
  result.options = options;

  // fixed seed, so that a failure reproduces; the global generator is not touched
  std::mt19937_64 engine(0xfa57);
  std::normal_distribution<double> normal;
  const auto unit = [&](size_t n) {
    std::vector<double> d(n);
    double norm = 0.0;
    for (double& e : d) {
      e = normal(engine);
      norm += e * e;
    }
    norm = std::sqrt(norm);
    for (double& e : d) e = norm > 0 ? e / norm : 0.0;
    return d;
  };
  const std::vector<double> v = unit(n_out);
  std::vector<Tensor> grads(checked.size());
  const Roots roots = roots_with(ys, v);
  if (!roots.outputs.empty()) grads = grad(roots.outputs, targets, roots.grad_outputs, {.allow_unused = true});
  std::string mismatch;
  double smallest_step = INFINITY, largest_step = 0.0;
  for (size_t k = 0; k < checked.size(); ++k) {
    const size_t c = checked[k];
    const std::vector<double> u = unit(static_cast<size_t>(xs[c].numel()));
    const std::vector<double> values = xs[c].to_vector();
    double largest = 0.0;
    for (double x : values) largest = std::max(largest, std::abs(x));
    const double h = element_step(xs[c], largest, options);
    // x +/- h u, stored in the input's dtype; what was stored is the realised point
    const auto shifted = [&](double sign) {
      std::vector<double> moved = values;
      for (size_t e = 0; e < moved.size(); ++e) moved[e] += sign * h * u[e];
      return from_vector(moved, xs[c].shape(), {.dtype = xs[c].dtype(), .requires_grad = true});
    };
    const Tensor up = shifted(1.0), down = shifted(-1.0);
    const std::vector<double> up_values = up.to_vector(), down_values = down.to_vector();
    double analytic = 0.0;  // (v^T J) (x_up - x_down) / 2h
    if (grads[k].defined()) {
      const std::vector<double> g = grads[k].to_vector();
      for (size_t e = 0; e < u.size(); ++e) analytic += g[e] * (up_values[e] - down_values[e]);
    }
    analytic /= 2.0 * h;
    double numerical = 0.0;  // v^T (f(x_up) - f(x_down)) / 2h
    {
      NoGradGuard no_grad;
      const auto at = [&](const Tensor& x) {
        std::vector<Tensor> perturbed = xs;
        perturbed[c] = x;
        return flat_values(fn(perturbed), n_out, "gradcheck");
      };
      const std::vector<double> plus = at(up), minus = at(down);
      for (size_t i = 0; i < n_out; ++i) numerical += v[i] * (plus[i] - minus[i]);
      numerical /= 2.0 * h;
    }
    if (xs[c].dtype() == Dtype::float32) {
      smallest_step = std::min(smallest_step, 2.0 * h);  // as up - down in the full check; halved below
      largest_step = std::max(largest_step, 2.0 * h);
    }
    const double diff = std::abs(analytic - numerical);
    const double tol = options.atol + options.rtol * std::abs(numerical);
    ++result.entries_checked;
    if (std::isfinite(diff)) result.max_difference = std::max(result.max_difference, diff);
    if (!(diff <= tol) && mismatch.empty()) {
      mismatch = fmt::format(
          "fast mode: for input {} the random direction gave v^T J u = {:.10g} analytic against {:.10g} numerical "
          "(difference {:.3g}, tolerance {:.3g}); fell back to the full check",
          c, analytic, numerical, diff, tol);
    }
  }
  if (largest_step > 0.0) {
    result.step_note = fmt::format(
        "float32 kept: Stan's step h = cbrt(eps_float32) * max(1, max |x|), realised steps h {:.4g} to {:.4g}",
        smallest_step / 2, largest_step / 2);
  }
  if (mismatch.empty()) return result;
  options.fast = false;
  GradcheckResult full = gradcheck(fn, inputs, options);
  full.options.fast = true;
  full.fast_fallback = true;
  full.fast_note = mismatch;
  return full;
}

}  // namespace xg::detail
