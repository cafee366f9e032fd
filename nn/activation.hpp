// Activation modules wrapping autograd's activation ops, for use in Sequential.
#pragma once

#include <nn/module.hpp>

namespace xg::nn {

class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Sigmoid"; }
};

class Tanh : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Tanh"; }
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "ReLU"; }
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : negative_slope(negative_slope) {}
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "LeakyReLU"; }
  std::string extra_repr() const override;
  double negative_slope;
};

/// The threshold unit of the perceptron: 1 where input >= threshold, else 0 (zero gradient).
class Step : public Module {
 public:
  explicit Step(double threshold = 0.0) : threshold(threshold) {}
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Step"; }
  std::string extra_repr() const override;
  double threshold;
};

class Softplus : public Module {
 public:
  explicit Softplus(double beta = 1.0, double threshold = 20.0) : beta(beta), threshold(threshold) {}
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Softplus"; }
  std::string extra_repr() const override;
  double beta, threshold;
};

class Softmax : public Module {
 public:
  explicit Softmax(int64_t axis = -1) : axis(axis) {}
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Softmax"; }
  std::string extra_repr() const override;
  int64_t axis;
};

class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(int64_t axis = -1) : axis(axis) {}
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "LogSoftmax"; }
  std::string extra_repr() const override;
  int64_t axis;
};

/// [N, *] -> [N, prod(*)] (torch.nn.Flatten with its defaults), e.g. 28x28 images -> 784.
class Flatten : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Flatten"; }
};

/// Zeroes each element with probability p in training mode and scales the rest by 1/(1-p);
/// the identity in eval mode (torch.nn.Dropout). Masks come from the seeded generator.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Dropout"; }
  std::string extra_repr() const override;
  double p;
};

}  // namespace xg::nn
