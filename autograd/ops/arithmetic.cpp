// Element-wise arithmetic with NumPy broadcasting, and the operators on tensors and scalars: forward,
// backward and checks of each op side by side.
#include <autograd/ops/arithmetic.hpp>
#include <autograd/ops/compare.hpp>

#include <autograd/broadcast.hpp>
#include <autograd/detail/kernels.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/elementwise.hpp>  // where and log, in pow's backward
#include <autograd/ops/op_info.hpp>

#include <cmath>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

namespace xg {

using detail::array;
using detail::binary;
using detail::unary;

namespace {
// t in `dtype`: itself when it has it, else converted by a recorded to() (its gradient comes back
// in t's dtype).
Tensor in_dtype(const Tensor& t, Dtype dtype) { return t.dtype() == dtype ? t : t.to(dtype); }
// Whether a and b are both defined and of different dtypes (then converted before the op runs).
bool mixed(const Tensor& a, const Tensor& b) { return a.defined() && b.defined() && a.dtype() != b.dtype(); }
Dtype common_dtype(const Tensor& a, const Tensor& b, bool true_division = false) {
  const Dtype c = result_type(a, b);
  return true_division && !is_floating(c) ? default_dtype() : c;
}
bool both_bool(const Tensor& a, const Tensor& b) {
  return a.defined() && b.defined() && a.dtype() == Dtype::boolean && b.dtype() == Dtype::boolean;
}
}  // namespace

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
  if (mixed(a, b)) {
    const Dtype c = common_dtype(a, b);
    return add(in_dtype(a, c), in_dtype(b, c));
  }
  if (both_bool(a, b)) return logical_or(a, b);  // torch: bool + bool is bool
  return Tensor::record<AddBackward>(
      binary<Dtypes::numeric>(a, b, "add", [](const auto& x, const auto& y) { return x + y; }), {a, b});
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
namespace {
[[noreturn]] void throw_bool_sub() {
  // torch's words
  throw DtypeError(
      "sub: subtraction, the `-` operator, with a bool tensor is not supported; use the `^` or logical_xor() "
      "operator instead, or convert the tensor first");
}
}  // namespace
Tensor sub(const Tensor& a, const Tensor& b) {
  if ((a.defined() && a.dtype() == Dtype::boolean) || (b.defined() && b.dtype() == Dtype::boolean)) throw_bool_sub();
  if (mixed(a, b)) {
    const Dtype c = common_dtype(a, b);
    return sub(in_dtype(a, c), in_dtype(b, c));
  }
  return Tensor::record<SubBackward>(
      binary<Dtypes::numeric>(a, b, "sub", [](const auto& x, const auto& y) { return x - y; }), {a, b});
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
  if (mixed(a, b)) {
    const Dtype c = common_dtype(a, b);
    return mul(in_dtype(a, c), in_dtype(b, c));
  }
  if (both_bool(a, b)) return logical_and(a, b);  // torch: bool * bool is bool
  return Tensor::record<MulBackward>(
      binary<Dtypes::numeric>(a, b, "mul", [](const auto& x, const auto& y) { return x * y; }), {a, b});
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
  // true division, as torch's: int64 / int64 divides in the default dtype
  if (mixed(a, b) || (a.defined() && b.defined() && !is_floating(a.dtype()))) {
    const Dtype c = common_dtype(a, b, true);
    return div(in_dtype(a, c), in_dtype(b, c));
  }
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
  Tensor out = dispatch<Dtypes::numeric>(x.dtype(), "neg", [&](auto tag) {
    using T = decltype(tag);
    return detail::make_tensor<T>(Array<T>(-array<T>(detail::Dense(x).t)));
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
      Tensor zero_exponent = detail::bool_mask(b, "pow", [](auto v) { return v == 0; });
      grad_a = sum_to(where(zero_exponent, zeros_like(g), g * b * pow(a, b - 1.0)), a.shape());
    }
    if (needs_input_grad(1)) {
      Tensor zero_base = logical_and(eq(a, 0.0), ge(b, 0.0));
      Tensor safe_a = where(zero_base, ones_like(a) + zeros_like(b), a + zeros_like(b));
      grad_b = sum_to(where(zero_base, zeros_like(g), g * pow(a, b) * log(safe_a)), b.shape());
    }
    return {grad_a, grad_b};
  }
};
Tensor pow(const Tensor& x, const Tensor& exponent) {
  if (mixed(x, exponent)) {
    const Dtype c = common_dtype(x, exponent);
    return pow(in_dtype(x, c), in_dtype(exponent, c));
  }
  return Tensor::record<PowBackward>(
      binary(x, exponent, "pow", [](const auto& a, const auto& b) { return xt::pow(a, b); }), {x, exponent});
}
Tensor pow(double base, const Tensor& exponent) { return pow(detail::scalar_like(exponent, base), exponent); }

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
    return detail::make_tensor<T>(Array<T>(f(array<T>(detail::Dense(a).t), value)));
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
// would be truncated (labels * 0.5 == 0): the operators below never ask for that, they convert
// the tensor first.
Tensor scalar_operand(const Tensor& t, double value, const char* op) {
  detail::check_defined(t, op);
  if (t.dtype() == Dtype::int64 && !(std::isfinite(value) && value == std::trunc(value))) {
    throw DtypeError(fmt::format("{}: internal: the scalar {} is not an integer and the tensor is int64 (shape {})", op,
                                 value, format_shape(t.shape())));
  }
  return detail::scalar_like(t, value);
}

// The number as a 0-d tensor of `dtype` (an int64 one exact beyond 2^53).
Tensor number(const Scalar& s, Dtype dtype) {
  if (dtype == Dtype::int64) return detail::from_int64_vector({s.to_int64()}, {});
  return full({}, s.to_double(), dtype);
}

// a op s in torch's dtype for the pair: a floating result through the scalar kernel (the number
// stays a double in the node), an integer or bool one through the 0-d tensor form.
template <class ScalarForm, class TensorForm>
Tensor with_number(const Tensor& a, const Scalar& s, const char* op, bool true_division, ScalarForm scalar_form,
                   TensorForm tensor_form) {
  detail::check_defined(a, op);
  Dtype c = result_type(a.dtype(), s);
  if (true_division && !is_floating(c)) c = default_dtype();
  if (is_floating(c)) return scalar_form(in_dtype(a, c), s.to_double());
  return tensor_form(in_dtype(a, c), number(s, c));
}
}  // namespace

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& a, Scalar b) { return with_number(a, b, "add", false, add_scalar, add); }
Tensor operator-(const Tensor& a, Scalar b) {
  if (b.is_bool() || (a.defined() && a.dtype() == Dtype::boolean)) throw_bool_sub();
  return with_number(a, b, "sub", false, sub_scalar, sub);
}
Tensor operator*(const Tensor& a, Scalar b) { return with_number(a, b, "mul", false, mul_scalar, mul); }
Tensor operator/(const Tensor& a, Scalar b) { return with_number(a, b, "div", true, div_scalar, div); }
// c + x and c * x record the same node as x + c and x * c (torch records AddBackward0 and
// MulBackward0 either way); c - x and c / x are other functions of x and keep the tensor form.
Tensor operator+(Scalar a, const Tensor& b) { return b + a; }
Tensor operator-(Scalar a, const Tensor& b) {
  if (a.is_bool() || (b.defined() && b.dtype() == Dtype::boolean)) throw_bool_sub();
  return with_number(
      b, a, "sub", false, [](const Tensor& x, double c) { return sub(scalar_operand(x, c, "sub"), x); },
      [](const Tensor& x, const Tensor& c) { return sub(c, x); });
}
Tensor operator*(Scalar a, const Tensor& b) { return b * a; }
Tensor operator/(Scalar a, const Tensor& b) {
  return with_number(
      b, a, "div", true, [](const Tensor& x, double c) { return div(scalar_operand(x, c, "div"), x); },
      [](const Tensor& x, const Tensor& c) { return div(c, x); });
}

