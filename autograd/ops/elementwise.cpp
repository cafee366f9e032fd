// Element-wise arithmetic: forward, backward and checks of each op side by side.
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
using detail::binary;
using detail::unary;

// ---- add ----
// d(a + b)/da = 1, d(a + b)/db = 1; each summed back over the axes it was broadcast along
struct AddBackward final : Node {
  const char* name() const override { return "add"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return add(in[0], in[1]); }
  std::string derivative() const override { return "d(a + b)/da = 1, d(a + b)/db = 1"; }
  Grads backward(const Tensor& g) override {
    return {needs_input_grad(0) ? sum_to(g, input_shape(0)) : Tensor(),
            needs_input_grad(1) ? sum_to(g, input_shape(1)) : Tensor()};
  }
};
Tensor add(const Tensor& a, const Tensor& b) {
  return Tensor::record<AddBackward>(binary<false>(a, b, "add", [](const auto& x, const auto& y) { return x + y; }),
                                     {a, b});
}

// ---- sub ----
// d(a - b)/da = 1, d(a - b)/db = -1
struct SubBackward final : Node {
  const char* name() const override { return "sub"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return sub(in[0], in[1]); }
  std::string derivative() const override { return "d(a - b)/da = 1, d(a - b)/db = -1"; }
  Grads backward(const Tensor& g) override {
    return {needs_input_grad(0) ? sum_to(g, input_shape(0)) : Tensor(),
            needs_input_grad(1) ? sum_to(-g, input_shape(1)) : Tensor()};
  }
};
Tensor sub(const Tensor& a, const Tensor& b) {
  return Tensor::record<SubBackward>(binary<false>(a, b, "sub", [](const auto& x, const auto& y) { return x - y; }),
                                     {a, b});
}

// ---- mul ----
// d(a * b)/da = b, d(a * b)/db = a
struct MulBackward final : Node {
  const char* name() const override { return "mul"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return mul(in[0], in[1]); }
  std::string derivative() const override { return "d(a * b)/da = b, d(a * b)/db = a"; }
  Grads backward(const Tensor& g) override {
    return {needs_input_grad(0) ? sum_to(g * input(1), input_shape(0)) : Tensor(),
            needs_input_grad(1) ? sum_to(g * input(0), input_shape(1)) : Tensor()};
  }
};
Tensor mul(const Tensor& a, const Tensor& b) {
  return Tensor::record<MulBackward>(binary<false>(a, b, "mul", [](const auto& x, const auto& y) { return x * y; }),
                                     {a, b});
}

// ---- div ----
// d(a / b)/da = 1 / b, d(a / b)/db = -a / b^2
struct DivBackward final : Node {
  const char* name() const override { return "div"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return div(in[0], in[1]); }
  std::string derivative() const override { return "d(a / b)/da = 1 / b, d(a / b)/db = -a / b^2"; }
  Grads backward(const Tensor& g) override {
    const Tensor& a = input(0);
    const Tensor& b = input(1);
    return {needs_input_grad(0) ? sum_to(g / b, a.shape()) : Tensor(),
            needs_input_grad(1) ? sum_to(-g * a / (b * b), b.shape()) : Tensor()};
  }
};
Tensor div(const Tensor& a, const Tensor& b) {
  // int64 / int64 would truncate; torch's true division gives float, xgrad asks for floats
  return Tensor::record<DivBackward>(binary(a, b, "div", [](const auto& x, const auto& y) { return x / y; }), {a, b});
}

// ---- neg ----
// d(-x)/dx = -1
struct NegBackward final : Node {
  const char* name() const override { return "neg"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return neg(in[0]); }
  std::string derivative() const override { return "d(-x)/dx = -1"; }
  Grads backward(const Tensor& g) override { return {-g}; }
};
Tensor neg(const Tensor& x) {
  detail::check_defined(x, "neg");
  Tensor out = dispatch<false>(x.dtype(), "neg", [&](auto tag) {
    using T = decltype(tag);
    return detail::make_tensor<T>(Array<T>(-array<T>(x)));
  });
  return Tensor::record<NegBackward>(std::move(out), {x});
}

