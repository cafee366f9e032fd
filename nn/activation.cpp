// Activation modules, Flatten and Dropout: thin wrappers over autograd's ops.
#include <nn/activation.hpp>

#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/shape.hpp>
#include <autograd/ops/softmax.hpp>
#include <autograd/random.hpp>

#include <fmt/format.h>

namespace xg::nn {

Tensor Sigmoid::forward(const Tensor& input) { return sigmoid(input); }
Tensor Tanh::forward(const Tensor& input) { return tanh(input); }
Tensor ReLU::forward(const Tensor& input) { return relu(input); }

Tensor LeakyReLU::forward(const Tensor& input) { return leaky_relu(input, negative_slope); }
std::string LeakyReLU::extra_repr() const { return fmt::format("negative_slope={}", negative_slope); }

Tensor Step::forward(const Tensor& input) { return step(threshold == 0.0 ? input : input - threshold); }
std::string Step::extra_repr() const { return fmt::format("threshold={}", threshold); }

Tensor Softplus::forward(const Tensor& input) { return softplus(input, beta, threshold); }
std::string Softplus::extra_repr() const { return fmt::format("beta={}, threshold={}", beta, threshold); }

Tensor Softmax::forward(const Tensor& input) { return softmax(input, axis); }
std::string Softmax::extra_repr() const { return fmt::format("dim={}", axis); }

Tensor LogSoftmax::forward(const Tensor& input) { return log_softmax(input, axis); }
std::string LogSoftmax::extra_repr() const { return fmt::format("dim={}", axis); }

Tensor Flatten::forward(const Tensor& input) {
  if (input.dim() < 1) throw ShapeError("Flatten: expected a batch [N, *], got a 0-d tensor");
  return reshape(input, {input.size(0), -1});
}

Dropout::Dropout(double p) : p(p) {
  if (!(p >= 0.0 && p <= 1.0)) throw ValueError(fmt::format("Dropout: p must be in [0, 1], got {}", p));
}

Tensor Dropout::forward(const Tensor& input) {
  if (!is_training() || p == 0.0) return input;
  if (p == 1.0) return input * zeros_like(input);
  Tensor keep;
  {
    NoGradGuard no_grad;  // the mask is a constant
    keep = step(rand(input.shape(), input.dtype()) - p, 1.0) * (1.0 / (1.0 - p));
  }
  return input * keep;
}
std::string Dropout::extra_repr() const { return fmt::format("p={}", p); }

}  // namespace xg::nn
