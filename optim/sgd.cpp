// SGD::step: torch.optim.SGD's single-tensor update, one fused pass per parameter.
#include <optim/sgd.hpp>

#include <autograd/dtype.hpp>
#include <autograd/error.hpp>

#include <fmt/format.h>

#include <type_traits>

namespace xg::optim {

namespace {

// One parameter's update, in the order of torch's _single_tensor_sgd. Scalars are cast to the
// parameter's precision, as torch's kernels do for a float32 tensor. The options' flags are
// template parameters so that each combination is a branch-free loop GCC vectorises (with the
// flags tested inside, it ran ~12 instructions per element; unswitching gave up).
template <class T, bool Maximize, bool Decay, bool Momentum, bool FirstStep, bool Nesterov>
void sgd_loop(const SGDOptions& options, T* __restrict theta, const T* __restrict grad, T* __restrict momentum_buffer,
              int64_t count) {
  const T weight_decay = static_cast<T>(options.weight_decay);
  const T momentum = static_cast<T>(options.momentum);
  const T one_minus_dampening = static_cast<T>(1.0 - options.dampening);
  const T minus_lr = static_cast<T>(-options.lr);
  for (int64_t k = 0; k < count; ++k) {
    // maximize flips the sign before anything else, so weight decay still shrinks θ
    T g = Maximize ? -grad[k] : grad[k];
    if constexpr (Decay) g = g + weight_decay * theta[k];
    if constexpr (Momentum) {
      // dampening is not applied on the first step: the buffer starts as a copy of g, as in torch
      momentum_buffer[k] = FirstStep ? g : momentum * momentum_buffer[k] + one_minus_dampening * g;
      g = Nesterov ? g + momentum * momentum_buffer[k] : momentum_buffer[k];
    }
    theta[k] = theta[k] + minus_lr * g;
  }
}

// f(std::bool_constant<b>{}) for a run-time b.
template <class F>
void with_flag(bool b, F&& f) {
  if (b)
    f(std::true_type{});
  else
    f(std::false_type{});
}

template <class T>
void sgd_update(const SGDOptions& options, bool first_step, T* theta, const T* grad, T* momentum_buffer,
                int64_t count) {
  with_flag(options.maximize, [&](auto maximize) {
    with_flag(options.weight_decay != 0, [&](auto decay) {
      with_flag(options.momentum != 0, [&](auto use_momentum) {
        with_flag(first_step, [&](auto first) {
          with_flag(options.nesterov, [&](auto nesterov) {
            sgd_loop<T, maximize(), decay(), use_momentum(), first(), nesterov()>(options, theta, grad, momentum_buffer,
                                                                                  count);
          });
        });
      });
    });
  });
}

}  // namespace

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : SGD(std::vector<ParamGroup<SGDOptions>>{{.params = std::move(params), .options = options}}) {}

SGD::SGD(std::vector<ParamGroup<SGDOptions>> param_groups) { add_param_groups(std::move(param_groups)); }

void SGD::validate_options(const SGDOptions& options) const {
  // !(x >= 0) also refuses NaN
  if (!(options.lr >= 0)) {
    throw ValueError(fmt::format("SGD: invalid learning rate, lr = {}, valid: lr >= 0", options.lr));
  }
  if (!(options.momentum >= 0)) {
    throw ValueError(fmt::format("SGD: invalid momentum, momentum = {}, valid: momentum >= 0", options.momentum));
  }
  if (!(options.dampening >= 0)) {
    throw ValueError(fmt::format("SGD: invalid dampening, dampening = {}, valid: dampening >= 0", options.dampening));
  }
  if (!(options.weight_decay >= 0)) {
    throw ValueError(
        fmt::format("SGD: invalid weight_decay, weight_decay = {}, valid: weight_decay >= 0", options.weight_decay));
  }
  if (options.nesterov && (options.momentum <= 0 || options.dampening != 0)) {
    throw ValueError(
        fmt::format("SGD: nesterov momentum needs a momentum and zero dampening, momentum = {}, "
                    "dampening = {}, valid: momentum > 0 and dampening = 0",
                    options.momentum, options.dampening));
  }
}

std::vector<Optimizer::StateEntry> SGD::state_entries(size_t group) const {
  if (param_group(group).options.momentum == 0) return {};
  return {{.name = "momentum_buffer"}};
}

void SGD::step() {
  std::vector<PendingUpdate> updates = prepare_updates();
  // new momentum buffers are allocated before any arithmetic, so that a failure changes nothing
  std::vector<char> first_step(updates.size(), 0);
  for (size_t u = 0; u < updates.size(); ++u) {
    PendingUpdate& update = updates[u];
    if (param_group(update.group).options.momentum == 0 || update.state.contains("momentum_buffer")) continue;
    update.state.emplace("momentum_buffer", zeros(update.param.shape(), update.param.dtype()));
    first_step[u] = 1;
  }
  for (size_t u = 0; u < updates.size(); ++u) {
    PendingUpdate& update = updates[u];
    const SGDOptions& options = param_group(update.group).options;
    dispatch(update.param.dtype(), "SGD.step", [&](auto tag) {
      using T = decltype(tag);
      T* momentum_buffer = options.momentum == 0 ? nullptr : update.state.at("momentum_buffer").data_ptr<T>();
      sgd_update<T>(options, first_step[u] != 0, update.param.data_ptr<T>(), update.grad.data_ptr<T>(), momentum_buffer,
                    update.param.numel());
    });
  }
  commit(updates);
}

}  // namespace xg::optim