// ---- pow (scalar exponent) ----
// d x^p/dx = p * x^(p - 1)
struct PowScalarBackward final : Node {
  explicit PowScalarBackward(double p) : exponent(p) {}
  double exponent;
  const char* name() const override { return "pow"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return pow(in[0], exponent); }
  std::string derivative() const override { return "d x^p/dx = p * x^(p - 1)"; }
  std::string extra_args() const override { return fmt::format("{}", exponent); }
  Grads backward(const Tensor& g) override {
    if (exponent == 0.0) return {zeros_like(input(0))};
    return {g * exponent * pow(input(0), exponent - 1.0)};
  }
};
Tensor pow(const Tensor& x, double exponent) {
  Tensor out;
  if (exponent == 2.0) {
    out = unary(x, "pow", [](const auto& a) { return a * a; });  // exact and faster than std::pow
  } else {
    out = unary(x, "pow", [exponent](const auto& a) {
      using T = typename std::decay_t<decltype(a)>::value_type;
      return xt::pow(a, static_cast<T>(exponent));
    });
  }
  return Tensor::record<PowScalarBackward>(std::move(out), {x}, exponent);
}

// ---- pow (tensor exponent) ----
// d a^b/da = b * a^(b - 1) (taken as 0 where b = 0, as torch),
// d a^b/db = a^b * ln(a) (taken as 0 where a = 0 and b >= 0, as torch)
struct PowBackward final : Node {
  const char* name() const override { return "pow"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return pow(in[0], in[1]); }
  std::string derivative() const override { return "d a^b/da = b * a^(b - 1), d a^b/db = a^b * ln(a)"; }
  Grads backward(const Tensor& g) override {
    const Tensor& a = input(0);
    const Tensor& b = input(1);
    Tensor grad_a, grad_b;
    if (needs_input_grad(0)) {
      // b * a^(b - 1) is 0 * inf = NaN at a = 0, b = 0; torch takes the gradient as 0 wherever b = 0
      Tensor zero_exponent = detail::mask(b, "pow", [](auto v) { return v == 0; });
      grad_a = sum_to(where(zero_exponent, zeros_like(g), g * b * pow(a, b - 1.0)), a.shape());
    }
    if (needs_input_grad(1)) {
      Tensor zero_base = detail::binary(a, b, "pow", [](const auto& x, const auto& y) {
        using T = typename std::decay_t<decltype(x)>::value_type;
        return xt::cast<T>(xt::equal(x, T(0)) && y >= T(0));
      });
      Tensor safe_a = where(zero_base, ones_like(a) + zeros_like(b), a + zeros_like(b));
      grad_b = sum_to(where(zero_base, zeros_like(g), g * pow(a, b) * log(safe_a)), b.shape());
    }
    return {grad_a, grad_b};
  }
};
Tensor pow(const Tensor& x, const Tensor& exponent) {
  return Tensor::record<PowBackward>(
      binary(x, exponent, "pow", [](const auto& a, const auto& b) { return xt::pow(a, b); }), {x, exponent});
}
Tensor pow(double base, const Tensor& exponent) { return pow(detail::scalar_like(exponent, base), exponent); }

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
  detail::check_same_dtype(a, b, "where");
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
  xt::xarray<bool> cond = dispatch<false>(condition.dtype(), "where", [&](auto tag) {
    using C = decltype(tag);
    return xt::xarray<bool>(xt::not_equal(array<C>(cond_full), C(0)));
  });
  Tensor out = dispatch<false>(a.dtype(), "where", [&](auto tag) {
    using T = decltype(tag);
    return detail::make_tensor<T>(Array<T>(xt::where(cond, array<T>(a_full), array<T>(b_full))));
  });
  return Tensor::record<WhereBackward>(std::move(out), {condition, a, b});
}

// ---- tensor op scalar ----
// The scalar stays a double in the node instead of becoming a 0-d tensor input: one tensor and
// one input fewer per op, and a backward of one multiplication (or none). Trace and DOT show the
// scalar after the tensor, as they showed the constant before: "mul(x, 1.01)".
// d(a + c)/da = 1, d(a - c)/da = 1, d(a * c)/da = c, d(a / c)/da = 1 / c
namespace {

Tensor add_scalar(const Tensor& a, double c);
Tensor sub_scalar(const Tensor& a, double c);
Tensor mul_scalar(const Tensor& a, double c);
Tensor div_scalar(const Tensor& a, double c);
Tensor scalar_operand(const Tensor& t, double value, const char* op);

// a op c for a float tensor, evaluated once; int64 tensors keep the 0-d tensor path, whose
// integer checks they need
template <class F>
Tensor scalar_kernel(const Tensor& a, double c, const char* op, F&& f) {
  detail::check_defined(a, op);
  return dispatch(a.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    // f takes the scalar by reference: xtensor keeps an lvalue scalar by reference, so it must be
    // this local, alive until the expression is evaluated here
    const T value = static_cast<T>(c);
    return detail::make_tensor<T>(Array<T>(f(array<T>(a), value)));
  });
}

