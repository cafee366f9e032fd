// Element-wise math (exp, log, sqrt, abs, sin, cos, sign, clamp) and where: forward, backward and
// checks of each op side by side. The arithmetic is in arithmetic.cpp.
#include <autograd/ops/elementwise.hpp>

#include <autograd/broadcast.hpp>
#include <autograd/detail/kernels.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/op_info.hpp>

#include <cmath>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

namespace xg {

using detail::array;
using detail::unary;

// ---- exp ----
// d e^x/dx = e^x (recomputed from the input: docs/architecture.md "Why outputs are never saved")
struct ExpBackward final : Node {
  const char* name() const override { return "exp"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return exp(in[0]); }
  std::string derivative() const override { return "d exp(x)/dx = exp(x)"; }
  Grads backward(const Tensor& g) override {
    return {detail::fused_or(
        g, input(0), [](const auto& go, const auto& x) { return go * xt::exp(x); }, [&] { return g * exp(input(0)); })};
  }
};
Tensor exp(const Tensor& x) {
  return Tensor::record<ExpBackward>(unary(x, "exp", [](const auto& a) { return xt::exp(a); }), {x});
}

// ---- log ----
// d ln(x)/dx = 1 / x
struct LogBackward final : Node {
  const char* name() const override { return "log"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return log(in[0]); }
  std::string derivative() const override { return "d log(x)/dx = 1 / x"; }
  Grads backward(const Tensor& g) override { return {g / input(0)}; }  // one op already
};
Tensor log(const Tensor& x) {
  return Tensor::record<LogBackward>(unary(x, "log", [](const auto& a) { return xt::log(a); }), {x});
}

// ---- sqrt ----
// d sqrt(x)/dx = 1 / (2 sqrt(x))
struct SqrtBackward final : Node {
  const char* name() const override { return "sqrt"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return sqrt(in[0]); }
  std::string derivative() const override { return "d sqrt(x)/dx = 1 / (2 * sqrt(x))"; }
  Grads backward(const Tensor& g) override {
    return {detail::fused_or(
        g, input(0),
        [](const auto& go, const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return go / (T(2) * xt::sqrt(x));
        },
        [&] { return g / (2.0 * sqrt(input(0))); })};
  }
};
Tensor sqrt(const Tensor& x) {
  return Tensor::record<SqrtBackward>(unary(x, "sqrt", [](const auto& a) { return xt::sqrt(a); }), {x});
}

// ---- sign ----
// d sign(x)/dx = 0 (piecewise constant)
struct SignBackward final : Node {
  const char* name() const override { return "sign"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return sign(in[0]); }
  std::string derivative() const override { return "d sign(x)/dx = 0"; }
  Grads backward(const Tensor& g) override { return {zeros_like(g)}; }
};
// sign's values as a constant (nothing recorded): also the local derivative of abs
static Tensor sign_values(const Tensor& x) {
  detail::check_defined(x, "sign");
  return unary(x, "sign", [](const auto& a) { return xt::sign(a); });
}
Tensor sign(const Tensor& x) { return Tensor::record<SignBackward>(sign_values(x), {x}); }

// ---- abs ----
// d |x|/dx = sign(x) (0 at x = 0, as torch)
struct AbsBackward final : Node {
  const char* name() const override { return "abs"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return abs(in[0]); }
  std::string derivative() const override { return "d |x|/dx = sign(x)"; }
  Grads backward(const Tensor& g) override { return {g * sign_values(input(0))}; }
};
Tensor abs(const Tensor& x) {
  return Tensor::record<AbsBackward>(unary(x, "abs", [](const auto& a) { return xt::abs(a); }), {x});
}

// ---- sin / cos ----
// d sin(x)/dx = cos(x); d cos(x)/dx = -sin(x)
struct SinBackward final : Node {
  const char* name() const override { return "sin"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return sin(in[0]); }
  std::string derivative() const override { return "d sin(x)/dx = cos(x)"; }
  Grads backward(const Tensor& g) override { return {g * cos(input(0))}; }
};
Tensor sin(const Tensor& x) {
  return Tensor::record<SinBackward>(unary(x, "sin", [](const auto& a) { return xt::sin(a); }), {x});
}
struct CosBackward final : Node {
  const char* name() const override { return "cos"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return cos(in[0]); }
  std::string derivative() const override { return "d cos(x)/dx = -sin(x)"; }
  Grads backward(const Tensor& g) override { return {-g * sin(input(0))}; }
};
Tensor cos(const Tensor& x) {
  return Tensor::record<CosBackward>(unary(x, "cos", [](const auto& a) { return xt::cos(a); }), {x});
}

// ---- clamp ----
// d clamp(x)/dx = 1 where min <= x <= max, else 0 (1 at the bounds, as torch)
struct ClampBackward final : Node {
  ClampBackward(std::optional<double> lo, std::optional<double> hi) : min(lo), max(hi) {}
  std::optional<double> min, max;
  const char* name() const override { return "clamp"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return clamp(in[0], min, max); }
  std::string derivative() const override { return "d clamp(x)/dx = 1 if min <= x <= max else 0"; }
  Grads backward(const Tensor& g) override {
    const double lo = min.value_or(-INFINITY), hi = max.value_or(INFINITY);
    return {g * detail::mask(input(0), "clamp", [lo, hi](auto v) { return v >= lo && v <= hi; })};
  }
};
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  if (min && max && *min > *max) {
    throw ValueError(fmt::format("clamp: min {} is greater than max {}", *min, *max));
  }
  Tensor out = unary(x, "clamp", [&](const auto& a) {
    using T = typename std::decay_t<decltype(a)>::value_type;
    // the bounds go in as prvalues: xtensor holds lvalue operands by reference, and locals of this
    // lambda would dangle once the unevaluated expression is returned
    return xt::clip(a, min ? static_cast<T>(*min) : -std::numeric_limits<T>::infinity(),
                    max ? static_cast<T>(*max) : std::numeric_limits<T>::infinity());
  });
  return Tensor::record<ClampBackward>(std::move(out), {x}, min, max);
}

