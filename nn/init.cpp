// torch.nn.init's formulas; every draw goes through xg's seeded generator (manual_seed).
#include <nn/init.hpp>

#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/random.hpp>

#include <cmath>
#include <fmt/format.h>

namespace xg::nn::init {

namespace {
// writes `values` into `tensor` without recording (initialisers are not part of any graph)
Tensor& assign(Tensor& tensor, const Tensor& values) {
  NoGradGuard no_grad;
  tensor.copy_(values);
  return tensor;
}
TensorOptions like(const Tensor& t) { return {.dtype = t.dtype()}; }

int64_t fan(const Tensor& tensor, const std::string& mode) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  if (mode == "fan_in") return fan_in;
  if (mode == "fan_out") return fan_out;
  throw ValueError(fmt::format("init: mode '{}' is not supported (valid: fan_in, fan_out)", mode));
}
}  // namespace

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  if (tensor.dim() < 2) {
    throw ShapeError(fmt::format("init: fan in and fan out need a tensor of at least 2 dimensions, got shape {}",
                                 format_shape(tensor.shape())));
  }
  const int64_t receptive = tensor.numel() / (tensor.size(0) * tensor.size(1));
  return {tensor.size(1) * receptive, tensor.size(0) * receptive};
}

double calculate_gain(const std::string& nonlinearity, double param) {
  if (nonlinearity == "linear" || nonlinearity == "sigmoid" || nonlinearity == "identity") return 1.0;
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") return std::sqrt(2.0 / (1.0 + param * param));
  if (nonlinearity == "selu") return 3.0 / 4.0;
  throw ValueError(fmt::format("calculate_gain: unsupported nonlinearity '{}'", nonlinearity));
}

Tensor& uniform_(Tensor& tensor, double a, double b) { return assign(tensor, uniform(tensor.shape(), a, b, like(tensor))); }
Tensor& normal_(Tensor& tensor, double mean, double std) {
  return assign(tensor, normal(tensor.shape(), mean, std, like(tensor)));
}
Tensor& constant_(Tensor& tensor, double value) {
  NoGradGuard no_grad;
  tensor.fill_(value);
  return tensor;
}
Tensor& zeros_(Tensor& tensor) { return constant_(tensor, 0.0); }
Tensor& ones_(Tensor& tensor) { return constant_(tensor, 1.0); }

Tensor& xavier_uniform_(Tensor& tensor, double gain) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  const double a = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return uniform_(tensor, -a, a);
}

Tensor& xavier_normal_(Tensor& tensor, double gain) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return normal_(tensor, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)));
}

Tensor& kaiming_uniform_(Tensor& tensor, double a, const std::string& mode, const std::string& nonlinearity) {
  const double bound = calculate_gain(nonlinearity, a) * std::sqrt(3.0 / static_cast<double>(fan(tensor, mode)));
  return uniform_(tensor, -bound, bound);
}

Tensor& kaiming_normal_(Tensor& tensor, double a, const std::string& mode, const std::string& nonlinearity) {
  return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan(tensor, mode))));
}

}  // namespace xg::nn::init
