// Adam and AdamW: adaptive moment estimation with bias correction and the amsgrad variant,
// following torch.optim.Adam and torch.optim.AdamW (the single-tensor code path) step for step.
#pragma once

#include <optim/optimizer.hpp>

#include <array>
#include <vector>

namespace xg::optim {

/// torch.optim.Adam's options, in torch's order (maximize is keyword-only in torch, so last).
struct AdamOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool amsgrad = false;
  bool maximize = false;
};

/// torch.optim.AdamW's options: Adam's, with decoupled weight decay 1e-2 by default.
struct AdamWOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  bool maximize = false;
};

/// The update at step t (counted from 1) of θ with gradient g, as torch:
///   g += weight_decay·θ                           (Adam; AdamW instead scales θ by 1 - lr·weight_decay)
///   m = β1·m + (1 - β1)·g;  v = β2·v + (1 - β2)·g²
///   v_max = max(v_max, v) with amsgrad, and v = v_max below
///   θ -= lr / (1 - β1^t) · m / (√v / √(1 - β2^t) + eps)
/// Usage:
///   xg::optim::Adam adam(model.parameters(), {.lr = 1e-3, .betas = {0.9, 0.99}});
/// Throws ValueError for invalid options (lr, eps, weight_decay < 0; a beta outside [0, 1)).
class Adam : public OptimizerWithOptions<AdamOptions> {
 public:
  explicit Adam(std::vector<Tensor> params, AdamOptions options = {});
  explicit Adam(std::vector<ParamGroup<AdamOptions>> param_groups);

  void step() override;

 protected:
  void validate_options(const AdamOptions& options) const override;
  /// "step", "exp_avg", "exp_avg_sq", and "max_exp_avg_sq" with amsgrad.
  std::vector<StateEntry> state_entries(size_t group) const override;
  const char* name() const override { return "Adam"; }
};

/// Adam with decoupled weight decay (Loshchilov & Hutter): θ shrinks by lr·weight_decay·θ
/// directly instead of through the gradient, so the decay is not rescaled by the moments.
///   xg::optim::AdamW adamw(model.parameters(), {.lr = 1e-3, .weight_decay = 0.05});
class AdamW : public OptimizerWithOptions<AdamWOptions> {
 public:
  explicit AdamW(std::vector<Tensor> params, AdamWOptions options = {});
  explicit AdamW(std::vector<ParamGroup<AdamWOptions>> param_groups);

  void step() override;

 protected:
  void validate_options(const AdamWOptions& options) const override;
  std::vector<StateEntry> state_entries(size_t group) const override;
  const char* name() const override { return "AdamW"; }
};

}  // namespace xg::optim
