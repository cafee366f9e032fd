// nn::Linear: y = x W^T + b, torch's layer and default initialisation.
#pragma once

#include <nn/module.hpp>

namespace xg::nn {

/// in_features -> out_features. weight [out, in], bias [out], input [*, in] (1-D to 3-D),
/// both initialised U(-1/sqrt(in), 1/sqrt(in)) as torch (kaiming_uniform_ with a = sqrt 5).
///   xg::nn::Linear layer(784, 16);  xg::Tensor h = layer(x);  // x [batch, 784] -> [batch, 16]
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true, TensorOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Linear"; }
  std::string extra_repr() const override;

  Tensor weight;
  Tensor bias;  // undefined without bias
  int64_t in_features, out_features;
};

}  // namespace xg::nn