// ---- the catalogue (autograd/ops/op_info.hpp): how tests and the docs see this file's ops ----
std::span<const OpInfo> arithmetic_ops() {
  static const OpInfo ops[] = {
      {.name = "add",
       .family = "autograd/ops/arithmetic",
       .signature = "add(a, b), a + b",
       .sample = OpSample::binary,
       .call = [](const OpCall& o) { return o.a + o.b; },
       .expression = "{a} + {b}"},
      {.name = "sub",
       .family = "autograd/ops/arithmetic",
       .signature = "sub(a, b), a - b",
       .sample = OpSample::binary,
       .call = [](const OpCall& o) { return o.a - o.b; },
       .expression = "{a} - {b}"},
      {.name = "mul",
       .family = "autograd/ops/arithmetic",
       .signature = "mul(a, b), a * b",
       .sample = OpSample::binary,
       .call = [](const OpCall& o) { return o.a * o.b; },
       .expression = "{a} * {b}"},
      {.name = "div",
       .family = "autograd/ops/arithmetic",
       .signature = "div(a, b), a / b",
       .sample = OpSample::binary,
       .call = [](const OpCall& o) { return o.a / o.b; },
       .expression = "{a} / {b}",
       .positive_b = true},
      {.name = "neg",
       .family = "autograd/ops/arithmetic",
       .signature = "neg(x), -x",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return -o.a; },
       .expression = "-{a}"},
      {.name = "add_scalar",
       .family = "autograd/ops/arithmetic",
       .signature = "x + c, c + x",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return o.a + o.d; },
       .expression = "{a} + {d}",
       .lo = -2,
       .hi = 2},
      {.name = "sub_scalar",
       .family = "autograd/ops/arithmetic",
       .signature = "x - c",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return o.a - o.d; },
       .expression = "{a} - {d}",
       .lo = -2,
       .hi = 2},
      {.name = "mul_scalar",
       .family = "autograd/ops/arithmetic",
       .signature = "x * c, c * x",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return o.a * o.d; },
       .expression = "{a} * {d}",
       .lo = -2,
       .hi = 2},
      {.name = "div_scalar",
       .family = "autograd/ops/arithmetic",
       .signature = "x / c",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return o.a / o.d; },
       .expression = "{a} / {d}",
       .lo = 0.5,
       .hi = 2,
       .either_sign = true},
      {.name = "scalar_sub",
       .family = "autograd/ops/arithmetic",
       .signature = "c - x",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return o.d - o.a; },
       .expression = "{d} - {a}",
       .lo = -2,
       .hi = 2},
      {.name = "scalar_div",
       .family = "autograd/ops/arithmetic",
       .signature = "c / x",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return o.d / o.a; },
       .expression = "{d} / {a}",
       .lo = 0.5,
       .hi = 2,
       .either_sign = true,
       .positive_a = true},
      {.name = "pow_int",
       .family = "autograd/ops/arithmetic",
       .signature = "pow(x, n) with n integral",
       .sample = OpSample::unary_integer,
       .call = [](const OpCall& o) { return pow(o.a, static_cast<double>(o.i0)); },
       .expression = "pow({a}, {i0}.0)",
       .lo = 0,
       .hi = 3},
      {.name = "pow_real",
       .family = "autograd/ops/arithmetic",
       .signature = "pow(x, p)",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return pow(o.a, o.d); },
       .expression = "pow({a}, {d})",
       .lo = -1.5,
       .hi = 2.5,
       .positive_a = true},
      {.name = "pow_tensor",
       .family = "autograd/ops/arithmetic",
       .signature = "pow(a, b)",
       .sample = OpSample::binary,
       .call = [](const OpCall& o) { return pow(o.a, o.b); },
       .expression = "pow({a}, {b})",
       .positive_a = true},
      {.name = "pow_base",
       .family = "autograd/ops/arithmetic",
       .signature = "pow(c, x)",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return pow(o.d, o.a); },
       .expression = "pow({d}, {a})",
       .lo = 0.3,
       .hi = 3},
  };
  return ops;
}

}  // namespace xg