// The local derivative of a op c is a constant, `slope`: grad_output * slope.
Tensor scaled(const Tensor& g, double slope) {
  if (slope == 1.0) return g;
  return detail::fused_or(
      g, g,
      [slope](const auto& go, const auto&) {
        using T = typename std::decay_t<decltype(go)>::value_type;
        return go * static_cast<T>(slope);
      },
      [&] { return mul_scalar(g, slope); });
}

struct ScalarOpBackward : Node {
  explicit ScalarOpBackward(double c) : scalar(c) {}
  double scalar;
  std::string extra_args() const override { return fmt::format("{}", scalar); }
};

}  // namespace

struct AddScalarBackward final : ScalarOpBackward {
  using ScalarOpBackward::ScalarOpBackward;
  const char* name() const override { return "add"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return add_scalar(in[0], scalar); }
  std::string derivative() const override { return "d(a + c)/da = 1"; }
  Grads backward(const Tensor& g) override { return {g}; }
};
struct SubScalarBackward final : ScalarOpBackward {
  using ScalarOpBackward::ScalarOpBackward;
  const char* name() const override { return "sub"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return sub_scalar(in[0], scalar); }
  std::string derivative() const override { return "d(a - c)/da = 1"; }
  Grads backward(const Tensor& g) override { return {g}; }
};
struct MulScalarBackward final : ScalarOpBackward {
  using ScalarOpBackward::ScalarOpBackward;
  const char* name() const override { return "mul"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return mul_scalar(in[0], scalar); }
  std::string derivative() const override { return "d(a * c)/da = c"; }
  Grads backward(const Tensor& g) override { return {scaled(g, scalar)}; }
};
struct DivScalarBackward final : ScalarOpBackward {
  using ScalarOpBackward::ScalarOpBackward;
  const char* name() const override { return "div"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return div_scalar(in[0], scalar); }
  std::string derivative() const override { return "d(a / c)/da = 1 / c"; }
  Grads backward(const Tensor& g) override { return {scaled(g, 1.0 / scalar)}; }
};

namespace {

// a op c recorded with NodeT; int64 tensors keep the 0-d tensor path (tensor_form), whose
// integer checks they need
template <class NodeT, class F>
Tensor scalar_op(const Tensor& a, double c, const char* op, Tensor (*tensor_form)(const Tensor&, const Tensor&),
                 F&& f) {
  if (a.defined() && a.dtype() == Dtype::int64) return tensor_form(a, scalar_operand(a, c, op));
  return Tensor::record<NodeT>(scalar_kernel(a, c, op, std::forward<F>(f)), {a}, c);
}

Tensor add_scalar(const Tensor& a, double c) {
  return scalar_op<AddScalarBackward>(a, c, "add", add, [](const auto& x, const auto& v) { return x + v; });
}
Tensor sub_scalar(const Tensor& a, double c) {
  return scalar_op<SubScalarBackward>(a, c, "sub", sub, [](const auto& x, const auto& v) { return x - v; });
}
Tensor mul_scalar(const Tensor& a, double c) {
  return scalar_op<MulScalarBackward>(a, c, "mul", mul, [](const auto& x, const auto& v) { return x * v; });
}
Tensor div_scalar(const Tensor& a, double c) {
  return scalar_op<DivScalarBackward>(a, c, "div", div, [](const auto& x, const auto& v) { return x / v; });
}

}  // namespace

// ---- operators ----
namespace {
// A scalar operand as a 0-d tensor of the tensor's dtype. With an int64 tensor a fractional scalar
// would be truncated (labels * 0.5 == 0); xgrad never promotes silently, so that is a DtypeError.
Tensor scalar_operand(const Tensor& t, double value, const char* op) {
  detail::check_defined(t, op);
  if (t.dtype() == Dtype::int64 && !(std::isfinite(value) && value == std::trunc(value))) {
    throw DtypeError(
        fmt::format("{}: the scalar {} is not an integer and the tensor is int64 (shape {}); "
                    "convert the tensor with .to(xg::float32) or .to(xg::float64) first",
                    op, value, format_shape(t.shape())));
  }
  return detail::scalar_like(t, value);
}
}  // namespace

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, double b) { return add_scalar(a, b); }
Tensor operator-(const Tensor& a, double b) { return sub_scalar(a, b); }
Tensor operator*(const Tensor& a, double b) { return mul_scalar(a, b); }
Tensor operator/(const Tensor& a, double b) { return div_scalar(a, b); }
// c + x and c * x record the same node as x + c and x * c (torch records AddBackward0 and
// MulBackward0 either way); c - x and c / x are other functions of x and keep the tensor form.
Tensor operator+(double a, const Tensor& b) { return add_scalar(b, a); }
Tensor operator-(double a, const Tensor& b) { return sub(scalar_operand(b, a, "sub"), b); }
Tensor operator*(double a, const Tensor& b) { return mul_scalar(b, a); }
Tensor operator/(double a, const Tensor& b) { return div(scalar_operand(b, a, "div"), b); }

