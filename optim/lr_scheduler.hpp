// Learning-rate schedules: StepLR, ExponentialLR, CosineAnnealingLR, LinearLR (warm-up) and
// SequentialLR (one schedule after another), each torch's closed form of the epoch.
#pragma once

#include <optim/optimizer.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace xg::optim {

/// The base of every schedule. Building one sets each group's lr to its value at epoch 0; each
/// step() then advances one epoch and sets lr = lr_at(epoch, initial lr). Call it after
/// optimizer.step(), as in torch:
///   xg::optim::SGD sgd(model.parameters(), {.lr = 0.1});
///   xg::optim::CosineAnnealingLR schedule(sgd, 100);
///   for (int epoch = 0; epoch < 100; ++epoch) { train_one_epoch(sgd); schedule.step(); }
/// A schedule refers to its optimizer, which must outlive it.
class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  /// Advances one epoch and sets every group's lr. Throws ValueError, changing nothing, if the
  /// optimizer's groups changed since construction or the schedule would make an lr negative.
  void step();
  /// The lr of each group set by the last step (or by construction).
  std::vector<double> get_last_lr() const { return last_lr_; }
  /// 0 after construction, +1 per step().
  int64_t last_epoch() const { return last_epoch_; }
  Optimizer& optimizer() const { return optimizer_; }
  /// The closed form: the lr at `epoch` of a group whose schedule starts from `initial_lr`.
  virtual double lr_at(int64_t epoch, double initial_lr) const = 0;

 protected:
  explicit LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {}
  /// The last line of every derived constructor, after its checks (lr_at is virtual, so the
  /// base constructor cannot do it): takes each group's initial lr, as torch's "initial_lr"
  /// (recording the current lr where no schedule did before), and applies epoch 0.
  void start();
  /// "StepLR": the name in error messages.
  virtual const char* name() const = 0;

 private:
  std::vector<double> lrs_at(int64_t epoch, const std::vector<double>& initial_lrs) const;
  void apply(int64_t epoch);

  Optimizer& optimizer_;
  std::vector<double> initial_lrs_;
  std::vector<double> last_lr_;
  int64_t last_epoch_ = -1;
};

/// lr = initial_lr · gamma^⌊epoch / step_size⌋. ValueError unless step_size > 0 and gamma > 0.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);
  double lr_at(int64_t epoch, double initial_lr) const override;

 protected:
  const char* name() const override { return "StepLR"; }

 private:
  int64_t step_size_;
  double gamma_;
};

/// lr = initial_lr · gamma^epoch. ValueError unless gamma > 0.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);
  double lr_at(int64_t epoch, double initial_lr) const override;

 protected:
  const char* name() const override { return "ExponentialLR"; }

 private:
  double gamma_;
};

/// lr = eta_min + (initial_lr - eta_min)·(1 + cos(π·epoch / T_max)) / 2. Not clamped, as in
/// torch: past T_max the rate rises again (period 2·T_max). ValueError unless T_max > 0 and
/// eta_min >= 0.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0.0);  // NOLINT: torch's name
  double lr_at(int64_t epoch, double initial_lr) const override;

 protected:
  const char* name() const override { return "CosineAnnealingLR"; }

 private:
  int64_t T_max_;
  double eta_min_;
};

/// Linear warm-up: the factor on initial_lr goes from start_factor to end_factor over
/// total_iters epochs, then stays at end_factor:
///   lr = initial_lr · (start_factor + (end_factor - start_factor) · min(epoch, total_iters) / total_iters).
/// ValueError unless 0 < start_factor <= 1, 0 <= end_factor <= 1 and total_iters > 0.
class LinearLR : public LRScheduler {
 public:
  explicit LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0,
                    int64_t total_iters = 5);
  double lr_at(int64_t epoch, double initial_lr) const override;

 protected:
  const char* name() const override { return "LinearLR"; }

 private:
  double start_factor_;
  double end_factor_;
  int64_t total_iters_;
};

/// Runs schedulers[0] until milestones[0], then schedulers[1] until milestones[1], and so on;
/// schedule k sees the epoch counted from its milestone (epoch - milestones[k-1]), as torch.
/// Warm-up then cosine decay:
///   auto warmup = std::make_shared<xg::optim::LinearLR>(sgd, 0.1, 1.0, 5);
///   auto cosine = std::make_shared<xg::optim::CosineAnnealingLR>(sgd, 95);
///   xg::optim::SequentialLR schedule(sgd, {warmup, cosine}, {5});
/// The schedulers serve as formulas only: step the SequentialLR, not them. ValueError unless
/// they are non-null and built on the same optimizer, and the milestones are one fewer than the
/// schedulers, > 0 and strictly increasing (a schedule between equal milestones would never run).
class SequentialLR : public LRScheduler {
 public:
  SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<LRScheduler>> schedulers,
               std::vector<int64_t> milestones);
  double lr_at(int64_t epoch, double initial_lr) const override;

 protected:
  const char* name() const override { return "SequentialLR"; }

 private:
  std::vector<std::shared_ptr<LRScheduler>> schedulers_;
  std::vector<int64_t> milestones_;
};

}  // namespace xg::optim
