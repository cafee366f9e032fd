// Linear: one gemm with the transpose flag on W (no transposed copy), then the bias broadcast.
#include <nn/linear.hpp>

#include <autograd/error.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/linalg.hpp>
#include <autograd/ops/shape.hpp>
#include <nn/init.hpp>

#include <fmt/format.h>
#include <cmath>

namespace xg::nn {

Linear::Linear(int64_t in, int64_t out, bool with_bias, TensorOptions options) : in_features(in), out_features(out) {
  if (in <= 0 || out <= 0) {
    throw ValueError(fmt::format("Linear: in_features and out_features must be positive, got {} and {}", in, out));
  }
  const TensorOptions opts{.dtype = options.dtype};
  weight = register_parameter("weight", zeros({out, in}, opts));
  init::kaiming_uniform_(weight, std::sqrt(5.0));  // = U(-1/sqrt(in), 1/sqrt(in)), as torch
  if (with_bias) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    bias = register_parameter("bias", zeros({out}, opts));
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& input) {
  if (!input.defined() || input.dim() < 1 || input.dim() > 3 || input.size(-1) != in_features) {
    throw ShapeError(fmt::format("Linear: input of shape {} does not fit in_features={} (expected [*, {}], 1-D to 3-D)",
                                 input.defined() ? format_shape(input.shape()) : "undefined", in_features,
                                 in_features));
  }
  if (input.dtype() != weight.dtype()) {
    throw DtypeError(
        fmt::format("Linear: input is {} but the layer's parameters are {} (shape {}); convert one "
                    "with .to(dtype)",
                    dtype_name(input.dtype()), dtype_name(weight.dtype()), format_shape(input.shape())));
  }
  // x [*, in] @ W^T [in, out] -> [*, out], by gemm's transpose flag
  Tensor y =
      input.dim() == 1 ? squeeze(gemm(unsqueeze(input, 0), weight, false, true), 0) : gemm(input, weight, false, true);
  return bias.defined() ? y + bias : y;
}

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features, out_features,
                     bias.defined() ? "True" : "False");
}

}  // namespace xg::nn