// ---- where ----
// d where(c, a, b)/da = c, d where(c, a, b)/db = 1 - c (c is a constant mask)
struct WhereBackward final : Node {
  const char* name() const override { return "where"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return where(in[0], in[1], in[2]); }
  std::string derivative() const override { return "d where(c, a, b)/da = c, /db = not c"; }
  Grads backward(const Tensor& g) override {
    const Tensor& c = input(0);
    Tensor zero = zeros_like(g);
    return {Tensor(), needs_input_grad(1) ? sum_to(where(c, g, zero), input_shape(1)) : Tensor(),
            needs_input_grad(2) ? sum_to(where(c, zero, g), input_shape(2)) : Tensor()};
  }
};
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  detail::check_defined(condition, "where");
  if (condition.dtype() != Dtype::boolean) {
    throw DtypeError(fmt::format("where: the condition must be a bool tensor (a mask, e.g. x > 0), got {}",
                                 dtype_name(condition.dtype())));
  }
  detail::check_defined(a, "where");
  detail::check_defined(b, "where");
  if (a.dtype() != b.dtype()) {  // torch's result_type, converted where the gradients can follow
    const Dtype c = result_type(a, b);
    return where(condition, a.dtype() == c ? a : a.to(c), b.dtype() == c ? b : b.to(c));
  }
  const Shape shape = broadcast_shapes(broadcast_shapes(condition.shape(), a.shape(), "where"), b.shape(), "where");
  // The operands are broadcast to the result's shape first: xtensor 0.24's xt::where over
  // operands of different ranks ([1, 3, 3] condition, [3, 3] a, [1, 3, 3] b) took the last
  // element from the wrong side (found by tests/fuzz/graph_fuzz.cpp, seed 6379).
  auto expanded = [&](const Tensor& t) {
    if (t.shape() == shape) return t;
    NoGradGuard no_grad;
    return broadcast_to(t.detach(), shape);
  };
  const Tensor cond_full = expanded(condition), a_full = expanded(a), b_full = expanded(b);
  const Tensor cond_dense = detail::contiguous(cond_full);
  const auto& cond = array<bool>(cond_dense);
  Tensor out = dispatch<Dtypes::all>(a.dtype(), "where", [&](auto tag) {
    using T = decltype(tag);
    const Tensor ad = detail::contiguous(a_full), bd = detail::contiguous(b_full);
    if constexpr (std::is_same_v<T, bool>) {
      // (xsimd has no select over bool batches)
      Array<bool> r = Array<bool>::from_shape(cond.shape());
      const bool *c = cond.data(), *x = array<bool>(ad).data(), *y = array<bool>(bd).data();
      for (size_t k = 0; k < r.size(); ++k) r.data()[k] = c[k] ? x[k] : y[k];
      return detail::make_tensor<bool>(std::move(r));
    } else {
      return detail::make_tensor<T>(Array<T>(xt::where(cond, array<T>(ad), array<T>(bd))));
    }
  });
  return Tensor::record<WhereBackward>(std::move(out), {condition, a, b});
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  detail::check_defined(x, "masked_fill");
  detail::check_mask(mask, "masked_fill");
  broadcast_shapes(x.shape(), mask.shape(), "masked_fill");  // (names masked_fill in the error)
  return where(mask, full({}, value, x.dtype()), x);
}

