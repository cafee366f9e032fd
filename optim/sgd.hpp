// SGD: stochastic gradient descent with momentum, dampening, Nesterov momentum, weight decay and
// maximize, following torch.optim.SGD's update rule step for step.
#pragma once

#include <optim/optimizer.hpp>

#include <vector>

namespace xg::optim {

/// torch.optim.SGD's options, in torch's order.
struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  bool maximize = false;
};

/// The update of each parameter θ with gradient ∇, as torch:
///   g = maximize ? -∇ : ∇;  g += weight_decay·θ
///   b = first step ? g : momentum·b + (1 - dampening)·g;  g = nesterov ? g + momentum·b : b
///   θ -= lr·g
/// Usage:
///   xg::optim::SGD sgd(model.parameters(), {.lr = 0.1, .momentum = 0.9, .nesterov = true});
///   loss.backward(); sgd.step(); sgd.zero_grad();
/// Throws ValueError for invalid options (lr, momentum, dampening, weight_decay < 0; nesterov
/// without momentum or with dampening), before anything is set up.
class SGD : public OptimizerWithOptions<SGDOptions> {
 public:
  explicit SGD(std::vector<Tensor> params, SGDOptions options = {});
  /// Groups with their own options: `SGD({{.params = {w}, .options = {.lr = 0.1}}, {.params = {b}}})`.
  explicit SGD(std::vector<ParamGroup<SGDOptions>> param_groups);

  void step() override;

 protected:
  void validate_options(const SGDOptions& options) const override;
  /// "momentum_buffer" when the group uses momentum, else nothing.
  std::vector<StateEntry> state_entries(size_t group) const override;
  const char* name() const override { return "SGD"; }
};

}  // namespace xg::optim
