// Losses. MSE, cross entropy and NLL are compositions of autograd ops (their backward comes
// for free); the two BCE losses are fused nodes because their compositions break: the clamped
// logs of BCE give 0 * inf = NaN gradients at x = 0 or 1, and abs() in the stable form of
// BCE-with-logits has the wrong slope exactly at z = 0.
#include <nn/loss.hpp>

#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/ops/shape.hpp>
#include <autograd/ops/softmax.hpp>

#include <fmt/format.h>
#include <cmath>

namespace xg::nn {

namespace {

Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::none: return loss;
    case Reduction::sum: return sum(loss);
    case Reduction::mean: return mean(loss);
  }
  return loss;
}

void check_same_shape(const Tensor& input, const Tensor& target, const char* op) {
  if (!input.defined() || !target.defined()) throw ValueError(fmt::format("{}: input or target is undefined", op));
  if (input.shape() != target.shape()) {
    throw ShapeError(fmt::format("{}: input shape {} and target shape {} differ (they must be equal)", op,
                                 format_shape(input.shape()), format_shape(target.shape())));
  }
  if (!is_floating(input.dtype()) || input.dtype() != target.dtype()) {
    throw DtypeError(fmt::format("{}: input ({}) and target ({}) must be float tensors of one dtype", op,
                                 dtype_name(input.dtype()), dtype_name(target.dtype())));
  }
}

void check_probabilities(const Tensor& t, const char* op, const char* what) {
  const std::vector<double> v = t.to_vector();
  for (size_t i = 0; i < v.size(); ++i) {
    if (!(v[i] >= 0.0 && v[i] <= 1.0)) {
      throw ValueError(
          fmt::format("{}: {} values must be probabilities in [0, 1], got {} at flat index {}", op, what, v[i], i));
    }
  }
}

// ---- binary_cross_entropy ----
// d BCE/dx = (x - y) / max(x (1 - x), 1e-12) (torch's formula, finite at x = 0 and 1);
// d BCE/dy = clamp(log(1 - x)) - clamp(log x)
Tensor clamped_log(const Tensor& x) { return clamp(log(x), -100.0, std::nullopt); }

struct BinaryCrossEntropyBackward final : Node {
  const char* name() const override { return "binary_cross_entropy"; }
  Tensor forward(const std::vector<Tensor>& in) const override {
    return binary_cross_entropy(in[0], in[1], Reduction::none);
  }
  std::string derivative() const override { return "d BCE/dx = (x - y) / (x (1 - x)), d BCE/dy = log(1 - x) - log(x)"; }
  Grads backward(const Tensor& g) override {
    const Tensor& x = input(0);
    const Tensor& y = input(1);
    Tensor grad_x, grad_y;
    if (needs_input_grad(0)) grad_x = g * (x - y) / clamp(x * (1.0 - x), 1e-12, std::nullopt);
    if (needs_input_grad(1)) grad_y = g * (clamped_log(1.0 - x) - clamped_log(x));
    return {grad_x, grad_y};
  }
};

// ---- binary_cross_entropy_with_logits ----
// d/dz = sigmoid(z) - y; d/dy = -z
struct BinaryCrossEntropyWithLogitsBackward final : Node {
  const char* name() const override { return "binary_cross_entropy_with_logits"; }
  Tensor forward(const std::vector<Tensor>& in) const override {
    return binary_cross_entropy_with_logits(in[0], in[1], Reduction::none);
  }
  std::string derivative() const override { return "d BCE(sigmoid(z), y)/dz = sigmoid(z) - y, /dy = -z"; }
  Grads backward(const Tensor& g) override {
    const Tensor& z = input(0);
    const Tensor& y = input(1);
    return {needs_input_grad(0) ? g * (sigmoid(z) - y) : Tensor(), needs_input_grad(1) ? -g * z : Tensor()};
  }
};

// class indices [N] (or 0-d) for scores [N, C] (or [C]): checked, as a one-hot mask; `op` is
// the public function the user called
Tensor class_mask(const Tensor& input, const Tensor& target, const char* op) {
  if (!input.defined() || !target.defined()) throw ValueError(fmt::format("{}: input or target is undefined", op));
  if (target.dtype() != Dtype::int64) {
    throw DtypeError(fmt::format("{}: target must hold int64 class indices, got {}", op, dtype_name(target.dtype())));
  }
  if (!is_floating(input.dtype())) {
    throw DtypeError(fmt::format("{}: input must be float32 or float64, got {}", op, dtype_name(input.dtype())));
  }
  const bool batched = input.dim() == 2;
  if ((input.dim() != 1 && !batched) || target.dim() != (batched ? 1 : 0) ||
      (batched && target.size(0) != input.size(0))) {
    throw ShapeError(
        fmt::format("{}: input {} and target {} do not fit (expected input [N, C] with target [N], or "
                    "input [C] with a 0-d target)",
                    op, format_shape(input.shape()), format_shape(target.shape())));
  }
  const int64_t classes = input.size(-1);
  const std::vector<double> labels = target.to_vector();
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= static_cast<double>(classes)) {
      throw ValueError(fmt::format("{}: target {} at index {} is out of range for {} classes (valid: 0 to {})", op,
                                   labels[i], i, classes, classes - 1));
    }
  }
  return one_hot(target, classes, input.dtype());
}