// ---- the catalogue (autograd/ops/op_info.hpp): how tests and the docs see this file's ops ----
std::span<const OpInfo> elementwise_ops() {
  static const OpInfo ops[] = {
      {.name = "exp",
       .family = "autograd/ops/elementwise",
       .signature = "exp(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return exp(o.a); },
       .expression = "exp({a})"},
      {.name = "log",
       .family = "autograd/ops/elementwise",
       .signature = "log(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return log(o.a); },
       .expression = "log({a})",
       .positive_a = true},
      {.name = "sqrt",
       .family = "autograd/ops/elementwise",
       .signature = "sqrt(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return sqrt(o.a); },
       .expression = "sqrt({a})",
       .positive_a = true},
      {.name = "abs",
       .family = "autograd/ops/elementwise",
       .signature = "abs(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return abs(o.a); },
       .expression = "abs({a})"},
      {.name = "sin",
       .family = "autograd/ops/elementwise",
       .signature = "sin(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return sin(o.a); },
       .expression = "sin({a})"},
      {.name = "cos",
       .family = "autograd/ops/elementwise",
       .signature = "cos(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return cos(o.a); },
       .expression = "cos({a})"},
      // a jump at 0: an argument within reach of the perturbation makes the difference quotient 1/eps
      {.name = "sign",
       .family = "autograd/ops/elementwise",
       .signature = "sign(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return sign(o.a); },
       .expression = "sign({a})",
       .keep_from_zero = 1e-3},
      {.name = "clamp",
       .family = "autograd/ops/elementwise",
       .signature = "clamp(x, min, max)",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return clamp(o.a, o.d, o.d + 0.8); },
       .expression = "clamp({a}, {d}, {d} + 0.8)",
       .lo = -1,
       .hi = 0.5},
      {.name = "where",
       .family = "autograd/ops/elementwise",
       .signature = "where(condition, a, b)",
       .sample = OpSample::where,
       .call = [](const OpCall& o) { return where(o.c, o.a, o.b); },
       .expression = "where({c}, {a}, {b})"},
      {.name = "masked_fill",
       .family = "autograd/ops/elementwise",
       .signature = "masked_fill(x, mask, value), x.masked_fill_(mask, value)",
       .not_drawn = "where(mask, value, x), which the drivers draw; elementwise_test.cpp checks its gradients"},
  };
  return ops;
}

}  // namespace xg
