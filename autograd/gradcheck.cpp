// gradcheck / gradgradcheck. The numerical Jacobian perturbs one input element at a time
// (x_j +/- eps, column = difference / 2 eps); the analytic one runs one vector-Jacobian
// product per output element with a one-hot grad_output, twice, to catch a non-reentrant
// backward.
#include <autograd/gradcheck.hpp>

#include <autograd/detail/gradcheck_internal.hpp>
#include <autograd/engine.hpp>
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/shape.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <random>

namespace xg {

using detail::AnomalyModeOff;
using detail::CentralDifferences;
using detail::element_step;
using detail::Float64Parameters;
using detail::Jacobians;
using detail::PreparedCheck;
using detail::Roots;
using detail::set_element;

namespace {

// failing pairs with at most this many Jacobian entries keep them whole, for the report
constexpr size_t kWholeJacobianEntries = 36;

TensorsFunction as_list(const TensorFunction& fn) {
  return [fn](const std::vector<Tensor>& xs) { return std::vector<Tensor>{fn(xs)}; };
}

}  // namespace

GradcheckResult gradcheck(const TensorFunction& fn, const std::vector<Tensor>& inputs, GradcheckOptions options) {
  return gradcheck(as_list(fn), inputs, std::move(options));
}

GradcheckResult gradcheck(const TensorsFunction& fn, const std::vector<Tensor>& inputs, GradcheckOptions options) {
  AnomalyModeOff anomaly_off;
  if (!(options.eps > 0) || !(options.atol >= 0) || !(options.rtol >= 0)) {
    throw ValueError(fmt::format("gradcheck: eps must be > 0 and atol, rtol >= 0 (got eps {}, atol {}, rtol {})",
                                 options.eps, options.atol, options.rtol));
  }
  Float64Parameters float64_parameters(options.parameters, options.keep_float32);
  if (options.fast) return detail::fast_gradcheck(fn, inputs, options);
  PreparedCheck prepared = detail::prepare_check(fn, inputs, options, "gradcheck");
  // not a structured binding: lambdas below capture these, which clang 14 refuses for bindings
  std::vector<Tensor>& xs = prepared.xs;
  const std::vector<size_t>& checked = prepared.checked;
  const std::vector<Tensor>& targets = prepared.targets;
  const std::vector<Tensor>& ys = prepared.ys;
  // the Jacobians' rows: output o starts at row offsets[o]
  const std::vector<int64_t>& offsets = prepared.offsets;
  const int64_t n_out = prepared.n_out;
  GradcheckResult result;
  result.options = options;

  const auto evaluate = [&](const std::vector<Tensor>& args) {
    return detail::flat_values(fn(args), static_cast<size_t>(n_out), "gradcheck");
  };
  const CentralDifferences differences = detail::central_differences(fn, prepared, options);
  const Jacobians& numerical = differences.numerical;
  const Jacobians& left = differences.left;
  const Jacobians& right = differences.right;
  const std::vector<double>& base = differences.base;
  const std::vector<std::pair<double, double>>& steps = differences.steps;

  const auto step_text = [&](size_t k) {
    if (xs[checked[k]].dtype() != Dtype::float32) return fmt::format("eps {:g}", options.eps);
    return fmt::format("Stan's step, realised h {:.3g} to {:.3g}", steps[k].first / 2, steps[k].second / 2);
  };
  {
    double smallest_step = INFINITY, largest_step = 0.0;
    for (size_t k = 0; k < checked.size(); ++k) {
      if (xs[checked[k]].dtype() != Dtype::float32 || xs[checked[k]].numel() == 0) continue;
      smallest_step = std::min(smallest_step, steps[k].first);
      largest_step = std::max(largest_step, steps[k].second);
    }
    if (largest_step > 0.0) {
      result.step_note = fmt::format(
          "float32 kept: Stan's step h = cbrt(eps_float32) * max(1, |x|), realised steps h {:.4g} to {:.4g}",
          smallest_step / 2, largest_step / 2);
    }
  }

  // analytic Jacobian: one VJP per output element
  auto analytic_jacobians = [&]() {
    Jacobians a;
    for (size_t c : checked) a.of_input.emplace_back(static_cast<size_t>(n_out * xs[c].numel()), 0.0);
    for (size_t o = 0; o < ys.size(); ++o) {
      if (!ys[o].requires_grad()) continue;  // independent of every checked input: zero rows
      for (int64_t i = 0; i < ys[o].numel(); ++i) {
        std::vector<double> onehot(static_cast<size_t>(ys[o].numel()), 0.0);
        onehot[static_cast<size_t>(i)] = 1.0;
        const Tensor v = from_vector(onehot, ys[o].shape(), {.dtype = ys[o].dtype()});
        const std::vector<Tensor> grads = grad({ys[o]}, targets, {v}, {.retain_graph = true, .allow_unused = true});
        for (size_t k = 0; k < checked.size(); ++k) {
          if (!grads[k].defined()) continue;
          const std::vector<double> row = grads[k].to_vector();
          std::copy(row.begin(), row.end(),
                    a.of_input[k].begin() + (offsets[o] + i) * static_cast<int64_t>(row.size()));
        }
      }
    }
    return a;
  };
  const Jacobians analytic = analytic_jacobians();

  // For a smooth f the one-sided slopes differ by about eps * f'', which halves with the step;
  // at a kink the jump stays. Checked at eps / 2 only for candidate kinks (two more evaluations
  // per input element, cached), so a large f'' is not mistaken for a kink.
  std::vector<std::vector<std::pair<std::vector<double>, std::vector<double>>>> half_steps(checked.size());
  const auto jump_persists = [&](size_t k, int64_t row, int64_t j, double jump) {
    auto& cache = half_steps[k];
    if (cache.empty()) cache.resize(static_cast<size_t>(xs[checked[k]].numel()));
    auto& [plus, minus] = cache[static_cast<size_t>(j)];
    if (plus.empty()) {
      NoGradGuard no_grad;
      std::vector<Tensor> perturbed = xs;
      Tensor x = xs[checked[k]].detach().clone();  // a copy
      x.requires_grad_(true);
      perturbed[checked[k]] = x;
      const double original = xs[checked[k]].to_vector()[static_cast<size_t>(j)];
      const double h = element_step(x, original, options) / 2;
      const double up = set_element(x, j, original + h);
      plus = evaluate(perturbed);
      const double down = set_element(x, j, original - h);
      minus = evaluate(perturbed);
      plus.push_back(up - original);  // the realised half steps ride along at the end
      minus.push_back(original - down);
    }
    const size_t r = static_cast<size_t>(row);
    const double half_jump = (plus[r] - base[r]) / plus.back() - (base[r] - minus[r]) / minus.back();
    return std::abs(half_jump) > 0.75 * std::abs(jump);
  };

  // compare, pair by pair (input k, output o), remembering the worst entry relative to its
  // tolerance, overall and per pair
  double worst_ratio = -1.0;
  for (size_t k = 0; k < checked.size(); ++k) {
    const int64_t n_in = xs[checked[k]].numel();
    const std::vector<double> x_values = xs[checked[k]].to_vector();
    for (size_t o = 0; o < ys.size(); ++o) {
      const Shape out_shape = ys[o].shape();
      const int64_t rows = ys[o].numel();
      const auto block_begin = static_cast<std::ptrdiff_t>(offsets[o] * n_in);
      const auto block_end = block_begin + static_cast<std::ptrdiff_t>(rows * n_in);
      // this pair's block of the Jacobians: [rows of output o][n_in]
      const std::vector<double> a_jac(analytic.of_input[k].begin() + block_begin,
                                      analytic.of_input[k].begin() + block_end);
      const std::vector<double> n_jac(numerical.of_input[k].begin() + block_begin,
                                      numerical.of_input[k].begin() + block_end);
      PairReport pair;
      pair.input = static_cast<int64_t>(checked[k]);
      pair.output = static_cast<int64_t>(o);
      pair.input_shape = xs[checked[k]].shape();
      pair.output_shape = out_shape;
      pair.dtype = inputs[checked[k]].dtype();
      // float64: the nominal eps (the realised steps differ from it by rounding only)
      const bool kept_float32 = xs[checked[k]].dtype() == Dtype::float32;
      pair.step_min = kept_float32 ? steps[k].first / 2 : options.eps;
      pair.step_max = kept_float32 ? steps[k].second / 2 : options.eps;
      pair.step_note = step_text(k);
      std::vector<char> ok_entries(a_jac.size(), 1);
      double pair_worst = -1.0;
      for (int64_t i = 0; i < rows; ++i) {
        for (int64_t j = 0; j < n_in; ++j) {
          const size_t e = static_cast<size_t>(i * n_in + j);
          const size_t global = static_cast<size_t>(block_begin) + e;
          const double a = a_jac[e];
          const double n = n_jac[e];
          const double diff = std::abs(a - n);
          const double tol = options.atol + options.rtol * std::abs(n);
          bool ok = diff <= tol;  // NaN on either side fails
          bool kink_passed = false;
          if (!ok && std::isfinite(a)) {
            // central differences straddling a kink give the average slope; where the one-sided
            // slopes disagree the point is not differentiable and any value between them is a
            // valid subgradient
            const double l = left.of_input[k][global], r = right.of_input[k][global];
            const double kink_tol = options.atol + options.rtol * std::max(std::abs(l), std::abs(r));
            if (std::abs(r - l) > kink_tol && jump_persists(k, offsets[o] + i, j, r - l)) {
              KinkReport kink{unravel_index(j, pair.input_shape),
                              unravel_index(i, out_shape),
                              x_values[static_cast<size_t>(j)],
                              l,
                              r,
                              a,
                              false};
              kink.between = a >= std::min(l, r) - kink_tol && a <= std::max(l, r) + kink_tol;
              ok = kink_passed = kink.between;
              pair.kinks.push_back(std::move(kink));
            }
          }
          ok_entries[e] = ok;
          ++result.entries_checked;
          ++pair.entries_checked;
          if (!ok) {
            ++result.entries_failed;
            ++pair.entries_failed;
          }
          if (kink_passed) continue;  // not a difference: a subgradient
          if (std::isfinite(diff)) result.max_difference = std::max(result.max_difference, diff);
          const double ratio = ok ? diff / (tol > 0 ? tol : 1.0) : (std::isnan(diff) ? INFINITY : diff / tol);
          if (ratio > pair_worst) {
            pair_worst = ratio;
            pair.element = unravel_index(j, pair.input_shape);
            pair.output_element = unravel_index(i, out_shape);
            pair.analytic = a;
            pair.numerical = n;
            pair.abs_error = diff;
            pair.rel_error = diff == 0.0 ? 0.0 : (n == 0.0 ? INFINITY : diff / std::abs(n));
            pair.tolerance = tol;
          }
          if (ratio > worst_ratio) {
            worst_ratio = ratio;
            result.input = static_cast<int64_t>(checked[k]);
            result.output = static_cast<int64_t>(o);
            result.input_shape = xs[checked[k]].shape();
            result.element = unravel_index(j, result.input_shape);
            result.output_element = unravel_index(i, out_shape);
            result.analytic = a;
            result.numerical = n;
            result.difference = diff;
            result.tolerance = tol;
          }
        }
      }
      pair.passed = pair.entries_failed == 0;
      if (!pair.passed) {
        pair.diagnosis = detail::diagnose(pair, a_jac, n_jac, ok_entries, rows, n_in, options);
        if (result.diagnosis.empty()) result.diagnosis = pair.diagnosis;
      }
      if (a_jac.size() <= kWholeJacobianEntries) {
        pair.analytic_jacobian = a_jac;
        pair.numerical_jacobian = n_jac;
      }
      result.pairs.push_back(std::move(pair));
    }
  }
  if (result.entries_failed > 0) {
    result.passed = false;
    result.failure = "Jacobian mismatch";
    return result;
  }

  // which output a Jacobian row belongs to, and the row within it
  const auto locate_row = [&](int64_t row) {
    size_t o = 0;
    while (o + 1 < offsets.size() && offsets[o + 1] <= row) ++o;
    return std::pair<size_t, int64_t>{o, row - offsets[o]};
  };
  const Roots roots = detail::roots_with(ys, std::vector<double>(static_cast<size_t>(n_out), 0.0));
  if (options.check_contract && !roots.outputs.empty()) {
    const Jacobians again = analytic_jacobians();
    for (size_t k = 0; k < checked.size(); ++k) {
      const int64_t n_in = xs[checked[k]].numel();
      for (size_t e = 0; e < again.of_input[k].size(); ++e) {
        if (again.of_input[k][e] != analytic.of_input[k][e]) {
          const auto [o, row] = locate_row(static_cast<int64_t>(e) / n_in);
          result.passed = false;
          result.failure = "backward is not reentrant (two runs with the same grad_output gave different gradients)";
          result.input = static_cast<int64_t>(checked[k]);
          result.output = static_cast<int64_t>(o);
          result.input_shape = xs[checked[k]].shape();
          result.element = unravel_index(static_cast<int64_t>(e) % n_in, result.input_shape);
          result.output_element = unravel_index(row, ys[o].shape());
          result.analytic = analytic.of_input[k][e];
          result.numerical = again.of_input[k][e];
          result.difference = std::abs(result.analytic - result.numerical);
          result.tolerance = 0.0;
          return result;
        }
      }
    }
    // a zero grad_output for every output at once
    const std::vector<Tensor> zero_grads =
        grad(roots.outputs, targets, roots.grad_outputs, {.retain_graph = true, .allow_unused = true});
    for (size_t k = 0; k < checked.size(); ++k) {
      if (!zero_grads[k].defined()) continue;
      const std::vector<double> values = zero_grads[k].to_vector();
      for (size_t e = 0; e < values.size(); ++e) {
        if (values[e] != 0.0) {
          result.passed = false;
          result.failure = "non-zero gradient for a zero grad_output";
          result.input = static_cast<int64_t>(checked[k]);
          result.output = -1;
          result.input_shape = xs[checked[k]].shape();
          result.element = unravel_index(static_cast<int64_t>(e), result.input_shape);
          result.output_element = {};
          result.analytic = values[e];
          result.numerical = 0.0;
          result.difference = std::abs(values[e]);
          result.tolerance = 0.0;
          return result;
        }
      }
    }
  }
  return result;
}

GradcheckResult gradgradcheck(const TensorFunction& fn, const std::vector<Tensor>& inputs, GradcheckOptions options) {
  return gradgradcheck(as_list(fn), inputs, std::move(options));
}

GradcheckResult gradgradcheck(const TensorsFunction& fn, const std::vector<Tensor>& inputs, GradcheckOptions options) {
  AnomalyModeOff anomaly_off;
  Float64Parameters float64_parameters(options.parameters, options.keep_float32);
  const PreparedCheck prepared = detail::prepare_check(fn, inputs, options, "gradgradcheck");
  const std::vector<Tensor>& xs = prepared.xs;
  const std::vector<Tensor>& ys = prepared.ys;

  // a fixed-seed v per output so that a failure reproduces; it does not touch the global generator
  std::mt19937_64 engine(0x5eed);
  std::normal_distribution<double> normal;
  std::vector<Tensor> args = xs;
  for (const Tensor& y : ys) {
    std::vector<double> v_values(static_cast<size_t>(y.numel()));
    for (double& v : v_values) v = normal(engine);
    // float64 like the inputs, unless float32 is kept (then v is checked in float32 too)
    const Dtype v_dtype = options.keep_float32 ? y.dtype() : Dtype::float64;
    args.push_back(from_vector(v_values, y.shape(), {.dtype = v_dtype, .requires_grad = true}));
  }

  const size_t n = xs.size();
  TensorFunction first_derivative = [&fn, n](const std::vector<Tensor>& all) {
    const std::vector<Tensor> x(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
    std::vector<Tensor> targets;
    for (const auto& t : x) {
      if (t.requires_grad()) targets.push_back(t);
    }
    AutoGradMode grad_mode(true);  // the numerical side calls this under NoGradGuard
    const std::vector<Tensor> outs = fn(x);
    std::vector<Tensor> roots, vs;
    for (size_t o = 0; o < outs.size() && n + o < all.size(); ++o) {
      if (!outs[o].requires_grad()) continue;
      roots.push_back(outs[o]);
      vs.push_back(all[n + o]);
    }
    std::vector<Tensor> parts;
    if (!roots.empty()) {
      for (const Tensor& g : grad(roots, targets, vs, {.create_graph = true, .allow_unused = true})) {
        if (g.defined()) parts.push_back(reshape(g, {-1}));
      }
    }
    if (parts.empty()) return zeros({0}, Dtype::float64);
    return concat(parts, 0);
  };
  GradcheckOptions second = options;
  second.allow_float32 = false;  // already converted
  second.parameters.clear();     // already float64 (or kept float32) for the whole check
  return gradcheck(first_derivative, args, second);
}

}  // namespace xg
