// Parameter initialisers (torch.nn.init), writing in place through the one seeded generator.
// They take the tensor by value (a handle: the write reaches every handle to it, as torch's
// in-place init) and return it, so `init::uniform_(net.parameters()[0], -0.1, 0.1)` works.
#pragma once

#include <autograd/tensor.hpp>

#include <string>

namespace xg::nn::init {

/// Fan-in and fan-out of a weight as torch computes them: [out, in, *kernel] -> (in * k, out * k),
/// k the product of the kernel dims; a zero-sized dim gives a zero fan.
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);
/// torch.nn.init.calculate_gain: "linear", "sigmoid", "tanh" (5/3), "relu" (sqrt 2),
/// "leaky_relu" (sqrt(2 / (1 + param^2))), "selu" (3/4).
double calculate_gain(const std::string& nonlinearity, double param = 0.01);

Tensor uniform_(Tensor tensor, double a = 0.0, double b = 1.0);
Tensor normal_(Tensor tensor, double mean = 0.0, double std = 1.0);
Tensor constant_(Tensor tensor, double value);
Tensor zeros_(Tensor tensor);
Tensor ones_(Tensor tensor);
/// U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)). The xavier and kaiming initialisers throw
/// ValueError when the fan they divide by is 0 (a zero-sized dim).
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0);
/// N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor xavier_normal_(Tensor tensor, double gain = 1.0);
/// U(-bound, bound), bound = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a);
/// mode "fan_in" or "fan_out". Linear's default is kaiming_uniform_(w, sqrt(5)) = U(+-1/sqrt(in)).
Tensor kaiming_uniform_(Tensor tensor, double a = 0.0, const std::string& mode = "fan_in",
                        const std::string& nonlinearity = "leaky_relu");
/// N(0, std^2), std = gain / sqrt(fan).
Tensor kaiming_normal_(Tensor tensor, double a = 0.0, const std::string& mode = "fan_in",
                       const std::string& nonlinearity = "leaky_relu");

}  // namespace xg::nn::init