// -log_probs[n, target[n]] for the one-hot `mask`. Selected with where(), not log_probs * mask:
// a -inf log-probability of another class would give 0 * -inf = NaN, where torch's loss stays
// finite as long as the picked class is finite.
Tensor negative_picked(const Tensor& log_probs, const Tensor& mask) {
  return -sum(where(mask.to(boolean), log_probs, zeros_like(log_probs)), -1);
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape(input, target, "mse_loss");
  Tensor d = input - target;
  return reduce(d * d, reduction);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape(input, target, "binary_cross_entropy");
  check_probabilities(input, "binary_cross_entropy", "input");
  check_probabilities(target, "binary_cross_entropy", "target");
  Tensor loss;
  {
    NoGradGuard no_grad;
    loss = -(target * clamped_log(input) + (1.0 - target) * clamped_log(1.0 - input));
  }
  return reduce(Tensor::record<BinaryCrossEntropyBackward>(loss, {input, target}), reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape(input, target, "binary_cross_entropy_with_logits");
  check_probabilities(target, "binary_cross_entropy_with_logits", "target");
  Tensor loss;
  {
    NoGradGuard no_grad;
    // max(z, 0) - z y + log(1 + e^-|z|): e^-|z| <= 1 never overflows
    loss = relu(input) - input * target + softplus(-abs(input));
  }
  return reduce(Tensor::record<BinaryCrossEntropyWithLogitsBackward>(loss, {input, target}), reduction);
}

Tensor nll_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  return reduce(negative_picked(input, class_mask(input, target, "nll_loss")), reduction);
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, Reduction reduction) {
  if (!input.defined() || !target.defined()) throw ValueError("cross_entropy: input or target is undefined");
  if (target.dtype() == Dtype::int64) {
    // checked here, not in nll_loss, so that a bad label is reported as cross_entropy's
    const Tensor mask = class_mask(input, target, "cross_entropy");
    return reduce(negative_picked(log_softmax(input, -1), mask), reduction);
  }
  // class probabilities: -sum_c p_c log_softmax(x)_c
  check_same_shape(input, target, "cross_entropy");
  if (input.dim() != 1 && input.dim() != 2) {
    throw ShapeError(fmt::format("cross_entropy: input must be [N, C] or [C], got {}", format_shape(input.shape())));
  }
  check_probabilities(target, "cross_entropy", "target");
  return reduce(-sum(target * log_softmax(input, -1), -1), reduction);
}

// ---- the catalogue (autograd/ops/op_info.hpp): how tests and the docs see this file's losses ----
std::span<const OpInfo> loss_ops() {
  static const OpInfo ops[] = {
      {.name = "mse_loss",
       .family = "nn/loss",
       .signature = "nn::mse_loss(input, target, reduction)",
       .sample = OpSample::same_shape,
       .call = [](const OpCall& o) { return mse_loss(o.a, o.b, static_cast<Reduction>(o.i0)); },
       .expression = "nn::mse_loss({a}, {b}, {reduction})"},
      {.name = "bce_with_logits",
       .family = "nn/loss",
       .signature = "nn::binary_cross_entropy_with_logits(input, target, reduction)",
       .sample = OpSample::probabilities,
       .call = [](const OpCall& o) { return binary_cross_entropy_with_logits(o.a, o.c, static_cast<Reduction>(o.i0)); },
       .expression = "nn::binary_cross_entropy_with_logits({a}, {c}, {reduction})"},
      // on sigmoid's probabilities, strictly inside (0, 1); logits within +-4: beyond, sigmoid
      // saturates, the log clamps at -100 (as torch's) and the backward no longer describes the
      // flat forward (the reason BCEWithLogits exists), so central differences disagree by design
      {.name = "bce",
       .family = "nn/loss",
       .signature = "nn::binary_cross_entropy(input, target, reduction)",
       .sample = OpSample::probabilities,
       .call = [](const OpCall& o) { return binary_cross_entropy(sigmoid(o.a), o.c, static_cast<Reduction>(o.i0)); },
       .expression = "nn::binary_cross_entropy(sigmoid({a}), {c}, {reduction})",
       .max_abs_a = 4},
      {.name = "cross_entropy",
       .family = "nn/loss",
       .signature = "nn::cross_entropy(input, target, reduction)",
       .sample = OpSample::class_labels,
       .call = [](const OpCall& o) { return cross_entropy(o.a, o.c, static_cast<Reduction>(o.i0)); },
       .expression = "nn::cross_entropy({a}, {c}, {reduction})"},
      {.name = "nll_loss",
       .family = "nn/loss",
       .signature = "nn::nll_loss(input, target, reduction)",
       .sample = OpSample::class_labels,
       .call = [](const OpCall& o) { return nll_loss(log_softmax(o.a, 1), o.c, static_cast<Reduction>(o.i0)); },
       .expression = "nn::nll_loss(log_softmax({a}, 1), {c}, {reduction})"},
  };
  return ops;
}

}  // namespace xg::nn
