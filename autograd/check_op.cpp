// check_op: gradcheck, gradgradcheck, a zero grad_output, reentrancy and broadcasting of one op
// on random inputs of the given shapes, case by case.
#include <autograd/detail/gradcheck_internal.hpp>

#include <autograd/engine.hpp>
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <random>

namespace xg {

using detail::AnomalyModeOff;
using detail::Float64Parameters;

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

// The inputs with the same values in strided storage: each the [..., 0] slice of a [..., 2]
// tensor, so every axis steps over a gap (a view, not contiguous).
std::vector<Tensor> strided_copies(const std::vector<Tensor>& inputs) {
  std::vector<Tensor> out;
  for (const Tensor& x : inputs) {
    Tensor wide = zeros(
        [&] {
          Shape s = x.shape();
          s.push_back(2);
          return s;
        }(),
        x.dtype());
    Tensor view = wide.select(-1, 0);
    view.copy_(x.detach());
    view.requires_grad_(x.requires_grad());
    out.push_back(view);
  }
  return out;
}

// fn on strided inputs must give what it gives on contiguous ones: the values and, for one
// random grad_output, the gradients (an op that reads its input's buffer as if it were row-major
// fails here).
CheckOpCase strided_case(const TensorFunction& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  CheckOpCase c{"strided inputs", true, false, "strided inputs gave the values and gradients of contiguous ones"};
  try {
    Float64Parameters float64_parameters(options.parameters, options.keep_float32);
    const std::vector<Tensor> strided = strided_copies(inputs);
    const Tensor y = fn(inputs), ys = fn(strided);
    auto differ = [&](const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
      for (size_t e = 0; e < a.size() && e < b.size(); ++e) {
        const double tol = 1e-12 * std::max(1.0, std::abs(a[e]));
        if (!(std::abs(a[e] - b[e]) <= tol) && !(std::isnan(a[e]) && std::isnan(b[e]))) {
          c = {"strided inputs", false, false,
               fmt::format("{} element {}: {:.10g} from contiguous inputs, {:.10g} from strided ones", what, e, a[e],
                           b[e])};
          return true;
        }
      }
      return false;
    };
    if (y.shape() != ys.shape()) {
      return {"strided inputs", false, false,
              fmt::format("the result has shape {} from contiguous inputs, {} from strided ones",
                          format_shape(y.shape()), format_shape(ys.shape()))};
    }
    if (differ(y.to_vector(), ys.to_vector(), "the result")) return c;
    if (!y.requires_grad()) return c;
    std::vector<double> v_values(static_cast<size_t>(y.numel()));
    for (size_t e = 0; e < v_values.size(); ++e) v_values[e] = std::sin(static_cast<double>(e) + 1.0);
    const Tensor v = from_vector(v_values, y.shape(), {.dtype = y.dtype()});
    const std::vector<Tensor> g = grad({y}, inputs, {v}, {.allow_unused = true});
    const std::vector<Tensor> gs = grad({ys}, strided, {v}, {.allow_unused = true});
    for (size_t k = 0; k < g.size(); ++k) {
      if (g[k].defined() != gs[k].defined()) {
        return {"strided inputs", false, false, fmt::format("input {}: a gradient from one layout only", k)};
      }
      if (g[k].defined() && differ(g[k].to_vector(), gs[k].to_vector(), fmt::format("gradient {}", k))) return c;
    }
  } catch (const std::exception& e) {
    c = {"strided inputs", false, false, fmt::format("threw: {}", e.what())};
  }
  return c;
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
  result.cases.push_back(strided_case(fn, inputs, options));

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

}  // namespace xg
