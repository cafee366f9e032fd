// gradcheck / gradgradcheck. The numerical Jacobian perturbs one input element at a time
// (x_j +/- eps, column = difference / 2 eps); the analytic one runs one vector-Jacobian
// product per output element with a one-hot grad_output, twice, to catch a non-reentrant
// backward.
#include <autograd/gradcheck.hpp>

#include <autograd/anomaly.hpp>
#include <autograd/engine.hpp>
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/shape.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

namespace xg {

namespace {

// The checks run with anomaly mode off: their one-hot VJPs and perturbed inputs may legitimately
// meet an infinite gradient (sqrt at 0), which must end up in the report, not in an AnomalyError;
// and the ops they re-record need no creation sites.
class AnomalyModeOff : public AnomalyModeGuard {
 public:
  AnomalyModeOff() : AnomalyModeGuard(false) {}
};

// Inputs as float64 tensors with their own storage (so perturbing them touches nothing of
// the caller's); float32 is converted only when allowed.
std::vector<Tensor> prepare_inputs(const std::vector<Tensor>& inputs, const GradcheckOptions& options, const char* op) {
  std::vector<Tensor> out;
  bool any = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.defined()) throw ValueError(fmt::format("{}: input {} is undefined", op, i));
    Tensor copy = x.detach();
    if (x.dtype() == Dtype::float32 && options.keep_float32) {
      // checked as it is: steps by Stan's rule, see element_step
    } else if (x.dtype() == Dtype::float32) {
      if (!options.allow_float32) {
        throw DtypeError(fmt::format(
            "{}: input {} is float32; central differences in float32 are too inexact to check gradients "
            "(errors ~1e-2). Pass float64 inputs, or set GradcheckOptions{{.allow_float32 = true}} to check "
            "float64 copies",
            op, i));
      }
      copy = copy.to(Dtype::float64);
    }
    if (x.requires_grad()) {
      copy.requires_grad_(true);
      any = true;
    }
    out.push_back(copy);
  }
  if (!any) throw ValueError(fmt::format("{}: no input requires grad, so there is nothing to check", op));
  return out;
}

// Writes `value` into element j of a float64 or float32 copy; returns the value actually stored
// (for float32, rounded: the realised point).
double set_element(Tensor& x, int64_t j, double value) {
  if (x.dtype() == Dtype::float32) {
    float* p = x.data_ptr<float>();
    p[j] = static_cast<float>(value);
    return p[j];
  }
  double* p = x.data_ptr<double>();
  p[j] = value;
  return p[j];
}

// The step for element value x: eps in float64; Stan's rule cbrt(eps_float32) * max(1, |x|) in
// float32, which balances truncation (~h^2) against float32 rounding (~eps / h).
double element_step(const Tensor& x, double value, const GradcheckOptions& options) {
  if (x.dtype() != Dtype::float32) return options.eps;
  return std::cbrt(static_cast<double>(std::numeric_limits<float>::epsilon())) * std::max(1.0, std::abs(value));
}

// The inputs that require grad: their positions, and the tensors (the targets of xg::grad).
std::pair<std::vector<size_t>, std::vector<Tensor>> inputs_to_check(const std::vector<Tensor>& xs) {
  std::vector<size_t> checked;
  std::vector<Tensor> targets;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (xs[i].requires_grad()) {
      checked.push_back(i);
      targets.push_back(xs[i]);
    }
  }
  return {checked, targets};
}

struct Jacobians {
  // per checked input: [output numel][input numel], row-major
  std::vector<std::vector<double>> of_input;
};

// Converts float32 parameters to float64 in place and puts the original data back on
// destruction (also during stack unwinding), bit for bit.
class Float64Parameters {
 public:
  // With keep_float32 nothing is converted: the model is checked in its own precision.
  Float64Parameters(const std::vector<Tensor>& parameters, bool keep_float32) {
    if (keep_float32) return;
    NoGradGuard no_grad;
    try {
      for (const Tensor& p : parameters) {
        if (!p.defined() || p.dtype() != Dtype::float32) continue;
        Tensor param = p;
        saved_.push_back({param, param.detach()});  // detach copies the data
        param.set_data(param.detach().to(Dtype::float64));
      }
    } catch (...) {
      restore();  // a half-built guard has no destructor run: undo what was converted
      throw;
    }
  }
  ~Float64Parameters() { restore(); }
  Float64Parameters(const Float64Parameters&) = delete;
  void restore() {
    NoGradGuard no_grad;
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) it->first.set_data(it->second);
    saved_.clear();
  }
  Float64Parameters& operator=(const Float64Parameters&) = delete;

 private:
  std::vector<std::pair<Tensor, Tensor>> saved_;
};

