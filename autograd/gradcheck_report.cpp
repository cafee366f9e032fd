// gradcheck's report: GradcheckResult::report (the per-pair table, kinks, small Jacobians) and the
// diagnoses of a mismatch (sign, missing factor, broadcast axes, zero gradient, transposed, kinks).
#include <autograd/detail/gradcheck_internal.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

namespace xg {

namespace {

std::string format_axes(const std::vector<int64_t>& axes) {
  std::string s = axes.size() == 1 ? "axis " : "axes ";
  for (size_t k = 0; k < axes.size(); ++k) s += (k ? ", " : "") + std::to_string(axes[k]);
  return s;
}

// Output axes along which the input was broadcast (input dim 1 or missing, output dim > 1);
// empty when the input's shape does not broadcast to the output's.
std::vector<int64_t> broadcast_axes(const Shape& in, const Shape& out) {
  std::vector<int64_t> axes;
  if (in.size() > out.size()) return {};
  const size_t lead = out.size() - in.size();
  for (size_t d = 0; d < out.size(); ++d) {
    const int64_t in_dim = d < lead ? 1 : in[d - lead];
    if (in_dim == out[d]) continue;
    if (in_dim != 1) return {};
    axes.push_back(static_cast<int64_t>(d));
  }
  return axes;
}

}  // namespace

namespace detail {

std::string diagnose(const PairReport& pair, const std::vector<double>& a, const std::vector<double>& n,
                     const std::vector<char>& ok, int64_t n_out, int64_t n_in, const GradcheckOptions& options) {
  const auto close = [&](double analytic, double numerical) {
    return std::abs(analytic - numerical) <= options.atol + options.rtol * std::abs(numerical);
  };
  std::vector<size_t> failed;
  for (size_t e = 0; e < ok.size(); ++e) {
    if (!ok[e]) failed.push_back(e);
  }
  if (failed.empty()) return {};

  // only at kinks: a subgradient outside the one-sided slopes
  {
    int64_t outside = 0;
    const KinkReport* first = nullptr;
    for (const KinkReport& k : pair.kinks) {
      if (!k.between) {
        ++outside;
        if (!first) first = &k;
      }
    }
    if (first && outside == static_cast<int64_t>(failed.size())) {
      return fmt::format(
          "the error is only at kinks of the function: input {} at {} = {:g} has left slope {:g}, right slope {:g}, "
          "but analytic {:g} lies outside them (a wrong subgradient)",
          pair.input, format_shape(first->element), first->value, first->left, first->right, first->analytic);
    }
  }

  // least-squares ratio analytic / numerical over the whole pair
  double an = 0.0, nn = 0.0;
  for (size_t e = 0; e < a.size(); ++e) {
    an += a[e] * n[e];
    nn += n[e] * n[e];
  }
  const double c = nn > 0 ? an / nn : 0.0;
  bool constant_ratio = nn > 0 && c != 0.0;
  for (size_t e = 0; constant_ratio && e < a.size(); ++e) constant_ratio = close(a[e], c * n[e]);

  // broadcast input: averaged (ratio 1 / broadcast count) or only one slice reached the input
  const std::vector<int64_t> axes = broadcast_axes(pair.input_shape, pair.output_shape);
  if (!axes.empty()) {
    int64_t count = 1;
    for (int64_t d : axes) count *= pair.output_shape[static_cast<size_t>(d)];
    if (constant_ratio && std::abs(c * static_cast<double>(count) - 1.0) < 1e-3) {
      // over an axis of size 2, averaging looks exactly like the common missing 1/2: name both
      return fmt::format(
          "gradient not summed over {}: analytic is 1/{} of numerical, as if averaged instead of summed over the "
          "broadcast {}{}",
          format_axes(axes), count, axes.size() == 1 ? "axis" : "axes",
          count == 2 ? " (or a factor 2 missing everywhere: the two look the same here)" : "");
    }
    std::vector<int64_t> culprit;
    bool only_off_first_slice = true;
    for (size_t e = 0; e < ok.size(); ++e) {
      const Shape out_idx = unravel_index(static_cast<int64_t>(e) / n_in, pair.output_shape);
      bool off = false;
      for (int64_t d : axes) {
        if (out_idx[static_cast<size_t>(d)] != 0) {
          off = true;
          if (!ok[e] && std::find(culprit.begin(), culprit.end(), d) == culprit.end()) culprit.push_back(d);
        }
      }
      if (!ok[e] && !off) only_off_first_slice = false;
    }
    if (only_off_first_slice && !culprit.empty()) {
      std::sort(culprit.begin(), culprit.end());
      return fmt::format(
          "gradient not summed over {}: the entries of the broadcast {} are wrong while index 0 is right, so only "
          "one slice of grad_output reaches the input",
          format_axes(culprit), culprit.size() == 1 ? "axis" : "axes");
    }
  }

  // zero analytic gradient where the numerical one is not
  if (std::all_of(failed.begin(), failed.end(), [&](size_t e) { return a[e] == 0.0; })) {
    return fmt::format(
        "the analytic gradient is 0 where the numerical one is not ({} entries): a disconnected graph, or "
        "assignment instead of accumulation",
        failed.size());
  }

  if (constant_ratio) {
    if (std::abs(c + 1.0) < 1e-3) return "sign flipped: analytic is -1 x numerical everywhere";
    return fmt::format("analytic is {:.4g} x numerical everywhere: a missing factor or a path counted twice", c);
  }

  // transposed: analytic[i][j] == numerical[j][i]
  if (n_out == n_in && n_out > 1) {
    bool transposed = true;
    for (int64_t i = 0; transposed && i < n_out; ++i) {
      for (int64_t j = 0; transposed && j < n_in; ++j) {
        transposed = close(a[i * n_in + j], n[j * n_in + i]);
      }
    }
    if (transposed) {
      return "Jacobian transposed: analytic[i][j] equals numerical[j][i] (the backward multiplies by J, not J^T)";
    }
  }
  return fmt::format("no simple pattern: {} of {} entries out of tolerance, worst at input {} against output {}",
                     failed.size(), ok.size(), format_shape(pair.element), format_shape(pair.output_element));
}

}  // namespace detail

namespace {

std::string format_jacobian(const PairReport& p, bool several_outputs) {
  const int64_t n_in = numel(p.input_shape);
  const int64_t n_out = n_in == 0 ? 0 : static_cast<int64_t>(p.analytic_jacobian.size()) / n_in;
  const std::string output = several_outputs ? fmt::format(" {}", p.output) : "";
  std::string s = fmt::format("  Jacobian d output{} / d input {} (rows: output elements; analytic | numerical):\n",
                              output, p.input);
  for (int64_t i = 0; i < n_out; ++i) {
    s += fmt::format("    {:<8}", format_shape(unravel_index(i, p.output_shape)));
    // + 0.0 prints -0 as 0
    for (int64_t j = 0; j < n_in; ++j) s += fmt::format(" {:>9.4g}", p.analytic_jacobian[i * n_in + j] + 0.0);
    s += "  |";
    for (int64_t j = 0; j < n_in; ++j) s += fmt::format(" {:>9.4g}", p.numerical_jacobian[i * n_in + j] + 0.0);
    s += "\n";
  }
  return s;
}

}  // namespace

std::string GradcheckResult::report() const {
  const bool several_outputs =
      std::any_of(pairs.begin(), pairs.end(), [](const PairReport& p) { return p.output > 0; });
  const std::string tol_rule = fmt::format("atol {:g} + rtol {:g} * |numerical|", options.atol, options.rtol);
  std::string dtypes;
  for (const PairReport& p : pairs) {
    if (p.dtype != Dtype::float64) dtypes = " (float32 inputs checked as float64 copies)";
  }
  // how the differences were taken: eps in float64, or (keep_float32) Stan's step in float32
  const std::string steps = step_note.empty() ? fmt::format("eps {:g}, float64{}", options.eps, dtypes) : step_note;
  // kinks that passed, one line each (the first few)
  std::string kinks;
  int64_t kink_lines = 0, kink_total = 0;
  for (const PairReport& p : pairs) {
    for (const KinkReport& k : p.kinks) {
      ++kink_total;
      if (!k.between || kink_lines >= 5) continue;
      ++kink_lines;
      kinks += fmt::format(
          "  input {} at {} = {:g} is a kink of the function{}: left slope {:g}, right slope {:g}, analytic {:g} lies "
          "between them\n",
          p.input, format_shape(k.element), k.value,
          several_outputs ? fmt::format(" (output {} at {})", p.output, format_shape(k.output_element)) : "", k.left,
          k.right, k.analytic);
    }
  }
  int64_t kinks_between = 0;
  for (const PairReport& p : pairs) {
    kinks_between += std::count_if(p.kinks.begin(), p.kinks.end(), [](const KinkReport& k) { return k.between; });
  }
  if (kinks_between > kink_lines) kinks += fmt::format("  ... and {} more kinks passed\n", kinks_between - kink_lines);

  const std::string fast_line = fast_note.empty() ? "" : "  " + fast_note + "\n";
  if (passed && options.fast && !fast_fallback) {
    return fmt::format("gradcheck passed (fast mode): {} random directions within {} (largest difference {:.3g}; {})",
                       entries_checked, tol_rule, max_difference, steps);
  }
  if (passed) {
    std::string s =
        fast_line + fmt::format("gradcheck passed: {} Jacobian entries within {} (largest difference {:.3g}; {})",
                                entries_checked, tol_rule, max_difference, steps);
    if (!kinks.empty()) s += "\n" + kinks.substr(0, kinks.size() - 1);
    return s;
  }
  std::string s = fmt::format("gradcheck failed: {}", failure);
  if (!fast_note.empty()) s = fast_note + "\n" + s;
  if (input >= 0) {
    s += fmt::format(" for input {} (shape {}){}\n", input, format_shape(input_shape),
                     several_outputs && output >= 0 ? fmt::format(", output {}", output) : "");
    s += fmt::format("  element input{} against output{}\n", format_shape(element), format_shape(output_element));
    s += fmt::format("    analytic   = {:.10g}\n    numerical  = {:.10g}\n", analytic, numerical);
    s += fmt::format("    difference = {:.3g}, tolerance {:.3g} ({})\n", difference, tolerance, tol_rule);
  } else {
    s += "\n";
  }
  if (entries_checked > 0) {
    s += fmt::format("  {} of {} Jacobian entries out of tolerance; {}\n", entries_failed, entries_checked, steps);
  }
  if (!diagnosis.empty()) s += fmt::format("  diagnosis: {}\n", diagnosis);
  if (!pairs.empty()) {
    // an output column only for functions with several outputs
    const bool outputs = several_outputs;
    s += fmt::format("  {:<5} {}{:<9} {:<7} {:<14} {:<14} {:>11} {:>11} {:>9} {:>9} {:>9} {:>13} {:>7}\n", "input",
                     outputs ? "output " : "", "shape", "dtype", "worst element", "output elem", "analytic",
                     "numerical", "abs err", "rel err", "tol", "step", "failed");
    for (const PairReport& p : pairs) {
      const std::string step = p.step_min == p.step_max ? fmt::format("{:.3g}", p.step_min)
                                                        : fmt::format("{:.2g}..{:.2g}", p.step_min, p.step_max);
      s += fmt::format(
          "  {:<5} {}{:<9} {:<7} {:<14} {:<14} {:>11.6g} {:>11.6g} {:>9.3g} {:>9.3g} {:>9.3g} {:>13} {:>7}\n", p.input,
          outputs ? fmt::format("{:<6} ", p.output) : "", format_shape(p.input_shape), dtype_name(p.dtype),
          format_shape(p.element), format_shape(p.output_element), p.analytic, p.numerical, p.abs_error, p.rel_error,
          p.tolerance, step, fmt::format("{}/{}", p.entries_failed, p.entries_checked));
    }
    for (const PairReport& p : pairs) {
      if (!p.passed && !p.diagnosis.empty() && p.diagnosis != diagnosis) {
        s += several_outputs ? fmt::format("  input {}, output {}: {}\n", p.input, p.output, p.diagnosis)
                             : fmt::format("  input {}: {}\n", p.input, p.diagnosis);
      }
    }
  }
  s += kinks;
  for (const PairReport& p : pairs) {
    if (!p.passed && !p.analytic_jacobian.empty()) s += format_jacobian(p, several_outputs);
  }
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

}  // namespace xg
