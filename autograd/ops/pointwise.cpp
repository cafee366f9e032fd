// square, rsqrt, log1p, expm1, atan2, maximum, minimum, clamp_min, clamp_max (pointwise.hpp):
// forward, backward and catalogue entry of each op side by side.
#include <autograd/ops/pointwise.hpp>

#include <autograd/broadcast.hpp>
#include <autograd/detail/kernels.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/arithmetic.hpp>
#include <autograd/ops/compare.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/op_info.hpp>

#include <cmath>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

namespace xg {

using detail::unary;

namespace {
// a and b in their common dtype (arithmetic's rule; the conversions are recorded).
std::pair<Tensor, Tensor> promoted(const Tensor& a, const Tensor& b, const char* op) {
  detail::check_defined(a, op);
  detail::check_defined(b, op);
  if (a.dtype() == b.dtype()) return {a, b};
  const Dtype c = result_type(a, b);
  return {a.dtype() == c ? a : a.to(c), b.dtype() == c ? b : b.to(c)};
}
}  // namespace

// ---- square ----
Tensor square(const Tensor& x) {
  detail::check_defined(x, "square");
  if (!is_floating(x.dtype())) return x * x;  // int64 stays int64, as torch's
  return pow(x, 2.0);                         // torch records PowBackward0 too
}

// ---- rsqrt ----
// d x^(-1/2)/dx = -1/2 x^(-3/2) = -rsqrt(x)^3 / 2
struct RsqrtBackward final : Node {
  const char* name() const override { return "rsqrt"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return rsqrt(in[0]); }
  std::string derivative() const override { return "d rsqrt(x)/dx = -rsqrt(x)^3 / 2"; }
  Grads backward(const Tensor& g) override {
    return {detail::fused_or(
        g, input(0),
        [](const auto& go, const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return go * (T(-0.5) / (x * xt::sqrt(x)));
        },
        [&] { return g * (pow(rsqrt(input(0)), 3.0) * -0.5); })};
  }
};
Tensor rsqrt(const Tensor& x) {
  return Tensor::record<RsqrtBackward>(unary(x, "rsqrt",
                                             [](const auto& a) {
                                               using T = typename std::decay_t<decltype(a)>::value_type;
                                               return T(1) / xt::sqrt(a);
                                             }),
                                       {x});
}

// ---- log1p ----
// d log(1 + x)/dx = 1 / (1 + x)
struct Log1pBackward final : Node {
  const char* name() const override { return "log1p"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return log1p(in[0]); }
  std::string derivative() const override { return "d log1p(x)/dx = 1 / (1 + x)"; }
  Grads backward(const Tensor& g) override { return {g / (input(0) + 1.0)}; }
};
Tensor log1p(const Tensor& x) {
  return Tensor::record<Log1pBackward>(unary(x, "log1p", [](const auto& a) { return xt::log1p(a); }), {x});
}

// ---- expm1 ----
// d (e^x - 1)/dx = e^x
struct Expm1Backward final : Node {
  const char* name() const override { return "expm1"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return expm1(in[0]); }
  std::string derivative() const override { return "d expm1(x)/dx = exp(x)"; }
  Grads backward(const Tensor& g) override { return {g * exp(input(0))}; }
};
Tensor expm1(const Tensor& x) {
  return Tensor::record<Expm1Backward>(unary(x, "expm1", [](const auto& a) { return xt::expm1(a); }), {x});
}

// ---- atan2 ----
// d atan2(a, b)/da = b / (a^2 + b^2), d atan2(a, b)/db = -a / (a^2 + b^2)
struct Atan2Backward final : Node {
  const char* name() const override { return "atan2"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return atan2(in[0], in[1]); }
  std::string derivative() const override {
    return "d atan2(a, b)/da = b / (a^2 + b^2), d atan2(a, b)/db = -a / (a^2 + b^2)";
  }
  Grads backward(const Tensor& g) override {
    const Tensor& a = input(0);
    const Tensor& b = input(1);
    const Tensor scale = g / (a * a + b * b);
    return {needs_input_grad(0) ? sum_to(scale * b, a.shape()) : Tensor(),
            needs_input_grad(1) ? sum_to(-scale * a, b.shape()) : Tensor()};
  }
};
Tensor atan2(const Tensor& a_in, const Tensor& b_in) {
  const auto [a, b] = promoted(a_in, b_in, "atan2");
  return Tensor::record<Atan2Backward>(
      detail::binary(a, b, "atan2", [](const auto& y, const auto& x) { return xt::atan2(y, x); }), {a, b});
}

// ---- maximum / minimum ----
// d max(a, b)/da = 1 where a > b, 1/2 where a = b, 0 where a < b (and for b the other way round);
// with a NaN both sides get it all, as torch's formula
namespace {
Tensor pick_grad(const Tensor& g, const Tensor& self, const Tensor& other, bool max) {
  const Tensor shared = where(eq(self, other), g * 0.5, g);
  const Tensor loses = max ? lt(self, other) : gt(self, other);
  return sum_to(where(loses, zeros_like(shared), shared), self.shape());
}
}  // namespace
struct ExtremumBackward final : Node {
  explicit ExtremumBackward(bool m) : max(m) {}
  bool max;
  const char* name() const override { return max ? "maximum" : "minimum"; }
  Tensor forward(const std::vector<Tensor>& in) const override {
    return max ? maximum(in[0], in[1]) : minimum(in[0], in[1]);
  }
  std::string derivative() const override {
    return max ? "d maximum(a, b)/da = 1 where a > b, 1/2 where a = b, else 0"
               : "d minimum(a, b)/da = 1 where a < b, 1/2 where a = b, else 0";
  }
  Grads backward(const Tensor& g) override {
    const Tensor& a = input(0);
    const Tensor& b = input(1);
    return {needs_input_grad(0) ? pick_grad(g, a, b, max) : Tensor(),
            needs_input_grad(1) ? pick_grad(g, b, a, max) : Tensor()};
  }
};
namespace {
Tensor extremum(const Tensor& a_in, const Tensor& b_in, bool max) {
  const char* op = max ? "maximum" : "minimum";
  const auto [a, b] = promoted(a_in, b_in, op);
  auto pick = [max](auto u, auto v) {
    if (u != u) return u;  // NaN wins, as torch's
    if (v != v) return v;
    return (max ? u < v : v < u) ? v : u;
  };
  Tensor out = detail::binary<Dtypes::numeric>(a, b, op, [pick](const auto& x, const auto& y) {
    using T = typename std::decay_t<decltype(x)>::value_type;
    return xt::make_lambda_xfunction([pick](T u, T v) -> T { return pick(u, v); }, x, y);
  });
  return Tensor::record<ExtremumBackward>(std::move(out), {a, b}, max);
}
}  // namespace
Tensor maximum(const Tensor& a, const Tensor& b) { return extremum(a, b, true); }
Tensor minimum(const Tensor& a, const Tensor& b) { return extremum(a, b, false); }

// ---- clamp_min / clamp_max ----
Tensor clamp_min(const Tensor& x, double min) { return clamp(x, min, std::nullopt); }
Tensor clamp_max(const Tensor& x, double max) { return clamp(x, std::nullopt, max); }

// ---- the catalogue (autograd/ops/op_info.hpp) ----
std::span<const OpInfo> pointwise_ops() {
  constexpr const char* kFamily = "autograd/ops/pointwise";
  static const OpInfo ops[] = {
      {.name = "square",
       .family = kFamily,
       .signature = "square(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return square(o.a); },
       .expression = "square({a})"},
      {.name = "rsqrt",
       .family = kFamily,
       .signature = "rsqrt(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return rsqrt(o.a); },
       .expression = "rsqrt({a})",
       .positive_a = true},
      {.name = "log1p",
       .family = kFamily,
       .signature = "log1p(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return log1p(o.a); },
       .expression = "log1p({a})",
       .positive_a = true},
      {.name = "expm1",
       .family = kFamily,
       .signature = "expm1(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return expm1(o.a); },
       .expression = "expm1({a})"},
      {.name = "atan2",
       .family = kFamily,
       .signature = "atan2(a, b)",
       .sample = OpSample::binary,
       .call = [](const OpCall& o) { return atan2(o.a, o.b); },
       .expression = "atan2({a}, {b})",
       .positive_b = true},
      {.name = "maximum",
       .family = kFamily,
       .signature = "maximum(a, b)",
       .sample = OpSample::binary,
       .call = [](const OpCall& o) { return maximum(o.a, o.b); },
       .expression = "maximum({a}, {b})"},
      {.name = "minimum",
       .family = kFamily,
       .signature = "minimum(a, b)",
       .sample = OpSample::binary,
       .call = [](const OpCall& o) { return minimum(o.a, o.b); },
       .expression = "minimum({a}, {b})"},
      {.name = "clamp_min",
       .family = kFamily,
       .signature = "clamp_min(x, min), clamp_max(x, max)",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return clamp_min(o.a, o.d); },
       .expression = "clamp_min({a}, {d})",
       .lo = -0.5,
       .hi = 0.5},
  };
  return ops;
}

}  // namespace xg
