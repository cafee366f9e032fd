// Activations: forward, backward and the derivative shown by trace, side by side.
#include <autograd/ops/activation.hpp>

#include <autograd/detail/kernels.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/op_info.hpp>

#include <xtensor/xmath.hpp>

namespace xg {

using detail::unary;

// ---- tanh ----
// d tanh(x)/dx = 1 - tanh(x)^2 (recomputed from the input: docs/architecture.md "Why outputs are never saved")
struct TanhBackward final : Node {
  const char* name() const override { return "tanh"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return tanh(in[0]); }
  std::string derivative() const override { return "d tanh(x)/dx = 1 - tanh(x)^2"; }
  Grads backward(const Tensor& g) override {
    return {detail::fused_or(
        g, input(0),
        [](const auto& go, const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return go * (T(1) - xt::square(xt::tanh(x)));
        },
        [&] {
          Tensor y = tanh(input(0));
          return g * (1.0 - y * y);
        })};
  }
};
Tensor tanh(const Tensor& x) {
  return Tensor::record<TanhBackward>(unary(x, "tanh", [](const auto& a) { return xt::tanh(a); }), {x});
}

// ---- sigmoid ----
// d sigmoid(x)/dx = sigmoid(x) * (1 - sigmoid(x))
// Fused rather than composed from exp and div: the composite's backward multiplies
// 0 by e^-x = inf for x < -88 (float32) and gives NaN where the true gradient is 0.
struct SigmoidBackward final : Node {
  const char* name() const override { return "sigmoid"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return sigmoid(in[0]); }
  std::string derivative() const override { return "d sigmoid(x)/dx = sigmoid(x) * (1 - sigmoid(x))"; }
  Grads backward(const Tensor& g) override {
    return {detail::fused_or(
        g, input(0),
        [](const auto& go, const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          // s (1 - s) = e^-x / (1 + e^-x)^2 = 1 / (e^(x/2) + e^(-x/2))^2: no overflow to inf/inf
          return go / xt::square(xt::exp(x * T(0.5)) + xt::exp(x * T(-0.5)));
        },
        [&] {
          Tensor s = sigmoid(input(0));
          return g * s * (1.0 - s);
        })};
  }
};
Tensor sigmoid(const Tensor& x) {
  Tensor out = unary(x, "sigmoid", [](const auto& a) {
    using T = typename std::decay_t<decltype(a)>::value_type;
    return T(1) / (T(1) + xt::exp(-a));  // e^-x = inf gives 1/inf = 0: no overflow issue
  });
  return Tensor::record<SigmoidBackward>(std::move(out), {x});
}

// ---- relu ----
// d relu(x)/dx = 1 where x > 0, else 0 (0 at x = 0, as torch)
struct ReluBackward final : Node {
  const char* name() const override { return "relu"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return relu(in[0]); }
  std::string derivative() const override { return "d relu(x)/dx = 1 if x > 0 else 0"; }
  Grads backward(const Tensor& g) override {
    return {detail::fused_or(
        g, input(0),
        [](const auto& go, const auto& x) {
          using T = typename std::decay_t<decltype(x)>::value_type;
          return xt::where(x > T(0), go, T(0));
        },
        [&] { return g * detail::mask(input(0), "relu", [](auto v) { return v > 0; }); })};
  }
};
Tensor relu(const Tensor& x) {
  Tensor out = unary(x, "relu", [](const auto& a) {
    using T = typename std::decay_t<decltype(a)>::value_type;
    return xt::maximum(a, T(0));
  });
  return Tensor::record<ReluBackward>(std::move(out), {x});
}

// ---- leaky_relu ----
// d leaky_relu(x)/dx = 1 where x > 0, else negative_slope
struct LeakyReluBackward final : Node {
  explicit LeakyReluBackward(double s) : negative_slope(s) {}
  double negative_slope;
  const char* name() const override { return "leaky_relu"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return leaky_relu(in[0], negative_slope); }
  std::string extra_args() const override { return fmt::format("negative_slope={}", negative_slope); }
  std::string derivative() const override { return "d leaky_relu(x)/dx = 1 if x > 0 else negative_slope"; }
  Grads backward(const Tensor& g) override {
    const double s = negative_slope;
    Tensor positive = detail::mask(input(0), "leaky_relu", [](auto v) { return v > 0; });
    return {g * (positive * (1.0 - s) + s)};
  }
};
Tensor leaky_relu(const Tensor& x, double negative_slope) {
  Tensor out = unary(x, "leaky_relu", [negative_slope](const auto& a) {
    using T = typename std::decay_t<decltype(a)>::value_type;
    return xt::where(a > T(0), a, a * static_cast<T>(negative_slope));
  });
  return Tensor::record<LeakyReluBackward>(std::move(out), {x}, negative_slope);
}

// ---- step ----
// d step(x)/dx = 0 (piecewise constant; undefined at 0, where xgrad, like torch's relu, picks 0)
struct StepBackward final : Node {
  explicit StepBackward(double z) : at_zero(z) {}
  double at_zero;
  const char* name() const override { return "step"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return step(in[0], at_zero); }
  std::string derivative() const override { return "d step(x)/dx = 0"; }
  Grads backward(const Tensor& g) override { return {zeros_like(g)}; }
};
Tensor step(const Tensor& x, double at_zero) {
  Tensor out = unary(x, "step", [at_zero](const auto& a) {
    using T = typename std::decay_t<decltype(a)>::value_type;
    return xt::where(a > T(0), T(1), xt::where(a < T(0), T(0), static_cast<T>(at_zero)));
  });
  return Tensor::record<StepBackward>(std::move(out), {x}, at_zero);
}

// ---- softplus ----
// d softplus(x)/dx = sigmoid(beta x) (1 where beta x > threshold, as torch)
struct SoftplusBackward final : Node {
  SoftplusBackward(double b, double t) : beta(b), threshold(t) {}
  double beta, threshold;
  const char* name() const override { return "softplus"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return softplus(in[0], beta, threshold); }
  std::string derivative() const override { return "d softplus(x)/dx = sigmoid(beta * x)"; }
  Grads backward(const Tensor& g) override {
    const Tensor& x = input(0);
    const double b = beta, t = threshold;
    Tensor linear = detail::bool_mask(x, "softplus", [b, t](auto v) { return b * v > t; });
    return {where(linear, g, g * sigmoid(x * beta))};
  }
};
Tensor softplus(const Tensor& x, double beta, double threshold) {
  if (beta == 0.0) throw ValueError("softplus: beta must be non-zero");
  Tensor out = unary(x, "softplus", [beta, threshold](const auto& a) {
    using T = typename std::decay_t<decltype(a)>::value_type;
    // log1p(e^(bx)) overflows for large bx; there softplus(x) = x to within rounding. beta goes in
    // as a prvalue: xtensor holds an lvalue scalar by reference, and a local would dangle once the
    // unevaluated expression is returned
    return xt::where(a * static_cast<T>(beta) > static_cast<T>(threshold), a,
                     xt::log1p(xt::exp(a * static_cast<T>(beta))) / static_cast<T>(beta));
  });
  return Tensor::record<SoftplusBackward>(std::move(out), {x}, beta, threshold);
}

// ---- the catalogue (autograd/ops/op_info.hpp): how tests and the docs see this file's ops ----
std::span<const OpInfo> activation_ops() {
  static const OpInfo ops[] = {
      {.name = "tanh",
       .family = "autograd/ops/activation",
       .signature = "tanh(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return tanh(o.a); },
       .expression = "tanh({a})"},
      {.name = "sigmoid",
       .family = "autograd/ops/activation",
       .signature = "sigmoid(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return sigmoid(o.a); },
       .expression = "sigmoid({a})"},
      {.name = "relu",
       .family = "autograd/ops/activation",
       .signature = "relu(x)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return relu(o.a); },
       .expression = "relu({a})"},
      {.name = "leaky_relu",
       .family = "autograd/ops/activation",
       .signature = "leaky_relu(x, negative_slope)",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return leaky_relu(o.a, o.d); },
       .expression = "leaky_relu({a}, {d})",
       .lo = 0.01,
       .hi = 0.3},
      // a jump at 0, as sign's
      {.name = "step",
       .family = "autograd/ops/activation",
       .signature = "step(x, at_zero)",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return step(o.a); },
       .expression = "step({a})",
       .keep_from_zero = 1e-3},
      {.name = "softplus",
       .family = "autograd/ops/activation",
       .signature = "softplus(x, beta, threshold)",
       .sample = OpSample::unary_scalar,
       .call = [](const OpCall& o) { return softplus(o.a, o.d); },
       .expression = "softplus({a}, {d})",
       .lo = 0.5,
       .hi = 2},
  };
  return ops;
}

}  // namespace xg
