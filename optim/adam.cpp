// Adam::step and AdamW::step: one shared single-tensor update, one fused pass per parameter.
#include <optim/adam.hpp>

#include <autograd/dtype.hpp>
#include <autograd/error.hpp>

#include <fmt/format.h>
#include <cmath>

namespace xg::optim {

namespace {

// What the shared update needs of either options struct.
struct AdamConfig {
  double lr;
  double beta1;
  double beta2;
  double eps;
  double weight_decay;
  bool amsgrad;
  bool maximize;
  bool decoupled_weight_decay;  // AdamW
};

template <class Options>
AdamConfig config_of(const Options& options, bool decoupled_weight_decay) {
  return {.lr = options.lr,
          .beta1 = options.betas[0],
          .beta2 = options.betas[1],
          .eps = options.eps,
          .weight_decay = options.weight_decay,
          .amsgrad = options.amsgrad,
          .maximize = options.maximize,
          .decoupled_weight_decay = decoupled_weight_decay};
}

template <class Options>
void validate(const char* op, const Options& options) {
  // !(x >= 0) also refuses NaN
  if (!(options.lr >= 0)) {
    throw ValueError(fmt::format("{}: invalid learning rate, lr = {}, valid: lr >= 0", op, options.lr));
  }
  if (!(options.eps >= 0)) {
    throw ValueError(fmt::format("{}: invalid epsilon, eps = {}, valid: eps >= 0", op, options.eps));
  }
  for (size_t i = 0; i < 2; ++i) {
    if (!(options.betas[i] >= 0 && options.betas[i] < 1)) {
      throw ValueError(fmt::format("{}: invalid beta parameter at index {}, betas[{}] = {}, valid: 0 <= betas[{}] < 1",
                                   op, i, i, options.betas[i], i));
    }
  }
  if (!(options.weight_decay >= 0)) {
    throw ValueError(
        fmt::format("{}: invalid weight_decay, weight_decay = {}, valid: weight_decay >= 0", op, options.weight_decay));
  }
}

std::vector<Optimizer::StateEntry> adam_state_entries(bool amsgrad) {
  std::vector<Optimizer::StateEntry> entries = {
      {.name = "step", .is_step_count = true}, {.name = "exp_avg"}, {.name = "exp_avg_sq"}};
  if (amsgrad) entries.push_back({.name = "max_exp_avg_sq"});
  return entries;
}

// The state a parameter's step writes, with the step count already advanced. Everything is
// allocated here, before any parameter or buffer changes. Returns the new step count t.
double advance_state(ParamState& state, const Tensor& param, bool amsgrad) {
  // torch starts the moments at zero and counts steps from 1
  for (const char* buffer : {"exp_avg", "exp_avg_sq"}) {
    if (!state.contains(buffer)) state.emplace(buffer, zeros(param.shape(), param.dtype()));
  }
  if (amsgrad && !state.contains("max_exp_avg_sq")) {
    state.emplace("max_exp_avg_sq", zeros(param.shape(), param.dtype()));
  }
  const auto it = state.find("step");
  const double step = (it == state.end() ? 0.0 : it->second.item()) + 1.0;
  // a new tensor, not an in-place write: the old count stays valid until commit
  state.insert_or_assign("step", scalar_tensor(step, {.dtype = float64}));
  return step;
}

// One parameter's update, in the order of torch 1.13's _single_tensor_adam/_adamw (torch 2
// writes the first moment with lerp_, which differs only in rounding). Per-step scalars are
// computed in double, as torch does in Python, and cast to the parameter's precision.
template <class T>
void adam_update(const AdamConfig& config, double step, T* __restrict theta, const T* __restrict grad,
                 T* __restrict exp_avg, T* __restrict exp_avg_sq, T* __restrict max_exp_avg_sq, int64_t count) {
  const double bias_correction1 = 1.0 - std::pow(config.beta1, step);
  const double bias_correction2 = 1.0 - std::pow(config.beta2, step);
  const T minus_step_size = static_cast<T>(-(config.lr / bias_correction1));
  const T bias_correction2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
  const T beta1 = static_cast<T>(config.beta1);
  const T one_minus_beta1 = static_cast<T>(1.0 - config.beta1);
  const T beta2 = static_cast<T>(config.beta2);
  const T one_minus_beta2 = static_cast<T>(1.0 - config.beta2);
  const T eps = static_cast<T>(config.eps);
  const T weight_decay = static_cast<T>(config.weight_decay);
  const T decay_factor = static_cast<T>(1.0 - config.lr * config.weight_decay);
  for (int64_t k = 0; k < count; ++k) {
    T g = config.maximize ? -grad[k] : grad[k];
    T p = theta[k];
    if (config.decoupled_weight_decay) {
      p = p * decay_factor;
    } else if (config.weight_decay != 0) {
      g = g + weight_decay * p;
    }
    exp_avg[k] = exp_avg[k] * beta1 + one_minus_beta1 * g;
    exp_avg_sq[k] = exp_avg_sq[k] * beta2 + one_minus_beta2 * g * g;
    T second_moment = exp_avg_sq[k];
    if (max_exp_avg_sq != nullptr) {
      // torch keeps the running max of the raw v and bias-corrects that; NaN propagates, as torch.maximum
      if (!(max_exp_avg_sq[k] >= second_moment)) max_exp_avg_sq[k] = second_moment;
      second_moment = max_exp_avg_sq[k];
    }
    const T denom = std::sqrt(second_moment) / bias_correction2_sqrt + eps;
    theta[k] = p + minus_step_size * exp_avg[k] / denom;
  }
}

// The step shared by Adam and AdamW, given each update's configuration.
template <class Updates, class ConfigOf>
void adam_step(Updates& updates, ConfigOf config_of_group) {
  std::vector<double> steps(updates.size());
  for (size_t u = 0; u < updates.size(); ++u) {
    steps[u] = advance_state(updates[u].state, updates[u].param, config_of_group(updates[u].group).amsgrad);
  }
  for (size_t u = 0; u < updates.size(); ++u) {
    auto& update = updates[u];
    const AdamConfig config = config_of_group(update.group);
    dispatch(update.param.dtype(), "Adam.step", [&](auto tag) {
      using T = decltype(tag);
      T* max_exp_avg_sq = config.amsgrad ? update.state.at("max_exp_avg_sq").template data_ptr<T>() : nullptr;
      adam_update<T>(config, steps[u], update.param.template data_ptr<T>(), update.grad.template data_ptr<T>(),
                     update.state.at("exp_avg").template data_ptr<T>(),
                     update.state.at("exp_avg_sq").template data_ptr<T>(), max_exp_avg_sq, update.param.numel());
    });
  }
}

}  // namespace

// ---- Adam ----

Adam::Adam(std::vector<Tensor> params, AdamOptions options)
    : Adam(std::vector<ParamGroup<AdamOptions>>{{.params = std::move(params), .options = options}}) {}

Adam::Adam(std::vector<ParamGroup<AdamOptions>> param_groups) { add_param_groups(std::move(param_groups)); }

void Adam::validate_options(const AdamOptions& options) const { validate("Adam", options); }

std::vector<Optimizer::StateEntry> Adam::state_entries(size_t group) const {
  return adam_state_entries(param_group(group).options.amsgrad);
}

void Adam::step() {
  std::vector<PendingUpdate> updates = prepare_updates();
  adam_step(updates, [this](size_t group) { return config_of(param_group(group).options, false); });
  commit(updates);
}

// ---- AdamW ----

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options)
    : AdamW(std::vector<ParamGroup<AdamWOptions>>{{.params = std::move(params), .options = options}}) {}

AdamW::AdamW(std::vector<ParamGroup<AdamWOptions>> param_groups) { add_param_groups(std::move(param_groups)); }

void AdamW::validate_options(const AdamWOptions& options) const { validate("AdamW", options); }

std::vector<Optimizer::StateEntry> AdamW::state_entries(size_t group) const {
  return adam_state_entries(param_group(group).options.amsgrad);
}

void AdamW::step() {
  std::vector<PendingUpdate> updates = prepare_updates();
  adam_step(updates, [this](size_t group) { return config_of(param_group(group).options, true); });
  commit(updates);
}

}  // namespace xg::optim
