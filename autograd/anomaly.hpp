// Anomaly mode (torch.autograd.detect_anomaly): while it is on, every recorded op remembers where
// in the program it was created, every recorded op's result is checked for NaN, and every
// gradient a backward returns for NaN and Inf (infinities are legitimate in forward: a -inf mask
// before softmax; torch checks only backward, and only for NaN). Thread-local, like grad mode: it covers the graphs the
// enabling thread builds and differentiates, and costs nothing on other threads.
#pragma once

#include <autograd/error.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xg {

class Node;
class Tensor;

bool is_anomaly_enabled();
void set_anomaly_enabled(bool enabled);

/// Sets anomaly mode to `enabled` for its scope (as AutoGradMode does for grad mode).
class AnomalyModeGuard {
 public:
  explicit AnomalyModeGuard(bool enabled) : previous_(is_anomaly_enabled()) { set_anomaly_enabled(enabled); }
  ~AnomalyModeGuard() { set_anomaly_enabled(previous_); }
  AnomalyModeGuard(const AnomalyModeGuard&) = delete;
  AnomalyModeGuard& operator=(const AnomalyModeGuard&) = delete;

 private:
  bool previous_;
};

/// Anomaly mode for its scope:
///   { xg::DetectAnomalyGuard anomaly; loss = model(x); loss.backward(); }  // throws AnomalyError at the first NaN
/// Recording an op then costs a stack capture (~1-2 us): a debugging tool, not for training runs.
class DetectAnomalyGuard : public AnomalyModeGuard {
 public:
  DetectAnomalyGuard() : AnomalyModeGuard(true) {}
};

/// Where an op was recorded: the call stack at that moment, resolved to file:line (with debug
/// information, -g) or to function names (without) only when printed.
class CreationSite {
 public:
  /// The current call stack (its innermost frames are xgrad's own: Tensor::attach, the op).
  static std::shared_ptr<const CreationSite> capture();

  /// All frames from the innermost outwards, one "file:line in function" each (file relative to
  /// xgrad's source tree when it lies there; "function+0x1f" without debug information).
  std::vector<std::string> frames() const;
  /// The innermost frame outside xgrad's autograd/ folder: the user's call that recorded the op
  /// (or the nn/ layer that did, with the user's call among frames()).
  std::string where() const;
  /// where() and the next few callers, one per line, each indented by `indent`.
  std::string describe(const std::string& indent = "  ", size_t max_frames = 4) const;

 private:
  std::vector<uintptr_t> pcs_;
};

namespace detail {
/// Anomaly mode's checks, called by the engine when it is on: AnomalyError when `output` (just
/// recorded by `node`) or a gradient backward returned holds NaN or Inf.
void check_forward_finite(const Node& node, const Tensor& output);
void check_backward_finite(const Node& node, const Tensor& grad_output, const std::vector<Tensor>& input_grads);
}  // namespace detail

}  // namespace xg