constexpr size_t kWholeJacobianEntries = 36;

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

// One sentence naming the pattern of a failing pair's mismatch. `ok[e]` says whether entry e
// passed; a, n are the analytic and numerical Jacobians [n_out][n_in].
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

namespace {

// fn's outputs, each a defined float tensor.
std::vector<Tensor> outputs_of(const TensorsFunction& fn, const std::vector<Tensor>& xs, const char* op) {
  std::vector<Tensor> ys = fn(xs);
  if (ys.empty()) throw ValueError(fmt::format("{}: fn returned no outputs", op));
  for (size_t o = 0; o < ys.size(); ++o) {
    if (ys[o].defined() && is_floating(ys[o].dtype())) continue;
    if (ys.size() == 1) throw ValueError(fmt::format("{}: fn must return a defined float tensor", op));
    throw ValueError(fmt::format("{}: output {} of fn is not a defined float tensor", op, o));
  }
  return ys;
}

// All outputs' values in float64, output after output: the rows of the Jacobians.
std::vector<double> flat_values(const std::vector<Tensor>& ys, size_t expected, const char* op) {
  std::vector<double> values;
  values.reserve(expected);
  for (const Tensor& y : ys) {
    const std::vector<double> part = y.to(Dtype::float64).to_vector();
    values.insert(values.end(), part.begin(), part.end());
  }
  if (values.size() != expected) {
    throw ValueError(fmt::format("{}: fn returned {} output elements for perturbed inputs, {} for the originals", op,
                                 values.size(), expected));
  }
  return values;
}

// The outputs that depend on a checked input, with their grad_outputs cut from `flat`.
struct Roots {
  std::vector<Tensor> outputs, grad_outputs;
};
Roots roots_with(const std::vector<Tensor>& ys, const std::vector<double>& flat) {
  Roots r;
  size_t offset = 0;
  for (const Tensor& y : ys) {
    const size_t n = static_cast<size_t>(y.numel());
    if (y.requires_grad()) {
      r.outputs.push_back(y);
      r.grad_outputs.push_back(from_vector(std::vector<double>(flat.begin() + static_cast<std::ptrdiff_t>(offset),
                                                               flat.begin() + static_cast<std::ptrdiff_t>(offset + n)),
                                           y.shape(), {.dtype = y.dtype()}));
    }
    offset += n;
  }
  return r;
}

size_t total_numel(const std::vector<Tensor>& ys) {
  size_t n = 0;
  for (const Tensor& y : ys) n += static_cast<size_t>(y.numel());
  return n;
}

// fast mode: per input, v^T (J u) by one central difference against (v^T J) u from one backward
// pass (shared by all inputs); a mismatch falls back to the full check. The difference divides
// by the realised displacement, so float32 inputs (keep_float32) are perturbed as float32 with
// Stan's step.
GradcheckResult fast_gradcheck(const TensorsFunction& fn, const std::vector<Tensor>& inputs, GradcheckOptions options) {
  std::vector<Tensor> xs = prepare_inputs(inputs, options, "gradcheck");
  GradcheckResult result;
  result.options = options;
  // not a structured binding: lambdas below capture these, which clang 14 refuses for bindings
  auto [checked_, targets_] = inputs_to_check(xs);
  const std::vector<size_t> checked = std::move(checked_);
  const std::vector<Tensor> targets = std::move(targets_);
  const std::vector<Tensor> ys = outputs_of(fn, xs, "gradcheck");
  const size_t n_out = total_numel(ys);

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
  if (options.fast) return fast_gradcheck(fn, inputs, options);
  std::vector<Tensor> xs = prepare_inputs(inputs, options, "gradcheck");
  GradcheckResult result;
  result.options = options;

  // not a structured binding: lambdas below capture these, which clang 14 refuses for bindings
  auto [checked_, targets_] = inputs_to_check(xs);
  const std::vector<size_t> checked = std::move(checked_);
  const std::vector<Tensor> targets = std::move(targets_);

  const std::vector<Tensor> ys = outputs_of(fn, xs, "gradcheck");
  // the Jacobians' rows are all outputs' elements, output after output; output o starts at row
  // offsets[o]
  std::vector<int64_t> offsets;
  int64_t n_out = 0;
  for (const Tensor& y : ys) {
    offsets.push_back(n_out);
    n_out += y.numel();
  }
  const auto evaluate = [&](const std::vector<Tensor>& args) {
    return flat_values(fn(args), static_cast<size_t>(n_out), "gradcheck");
  };

  // numerical Jacobian, evaluated in float64 without recording; the one-sided differences
  // (f(x + eps) - f(x)) / eps and (f(x) - f(x - eps)) / eps are kept to recognise kinks
  Jacobians numerical, left, right;
  std::vector<double> base;
  // per checked input: the smallest and largest realised step up - down
  std::vector<std::pair<double, double>> steps(checked.size(), {INFINITY, 0.0});
  {
    NoGradGuard no_grad;
    base = flat_values(ys, static_cast<size_t>(n_out), "gradcheck");
    for (size_t k = 0; k < checked.size(); ++k) {
      const size_t c = checked[k];
      const int64_t n_in = xs[c].numel();
      std::vector<double> jac(static_cast<size_t>(n_out * n_in));
      std::vector<double> jac_left(jac.size()), jac_right(jac.size());
      const std::vector<double> originals = xs[c].to_vector();
      for (int64_t j = 0; j < n_in; ++j) {
        std::vector<Tensor> perturbed = xs;
        Tensor x = xs[c].detach();
        x.requires_grad_(true);  // fn may differentiate internally (gradgradcheck does)
        perturbed[c] = x;
        const double original = originals[static_cast<size_t>(j)];
        const double h = element_step(x, original, options);
        const double up = set_element(x, j, original + h);  // the realised points
        const std::vector<double> plus = evaluate(perturbed);
        const double down = set_element(x, j, original - h);
        const std::vector<double> minus = evaluate(perturbed);
        steps[k].first = std::min(steps[k].first, up - down);
        steps[k].second = std::max(steps[k].second, up - down);
        for (int64_t i = 0; i < n_out; ++i) {
          jac[i * n_in + j] = (plus[i] - minus[i]) / (up - down);
          jac_left[i * n_in + j] = (base[i] - minus[i]) / (original - down);
          jac_right[i * n_in + j] = (plus[i] - base[i]) / (up - original);
        }
      }
      numerical.of_input.push_back(std::move(jac));
      left.of_input.push_back(std::move(jac_left));
      right.of_input.push_back(std::move(jac_right));
    }
  }

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
      Tensor x = xs[checked[k]].detach();  // a copy
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
        pair.diagnosis = diagnose(pair, a_jac, n_jac, ok_entries, rows, n_in, options);
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
  const Roots roots = roots_with(ys, std::vector<double>(static_cast<size_t>(n_out), 0.0));
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
  std::vector<Tensor> xs = prepare_inputs(inputs, options, "gradgradcheck");
  const std::vector<Tensor> ys = outputs_of(fn, xs, "gradgradcheck");

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

namespace {

std::vector<Tensor> random_inputs(const std::vector<Shape>& shapes, std::mt19937_64& engine) {
  std::normal_distribution<double> normal;
  std::vector<Tensor> inputs;
  for (const Shape& shape : shapes) {
    std::vector<double> values(static_cast<size_t>(numel(shape)));
    for (double& v : values) v = normal(engine);
    inputs.push_back(from_vector(values, shape, {.dtype = Dtype::float64, .requires_grad = true}));
  }
  return inputs;
}

// Runs one check; an error thrown by fn or its backward (a gradient of the wrong shape, say)
// fails the case with the error's message instead of ending the sweep.
template <class Check>
CheckOpCase gradcheck_case(std::string name, Check&& check) {
  try {
    const GradcheckResult r = check();
    return {std::move(name), r.passed, false, r.report()};
  } catch (const std::exception& e) {
    return {std::move(name), false, false, fmt::format("threw: {}", e.what())};
  }
}

}  // namespace

std::string CheckOpResult::report() const {
  std::string s = fmt::format("check_op {}:\n", passed ? "passed" : "failed");
  for (const CheckOpCase& c : cases) {
    s += fmt::format("  {:<20} {}\n", c.name,
                     c.skipped  ? "skipped (fn does not broadcast it)"
                     : c.passed ? "ok"
                                : "FAILED");
  }
  for (const CheckOpCase& c : cases) {
    if (c.passed || c.skipped) continue;
    s += fmt::format("{}:\n", c.name);
    for (size_t start = 0; start < c.report.size();) {
      const size_t end = std::min(c.report.find('\n', start), c.report.size());
      s += "    " + c.report.substr(start, end - start) + "\n";
      start = end + 1;
    }
  }
  s.pop_back();
  return s;
}

CheckOpResult check_op(const TensorFunction& fn, const std::vector<Shape>& shapes, GradcheckOptions options) {
  if (shapes.empty()) throw ValueError("check_op: give at least one input shape");
  AnomalyModeOff anomaly_off;
  std::mt19937_64 engine(0xc4ec);
  const std::vector<Tensor> inputs = random_inputs(shapes, engine);
  CheckOpResult result;
  GradcheckOptions jacobian_only = options;
  jacobian_only.check_contract = false;  // the contract has its own cases below
  result.cases.push_back(gradcheck_case("gradcheck", [&] { return gradcheck(fn, inputs, jacobian_only); }));
  result.cases.push_back(gradcheck_case("gradgradcheck", [&] { return gradgradcheck(fn, inputs, jacobian_only); }));

  CheckOpCase zero{"zero grad_output", true, false, "a zero grad_output gave zero gradients"};
  CheckOpCase reentrant{"reentrancy", true, false, "two backward passes gave identical gradients"};
  try {
    Float64Parameters float64_parameters(options.parameters, options.keep_float32);
    const Tensor y = fn(inputs);
    const std::vector<Tensor> targets(inputs.begin(), inputs.end());
    if (y.requires_grad()) {
      const auto grads_for = [&](const Tensor& v) {
        return grad({y}, targets, {v}, {.retain_graph = true, .allow_unused = true});
      };
      const std::vector<Tensor> zero_grads = grads_for(zeros_like(y));
      for (size_t k = 0; k < zero_grads.size() && zero.passed; ++k) {
        if (!zero_grads[k].defined()) continue;
        const std::vector<double> values = zero_grads[k].to_vector();
        for (size_t e = 0; e < values.size(); ++e) {
          if (values[e] != 0.0) {
            zero.passed = false;
            zero.report = fmt::format("a zero grad_output gave gradient {:g} at input {} element {}", values[e], k,
                                      format_shape(unravel_index(static_cast<int64_t>(e), shapes[k])));
            break;
          }
        }
      }
      std::normal_distribution<double> normal;
      std::vector<double> v_values(static_cast<size_t>(y.numel()));
      for (double& v : v_values) v = normal(engine);
      const Tensor v = from_vector(v_values, y.shape(), {.dtype = y.dtype()});
      const std::vector<Tensor> first = grads_for(v), second = grads_for(v);
      for (size_t k = 0; k < first.size() && reentrant.passed; ++k) {
        if (first[k].defined() != second[k].defined()) {
          reentrant.passed = false;
          reentrant.report = fmt::format("input {}: one backward pass gave a gradient, the other none", k);
          continue;
        }
        if (!first[k].defined()) continue;
        const std::vector<double> a = first[k].to_vector(), b = second[k].to_vector();
        for (size_t e = 0; e < a.size(); ++e) {
          if (a[e] != b[e]) {
            reentrant.passed = false;
            reentrant.report = fmt::format("input {} element {}: first backward {:.10g}, second {:.10g}", k,
                                           format_shape(unravel_index(static_cast<int64_t>(e), shapes[k])), a[e], b[e]);
            break;
          }
        }
      }
    }
  } catch (const std::exception& e) {
    zero = {"zero grad_output", false, false, fmt::format("threw: {}", e.what())};
    reentrant = {"reentrancy", false, false, zero.report};
  }
  result.cases.push_back(zero);
  result.cases.push_back(reentrant);

  // broadcast: input k gets a leading axis of size 2, the others stay as given
  for (size_t k = 0; k < shapes.size(); ++k) {
    std::vector<Shape> broadcast_shapes = shapes;
    broadcast_shapes[k].insert(broadcast_shapes[k].begin(), 2);
    const std::vector<Tensor> broadcast_inputs = random_inputs(broadcast_shapes, engine);
    const std::string name = fmt::format("broadcast input {}", k);
    try {
      Float64Parameters float64_parameters(options.parameters, options.keep_float32);
      NoGradGuard no_grad;
      (void)fn(broadcast_inputs);
    } catch (const std::exception&) {
      result.cases.push_back({name, true, true, "fn does not accept this shape"});
      continue;
    }
    result.cases.push_back(gradcheck_case(name, [&] { return gradcheck(fn, broadcast_inputs, jacobian_only); }));
  }
  for (const CheckOpCase& c : result.cases) result.passed = result.passed && (c.passed || c.skipped);
  return result;
}

std::string BlameResult::report() const {
  std::string s;
  if (found) {
    std::string args;
    for (const auto& in : inputs) args += (args.empty() ? "" : ", ") + in;
    s = fmt::format(
        "blame: the first op whose backward disagrees with central differences is '{}' ({}, op {} of {} "
        "in recording order), on inputs ({})\n{}",
        op, node_type, position, graph_ops, args, check.report());
    s += creation_site.empty()
             ? "\n  created at: not recorded (build the graph under xg::DetectAnomalyGuard to record where each op is "
               "created)"
             : "\n  created at:\n" + creation_site;
  } else {
    s = fmt::format("blame: all {} checked nodes agree with central differences", nodes_checked);
  }
  if (!not_rerunnable.empty()) {
    std::string names;
    for (const auto& n : not_rerunnable) names += (names.empty() ? "" : ", ") + n;
    s += fmt::format("\n  not checked (no forward() to re-run, or freed by backward): {}", names);
  }
  return s;
}

BlameResult blame(const Tensor& output, GradcheckOptions options) {
  if (!output.defined()) throw ValueError("blame: the output is undefined");
  AnomalyModeOff anomaly_off;
  // every node below the output, iteratively (graphs may be deep)
  std::vector<std::shared_ptr<Node>> nodes;
  std::set<const Node*> seen;
  std::vector<std::shared_ptr<Node>> stack;
  if (output.grad_fn()) stack.push_back(output.grad_fn());
  while (!stack.empty()) {
    std::shared_ptr<Node> node = stack.back();
    stack.pop_back();
    if (!seen.insert(node.get()).second) continue;
    nodes.push_back(node);
    for (const Node::Edge& edge : node->edges()) {
      if (edge.grad_fn) stack.push_back(edge.grad_fn);
    }
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const auto& a, const auto& b) { return a->sequence_nr() < b->sequence_nr(); });

  BlameResult result;
  result.graph_ops = nodes.size();
  options.allow_float32 = true;  // the node's saved inputs are checked as float64 copies
  for (size_t position = 1; position <= nodes.size(); ++position) {
    const std::shared_ptr<Node>& node = nodes[position - 1];
    const std::vector<Tensor> inputs = node->saved_inputs();
    const Node* raw = node.get();
    bool rerunnable = !inputs.empty();
    if (rerunnable) {
      NoGradGuard no_grad;
      try {
        rerunnable = node->forward(inputs).defined();
      } catch (const std::exception&) {
        rerunnable = false;  // listed as not checked rather than ending blame
      }
    }
    if (!rerunnable) {
      result.not_rerunnable.push_back(node->name());
      continue;
    }
    bool any = false;
    for (const Tensor& in : inputs) any = any || (in.requires_grad() && is_floating(in.dtype()));
    if (!any) continue;
    ++result.nodes_checked;
    GradcheckResult check =
        gradcheck([raw](const std::vector<Tensor>& in) { return raw->forward(in); }, inputs, options);
    if (!check.passed) {
      result.found = true;
      result.op = node->name();
      result.node_type = node->type_name();
      result.position = position;
      if (const CreationSite* site = node->creation_site()) result.creation_site = site->describe("    ");
      for (const Tensor& in : inputs) {
        result.inputs.push_back(in.name().empty() ? format_shape(in.shape()) : in.name());
      }
      result.check = std::move(check);
      return result;
    }
  }
  return result;
}

}  // namespace xg
