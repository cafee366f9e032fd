// Learning-rate schedules: torch's closed forms, applied to every param group at once.
#include <optim/lr_scheduler.hpp>

#include <autograd/error.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <numbers>

namespace xg::optim {

// ---- LRScheduler ----

std::vector<double> LRScheduler::lrs_at(int64_t epoch, const std::vector<double>& initial_lrs) const {
  if (optimizer_.num_param_groups() != initial_lrs.size()) {
    throw ValueError(
        fmt::format("{}: the optimizer has {} param groups but had {} when the schedule was built, "
                    "valid: build the schedule after the last add_param_group",
                    name(), optimizer_.num_param_groups(), initial_lrs.size()));
  }
  std::vector<double> lrs(initial_lrs.size());
  for (size_t group = 0; group < lrs.size(); ++group) {
    lrs[group] = lr_at(epoch, initial_lrs[group]);
    if (!(lrs[group] >= 0)) {
      throw ValueError(fmt::format("{}: the schedule gives group {} the learning rate {} at epoch {}, valid: lr >= 0",
                                   name(), group, lrs[group], epoch));
    }
  }
  return lrs;
}

void LRScheduler::start() {
  std::vector<double> initial_lrs(optimizer_.num_param_groups());
  for (size_t group = 0; group < initial_lrs.size(); ++group) {
    initial_lrs[group] = optimizer_.initial_lr(group).value_or(optimizer_.lr(group));
  }
  const std::vector<double> lrs = lrs_at(0, initial_lrs);  // checked before the optimizer changes
  for (size_t group = 0; group < initial_lrs.size(); ++group) {
    if (!optimizer_.initial_lr(group)) optimizer_.set_initial_lr(group, initial_lrs[group]);
    optimizer_.set_lr(group, lrs[group]);
  }
  initial_lrs_ = initial_lrs;
  last_lr_ = lrs;
  last_epoch_ = 0;
}

void LRScheduler::step() {
  const std::vector<double> lrs = lrs_at(last_epoch_ + 1, initial_lrs_);
  for (size_t group = 0; group < lrs.size(); ++group) optimizer_.set_lr(group, lrs[group]);
  last_lr_ = lrs;
  ++last_epoch_;
}

// ---- StepLR ----

StepLR::StepLR(Optimizer& optimizer, int64_t step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  if (step_size <= 0) {
    throw ValueError(fmt::format("StepLR: invalid step_size, step_size = {}, valid: step_size > 0", step_size));
  }
  if (!(gamma > 0)) throw ValueError(fmt::format("StepLR: invalid gamma, gamma = {}, valid: gamma > 0", gamma));
  start();
}

double StepLR::lr_at(int64_t epoch, double initial_lr) const {
  return initial_lr * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

// ---- ExponentialLR ----

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
  if (!(gamma > 0)) throw ValueError(fmt::format("ExponentialLR: invalid gamma, gamma = {}, valid: gamma > 0", gamma));
  start();
}

double ExponentialLR::lr_at(int64_t epoch, double initial_lr) const {
  return initial_lr * std::pow(gamma_, static_cast<double>(epoch));
}

// ---- CosineAnnealingLR ----

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)  // NOLINT: torch's name
    : LRScheduler(optimizer), T_max_(T_max), eta_min_(eta_min) {
  if (T_max <= 0)
    throw ValueError(fmt::format("CosineAnnealingLR: invalid T_max, T_max = {}, valid: T_max > 0", T_max));
  if (!(eta_min >= 0)) {
    throw ValueError(fmt::format("CosineAnnealingLR: invalid eta_min, eta_min = {}, valid: eta_min >= 0", eta_min));
  }
  start();
}

double CosineAnnealingLR::lr_at(int64_t epoch, double initial_lr) const {
  // torch's _get_closed_form_lr, in its order of operations
  const double angle = std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(T_max_);
  return eta_min_ + (initial_lr - eta_min_) * (1 + std::cos(angle)) / 2;
}

// ---- LinearLR ----

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, int64_t total_iters)
    : LRScheduler(optimizer), start_factor_(start_factor), end_factor_(end_factor), total_iters_(total_iters) {
  // start_factor = 0 would make the first epoch's lr 0, which torch refuses too
  if (!(start_factor > 0 && start_factor <= 1)) {
    throw ValueError(
        fmt::format("LinearLR: invalid start_factor, start_factor = {}, valid: 0 < start_factor <= 1", start_factor));
  }
  if (!(end_factor >= 0 && end_factor <= 1)) {
    throw ValueError(
        fmt::format("LinearLR: invalid end_factor, end_factor = {}, valid: 0 <= end_factor <= 1", end_factor));
  }
  if (total_iters <= 0) {
    throw ValueError(
        fmt::format("LinearLR: invalid total_iters, total_iters = {}, valid: total_iters > 0", total_iters));
  }
  start();
}

double LinearLR::lr_at(int64_t epoch, double initial_lr) const {
  const double progress = static_cast<double>(std::min(total_iters_, epoch));
  return initial_lr * (start_factor_ + (end_factor_ - start_factor_) * progress / static_cast<double>(total_iters_));
}

// ---- SequentialLR ----

SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
                           std::vector<int64_t> milestones)
    : LRScheduler(optimizer), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
  if (schedulers_.empty()) {
    throw ValueError("SequentialLR: got no schedulers, valid: at least one");
  }
  for (size_t k = 0; k < schedulers_.size(); ++k) {
    if (!schedulers_[k]) throw ValueError(fmt::format("SequentialLR: scheduler {} is null, valid: a scheduler", k));
    if (&schedulers_[k]->optimizer() != &optimizer) {
      throw ValueError(
          fmt::format("SequentialLR: scheduler {} belongs to another optimizer, valid: every scheduler "
                      "built on the optimizer passed to SequentialLR",
                      k));
    }
  }
  if (milestones_.size() + 1 != schedulers_.size()) {
    throw ValueError(
        fmt::format("SequentialLR: {} schedulers need {} milestones, got {}, valid: one milestone fewer "
                    "than schedulers",
                    schedulers_.size(), schedulers_.size() - 1, milestones_.size()));
  }
  for (size_t k = 0; k < milestones_.size(); ++k) {
    if (milestones_[k] <= 0 || (k > 0 && milestones_[k] <= milestones_[k - 1])) {
      throw ValueError(fmt::format("SequentialLR: invalid milestones, [{}], valid: > 0 and strictly increasing",
                                   fmt::join(milestones_, ", ")));
    }
  }
  start();
}

double SequentialLR::lr_at(int64_t epoch, double initial_lr) const {
  // torch's bisect_right: at a milestone the next schedule starts at its own epoch 0
  const auto next = std::upper_bound(milestones_.begin(), milestones_.end(), epoch);
  const size_t k = static_cast<size_t>(next - milestones_.begin());
  const int64_t local_epoch = k == 0 ? epoch : epoch - milestones_[k - 1];
  return schedulers_[k]->lr_at(local_epoch, initial_lr);
}

}  // namespace xg::optim
