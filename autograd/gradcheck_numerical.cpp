// Numerical Jacobians for gradcheck: the inputs prepared as float64 copies, fn's outputs, the
// central differences (element steps, Stan's step in float32) and the float64 parameters guard.
#include <autograd/detail/gradcheck_internal.hpp>

#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>

namespace xg::detail {

std::vector<Tensor> prepare_inputs(const std::vector<Tensor>& inputs, const GradcheckOptions& options, const char* op) {
  std::vector<Tensor> out;
  bool any = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.defined()) throw ValueError(fmt::format("{}: input {} is undefined", op, i));
    Tensor copy = x.detach().clone();  // contiguous and private: set_element writes into it
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

Float64Parameters::Float64Parameters(const std::vector<Tensor>& parameters, bool keep_float32) {
  if (keep_float32) return;
  NoGradGuard no_grad;
  try {
    for (const Tensor& p : parameters) {
      if (!p.defined() || p.dtype() != Dtype::float32) continue;
      Tensor param = p;
      saved_.push_back({param, param.detach().clone()});
      param.set_data(param.detach().to(Dtype::float64));
    }
  } catch (...) {
    restore();  // a half-built guard has no destructor run: undo what was converted
    throw;
  }
}

void Float64Parameters::restore() {
  NoGradGuard no_grad;
  for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) it->first.set_data(it->second);
  saved_.clear();
}

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

PreparedCheck prepare_check(const TensorsFunction& fn, const std::vector<Tensor>& inputs,
                            const GradcheckOptions& options, const char* op) {
  PreparedCheck check;
  check.xs = prepare_inputs(inputs, options, op);
  std::tie(check.checked, check.targets) = inputs_to_check(check.xs);
  check.ys = outputs_of(fn, check.xs, op);
  for (const Tensor& y : check.ys) {
    check.offsets.push_back(check.n_out);
    check.n_out += y.numel();
  }
  return check;
}

CentralDifferences central_differences(const TensorsFunction& fn, const PreparedCheck& check,
                                       const GradcheckOptions& options) {
  const std::vector<Tensor>& xs = check.xs;
  const std::vector<size_t>& checked = check.checked;
  const int64_t n_out = check.n_out;
  const auto evaluate = [&](const std::vector<Tensor>& args) {
    return flat_values(fn(args), static_cast<size_t>(n_out), "gradcheck");
  };
  CentralDifferences d;
  d.steps.assign(checked.size(), {INFINITY, 0.0});
  NoGradGuard no_grad;
  d.base = flat_values(check.ys, static_cast<size_t>(n_out), "gradcheck");
  for (size_t k = 0; k < checked.size(); ++k) {
    const size_t c = checked[k];
    const int64_t n_in = xs[c].numel();
    std::vector<double> jac(static_cast<size_t>(n_out * n_in));
    std::vector<double> jac_left(jac.size()), jac_right(jac.size());
    const std::vector<double> originals = xs[c].to_vector();
    for (int64_t j = 0; j < n_in; ++j) {
      std::vector<Tensor> perturbed = xs;
      Tensor x = xs[c].detach().clone();
      x.requires_grad_(true);  // fn may differentiate internally (gradgradcheck does)
      perturbed[c] = x;
      const double original = originals[static_cast<size_t>(j)];
      const double h = element_step(x, original, options);
      const double up = set_element(x, j, original + h);  // the realised points
      const std::vector<double> plus = evaluate(perturbed);
      const double down = set_element(x, j, original - h);
      const std::vector<double> minus = evaluate(perturbed);
      d.steps[k].first = std::min(d.steps[k].first, up - down);
      d.steps[k].second = std::max(d.steps[k].second, up - down);
      for (int64_t i = 0; i < n_out; ++i) {
        jac[i * n_in + j] = (plus[i] - minus[i]) / (up - down);
        jac_left[i * n_in + j] = (d.base[i] - minus[i]) / (original - down);
        jac_right[i * n_in + j] = (plus[i] - d.base[i]) / (up - original);
      }
    }
    d.numerical.of_input.push_back(std::move(jac));
    d.left.of_input.push_back(std::move(jac_left));
    d.right.of_input.push_back(std::move(jac_right));
  }
  return d;
}

}  // namespace xg::detail
