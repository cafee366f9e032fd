// gradcheck / gradgradcheck. The numerical Jacobian perturbs one input element at a time
// (x_j +/- eps, column = difference / 2 eps); the analytic one runs one vector-Jacobian
// product per output element with a one-hot grad_output, twice, to catch a non-reentrant
// backward.
#include <autograd/gradcheck.hpp>

#include <autograd/engine.hpp>
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/shape.hpp>

#include <cmath>
#include <fmt/format.h>
#include <random>

namespace xg {

namespace {

Shape unravel(int64_t flat, const Shape& shape) {
  Shape idx(shape.size());
  for (size_t k = shape.size(); k-- > 0;) {
    idx[k] = shape[k] == 0 ? 0 : flat % shape[k];
    flat = shape[k] == 0 ? 0 : flat / shape[k];
  }
  return idx;
}

std::string format_index(const Shape& idx) {
  std::string s = "[";
  for (size_t k = 0; k < idx.size(); ++k) s += (k ? ", " : "") + std::to_string(idx[k]);
  return s + "]";
}

// Inputs as float64 tensors with their own storage (so perturbing them touches nothing of
// the caller's); float32 is converted only when allowed.
std::vector<Tensor> prepare_inputs(const std::vector<Tensor>& inputs, const GradcheckOptions& options,
                                   const char* op) {
  std::vector<Tensor> out;
  bool any = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.defined()) throw ValueError(fmt::format("{}: input {} is undefined", op, i));
    Tensor copy = x.detach();
    if (x.dtype() == Dtype::float32) {
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

struct Jacobians {
  // per checked input: [output numel][input numel], row-major
  std::vector<std::vector<double>> of_input;
};

}  // namespace

std::string GradcheckResult::report() const {
  const std::string tol_rule = fmt::format("atol {:g} + rtol {:g} * |numerical|", options.atol, options.rtol);
  if (passed) {
    return fmt::format("gradcheck passed: {} Jacobian entries within {} (largest difference {:.3g}; eps {:g}, float64)",
                       entries_checked, tol_rule, max_difference, options.eps);
  }
  std::string s = fmt::format("gradcheck failed: {}", failure);
  if (input >= 0) {
    s += fmt::format(" for input {} (shape {})\n", input, format_shape(input_shape));
    s += fmt::format("  element input{} against output{}\n", format_index(element), format_index(output_element));
    s += fmt::format("    analytic   = {:.10g}\n    numerical  = {:.10g}\n", analytic, numerical);
    s += fmt::format("    difference = {:.3g}, tolerance {:.3g} ({})\n", difference, tolerance, tol_rule);
  } else {
    s += "\n";
  }
  if (entries_checked > 0) {
    s += fmt::format("  {} of {} Jacobian entries out of tolerance; eps {:g}, float64", entries_failed, entries_checked,
                     options.eps);
  }
  return s;
}

GradcheckResult gradcheck(const TensorFunction& fn, const std::vector<Tensor>& inputs, GradcheckOptions options) {
  if (!(options.eps > 0) || !(options.atol >= 0) || !(options.rtol >= 0)) {
    throw ValueError(fmt::format("gradcheck: eps must be > 0 and atol, rtol >= 0 (got eps {}, atol {}, rtol {})",
                                 options.eps, options.atol, options.rtol));
  }
  std::vector<Tensor> xs = prepare_inputs(inputs, options, "gradcheck");
  GradcheckResult result;
  result.options = options;

  std::vector<size_t> checked;
  std::vector<Tensor> targets;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (xs[i].requires_grad()) {
      checked.push_back(i);
      targets.push_back(xs[i]);
    }
  }

  const Tensor y = fn(xs);
  if (!y.defined() || !is_floating(y.dtype())) {
    throw ValueError("gradcheck: fn must return a defined float tensor");
  }
  const Shape out_shape = y.shape();
  const int64_t n_out = y.numel();

  // numerical Jacobian, evaluated in float64 without recording
  Jacobians numerical;
  {
    NoGradGuard no_grad;
    for (size_t c : checked) {
      const int64_t n_in = xs[c].numel();
      std::vector<double> jac(static_cast<size_t>(n_out * n_in));
      for (int64_t j = 0; j < n_in; ++j) {
        std::vector<Tensor> perturbed = xs;
        Tensor x = xs[c].detach();
        x.requires_grad_(true);  // fn may differentiate internally (gradgradcheck does)
        perturbed[c] = x;
        double* p = x.data_ptr<double>();
        const double original = p[j];
        p[j] = original + options.eps;
        const std::vector<double> plus = fn(perturbed).to(Dtype::float64).to_vector();
        p[j] = original - options.eps;
        const std::vector<double> minus = fn(perturbed).to(Dtype::float64).to_vector();
        for (int64_t i = 0; i < n_out; ++i) jac[i * n_in + j] = (plus[i] - minus[i]) / (2.0 * options.eps);
      }
      numerical.of_input.push_back(std::move(jac));
    }
  }

