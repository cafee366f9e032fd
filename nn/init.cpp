// torch.nn.init's formulas; every draw goes through xg's seeded generator (manual_seed).
#include <nn/init.hpp>

#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/random.hpp>

#include <fmt/format.h>
#include <cmath>

namespace xg::nn::init {

namespace {
// writes `values` into `tensor` without recording (initialisers are not part of any graph)
Tensor assign(Tensor tensor, const Tensor& values) {
  NoGradGuard no_grad;
  tensor.copy_(values);
  return tensor;
}
TensorOptions like(const Tensor& t) { return {.dtype = t.dtype()}; }

// the divisor of a formula: a zero fan (a zero-sized dim) would make the bound infinite
// fan in and fan out, refused under the name of the initialiser that asked
std::pair<int64_t, int64_t> fans(const Tensor& tensor, const char* op) {
  if (tensor.dim() < 2) {
    throw ShapeError(fmt::format("{}: fan in and fan out need a tensor of at least 2 dimensions, got shape {}", op,
                                 format_shape(tensor.shape())));
  }
  // the product of the kernel dims, not numel / (out * in), which divides by zero for a zero-sized dim
  int64_t receptive = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive *= tensor.size(d);
  return {tensor.size(1) * receptive, tensor.size(0) * receptive};
}

double nonzero_fan(int64_t fan, const Tensor& tensor, const char* op, const char* what) {
  if (fan == 0) {
    throw ValueError(
        fmt::format("{}: {} of a tensor of shape {} is 0 and the formula divides by it (valid: a "
                    "tensor without zero-sized dims)",
                    op, what, format_shape(tensor.shape())));
  }
  return static_cast<double>(fan);
}

double kaiming_fan(const Tensor& tensor, const std::string& mode, const char* op) {
  const auto [fan_in, fan_out] = fans(tensor, op);
  if (mode == "fan_in") return nonzero_fan(fan_in, tensor, op, "fan_in");
  if (mode == "fan_out") return nonzero_fan(fan_out, tensor, op, "fan_out");
  throw ValueError(fmt::format("{}: mode '{}' is not supported (valid: fan_in, fan_out)", op, mode));
}

double xavier_fan_sum(const Tensor& tensor, const char* op) {
  const auto [fan_in, fan_out] = fans(tensor, op);
  return nonzero_fan(fan_in + fan_out, tensor, op, "fan_in + fan_out");
}
}  // namespace

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  return fans(tensor, "calculate_fan_in_and_fan_out");
}

double calculate_gain(const std::string& nonlinearity, double param) {
  if (nonlinearity == "linear" || nonlinearity == "sigmoid" || nonlinearity == "identity") return 1.0;
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") return std::sqrt(2.0 / (1.0 + param * param));
  if (nonlinearity == "selu") return 3.0 / 4.0;
  throw ValueError(fmt::format("calculate_gain: unsupported nonlinearity '{}'", nonlinearity));
}

Tensor uniform_(Tensor tensor, double a, double b) {
  const Tensor values = uniform(tensor.shape(), a, b, like(tensor));
  return assign(std::move(tensor), values);
}
Tensor normal_(Tensor tensor, double mean, double std) {
  const Tensor values = normal(tensor.shape(), mean, std, like(tensor));
  return assign(std::move(tensor), values);
}
Tensor constant_(Tensor tensor, double value) {
  NoGradGuard no_grad;
  tensor.fill_(value);
  return tensor;
}
Tensor zeros_(Tensor tensor) { return constant_(std::move(tensor), 0.0); }
Tensor ones_(Tensor tensor) { return constant_(std::move(tensor), 1.0); }

Tensor xavier_uniform_(Tensor tensor, double gain) {
  const double a = gain * std::sqrt(6.0 / xavier_fan_sum(tensor, "xavier_uniform_"));
  return uniform_(std::move(tensor), -a, a);
}

Tensor xavier_normal_(Tensor tensor, double gain) {
  const double standard_deviation = gain * std::sqrt(2.0 / xavier_fan_sum(tensor, "xavier_normal_"));
  return normal_(std::move(tensor), 0.0, standard_deviation);
}

Tensor kaiming_uniform_(Tensor tensor, double a, const std::string& mode, const std::string& nonlinearity) {
  const double bound = calculate_gain(nonlinearity, a) * std::sqrt(3.0 / kaiming_fan(tensor, mode, "kaiming_uniform_"));
  return uniform_(std::move(tensor), -bound, bound);
}

Tensor kaiming_normal_(Tensor tensor, double a, const std::string& mode, const std::string& nonlinearity) {
  const double standard_deviation =
      calculate_gain(nonlinearity, a) / std::sqrt(kaiming_fan(tensor, mode, "kaiming_normal_"));
  return normal_(std::move(tensor), 0.0, standard_deviation);
}

}  // namespace xg::nn::init
