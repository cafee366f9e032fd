// Activation functions of the neuron: threshold (step), sigmoid, tanh, ReLU, leaky ReLU, softplus.
#pragma once

#include <autograd/tensor.hpp>

namespace xg {

Tensor tanh(const Tensor& x);
/// 1 / (1 + e^-x).
Tensor sigmoid(const Tensor& x);
/// max(x, 0); relu'(0) = 0, as in torch.
Tensor relu(const Tensor& x);
/// x for x > 0, negative_slope * x otherwise (torch's default slope 0.01; the slope is the
/// derivative at 0, as in torch).
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
/// The threshold unit (Heaviside): 1 where x > 0, 0 where x < 0, and `at_zero` where x == 0
/// (1 by default: a perceptron fires when its input reaches the threshold). torch.heaviside
/// with values = at_zero. Its gradient is zero everywhere.
Tensor step(const Tensor& x, double at_zero = 1.0);
/// log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (torch's defaults 1, 20).
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);

}  // namespace xg