// ---- the catalogue (autograd/ops/op_info.hpp): how tests and the docs see this file's ops ----
std::span<const OpInfo> elementwise_ops() {
  static const OpInfo ops[] = {
      {.name = "add",
       .family = "autograd/ops/elementwise",
       .signature = "add(a, b), a + b",
       .sample = OpSample::binary,
       .call = [](const OpCall& o) { return o.a + o.b; },
       .expression = "{a} + {b}"},
      {.name = "sub",
       .family = "autograd/ops/elementwise",
       .signature = "sub(a, b), a - b",
       .sample = OpSample::binary,
       .call = [](const OpCall& o) { return o.a - o.b; },
       .expression = "{a} - {b}"},
      {.name = "mul",
       .family = "autograd/ops/elementwise",
       .signature = "mul(a, b), a * b",
       .sample = OpSample::binary,
       .call = [](const OpCall& o) { return o.a * o.b; },
       .expression = "{a} * {b}"},
      {.name = "div",
       .family = "autograd/ops/elementwise",
       .signature = "div(a, b), a / b",
       .sample = OpSample::binary,
       .call = [](const OpCall& o) { return o.a / o.b; },
       .expression = "{a} / {b}",
       .positive_b = true},
      {.name = "neg",
       .family = "autograd/ops/elementwise",
       .signature = "neg(x), -x",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return -o.a; },
       .expression = "-{a}"},
      {.name = "add_scalar",
       .family = "autograd/ops/elementwise",
       .signature = "x + c, c + x",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return o.a + o.d; },
       .expression = "{a} + {d}",
       .lo = -2,
       .hi = 2},
      {.name = "sub_scalar",
       .family = "autograd/ops/elementwise",
       .signature = "x - c",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return o.a - o.d; },
       .expression = "{a} - {d}",
       .lo = -2,
       .hi = 2},
      {.name = "mul_scalar",
       .family = "autograd/ops/elementwise",
       .signature = "x * c, c * x",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return o.a * o.d; },
       .expression = "{a} * {d}",
       .lo = -2,
       .hi = 2},
      {.name = "div_scalar",
       .family = "autograd/ops/elementwise",
       .signature = "x / c",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return o.a / o.d; },
       .expression = "{a} / {d}",
       .lo = 0.5,
       .hi = 2,
       .either_sign = true},
      {.name = "scalar_sub",
       .family = "autograd/ops/elementwise",
       .signature = "c - x",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return o.d - o.a; },
       .expression = "{d} - {a}",
       .lo = -2,
       .hi = 2},
      {.name = "scalar_div",
       .family = "autograd/ops/elementwise",
       .signature = "c / x",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return o.d / o.a; },
       .expression = "{d} / {a}",
       .lo = 0.5,
       .hi = 2,
       .either_sign = true,
       .positive_a = true},
      {.name = "pow_int",
       .family = "autograd/ops/elementwise",
       .signature = "pow(x, n) with n integral",
       .sample = OpSample::unary_integer,
       .call = [](const OpCall& o) { return pow(o.a, static_cast<double>(o.i0)); },
       .expression = "pow({a}, {i0}.0)",
       .lo = 0,
       .hi = 3},
      {.name = "pow_real",
       .family = "autograd/ops/elementwise",
       .signature = "pow(x, p)",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return pow(o.a, o.d); },
       .expression = "pow({a}, {d})",
       .lo = -1.5,
       .hi = 2.5,
       .positive_a = true},
      {.name = "pow_tensor",
       .family = "autograd/ops/elementwise",
       .signature = "pow(a, b)",
       .sample = OpSample::binary,
       .call = [](const OpCall& o) { return pow(o.a, o.b); },
       .expression = "pow({a}, {b})",
       .positive_a = true},
      {.name = "pow_base",
       .family = "autograd/ops/elementwise",
       .signature = "pow(c, x)",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return pow(o.d, o.a); },
       .expression = "pow({d}, {a})",
       .lo = 0.3,
       .hi = 3},
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
  };
  return ops;
}

}  // namespace xg