  // analytic Jacobian: one VJP per output element
  auto analytic_jacobians = [&]() {
    Jacobians a;
    for (size_t c : checked) a.of_input.emplace_back(static_cast<size_t>(n_out * xs[c].numel()), 0.0);
    if (!y.requires_grad()) return a;  // y does not depend on any checked input: zero Jacobian
    for (int64_t i = 0; i < n_out; ++i) {
      std::vector<double> onehot(static_cast<size_t>(n_out), 0.0);
      onehot[i] = 1.0;
      const Tensor v = from_vector(onehot, out_shape, {.dtype = y.dtype()});
      const std::vector<Tensor> grads = grad({y}, targets, {v}, {.retain_graph = true, .allow_unused = true});
      for (size_t k = 0; k < checked.size(); ++k) {
        if (!grads[k].defined()) continue;
        const std::vector<double> row = grads[k].to_vector();
        std::copy(row.begin(), row.end(), a.of_input[k].begin() + i * static_cast<int64_t>(row.size()));
      }
    }
    return a;
  };
  const Jacobians analytic = analytic_jacobians();

  // compare, remembering the worst entry relative to its tolerance
  double worst_ratio = -1.0;
  for (size_t k = 0; k < checked.size(); ++k) {
    const int64_t n_in = xs[checked[k]].numel();
    for (int64_t i = 0; i < n_out; ++i) {
      for (int64_t j = 0; j < n_in; ++j) {
        const double a = analytic.of_input[k][i * n_in + j];
        const double n = numerical.of_input[k][i * n_in + j];
        const double diff = std::abs(a - n);
        const double tol = options.atol + options.rtol * std::abs(n);
        const bool ok = diff <= tol;  // NaN on either side fails
        ++result.entries_checked;
        if (!ok) ++result.entries_failed;
        if (std::isfinite(diff)) result.max_difference = std::max(result.max_difference, diff);
        const double ratio = ok ? diff / (tol > 0 ? tol : 1.0) : (std::isnan(diff) ? INFINITY : diff / tol);
        if (ratio > worst_ratio) {
          worst_ratio = ratio;
          result.input = static_cast<int64_t>(checked[k]);
          result.input_shape = xs[checked[k]].shape();
          result.element = unravel(j, result.input_shape);
          result.output_element = unravel(i, out_shape);
          result.analytic = a;
          result.numerical = n;
          result.difference = diff;
          result.tolerance = tol;
        }
      }
    }
  }
  if (result.entries_failed > 0) {
    result.passed = false;
    result.failure = "Jacobian mismatch";
    return result;
  }

  if (options.check_contract && y.requires_grad()) {
    const Jacobians again = analytic_jacobians();
    for (size_t k = 0; k < checked.size(); ++k) {
      const int64_t n_in = xs[checked[k]].numel();
      for (size_t e = 0; e < again.of_input[k].size(); ++e) {
        if (again.of_input[k][e] != analytic.of_input[k][e]) {
          result.passed = false;
          result.failure = "backward is not reentrant (two runs with the same grad_output gave different gradients)";
          result.input = static_cast<int64_t>(checked[k]);
          result.input_shape = xs[checked[k]].shape();
          result.element = unravel(static_cast<int64_t>(e) % n_in, result.input_shape);
          result.output_element = unravel(static_cast<int64_t>(e) / n_in, out_shape);
          result.analytic = analytic.of_input[k][e];
          result.numerical = again.of_input[k][e];
          result.difference = std::abs(result.analytic - result.numerical);
          result.tolerance = 0.0;
          return result;
        }
      }
    }
    const std::vector<Tensor> zero_grads =
        grad({y}, targets, {zeros_like(y)}, {.retain_graph = true, .allow_unused = true});
    for (size_t k = 0; k < checked.size(); ++k) {
      if (!zero_grads[k].defined()) continue;
      const std::vector<double> values = zero_grads[k].to_vector();
      for (size_t e = 0; e < values.size(); ++e) {
        if (values[e] != 0.0) {
          result.passed = false;
          result.failure = "non-zero gradient for a zero grad_output";
          result.input = static_cast<int64_t>(checked[k]);
          result.input_shape = xs[checked[k]].shape();
          result.element = unravel(static_cast<int64_t>(e), result.input_shape);
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
  std::vector<Tensor> xs = prepare_inputs(inputs, options, "gradgradcheck");
  const Tensor y = fn(xs);
  if (!y.defined() || !is_floating(y.dtype())) throw ValueError("gradgradcheck: fn must return a defined float tensor");

  // a fixed-seed v so that a failure reproduces; it does not touch the global generator
  std::mt19937_64 engine(0x5eed);
  std::normal_distribution<double> normal;
  std::vector<double> v_values(static_cast<size_t>(y.numel()));
  for (double& v : v_values) v = normal(engine);
  const Tensor v = from_vector(v_values, y.shape(), {.dtype = Dtype::float64, .requires_grad = true});

  const size_t n = xs.size();
  TensorFunction first_derivative = [&fn, n](const std::vector<Tensor>& args) {
    const std::vector<Tensor> x(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(n));
    std::vector<Tensor> targets;
    for (const auto& t : x) {
      if (t.requires_grad()) targets.push_back(t);
    }
    AutoGradMode grad_mode(true);  // the numerical side calls this under NoGradGuard
    const Tensor out = fn(x);
    std::vector<Tensor> parts;
    if (out.requires_grad()) {
      for (const Tensor& g : grad({out}, targets, {args[n]}, {.create_graph = true, .allow_unused = true})) {
        if (g.defined()) parts.push_back(reshape(g, {-1}));
      }
    }
    if (parts.empty()) return zeros({0}, Dtype::float64);
    return concat(parts, 0);
  };
  std::vector<Tensor> args = xs;
  args.push_back(v);
  GradcheckOptions second = options;
  second.allow_float32 = false;  // already converted
  return gradcheck(first_derivative, args, second);
}

}  // namespace xg
