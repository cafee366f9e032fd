// Grad mode: whether ops record graph nodes. Thread-local, as in torch, so that one thread's
// NoGradGuard never changes what another thread records.
#pragma once

namespace xg {

bool is_grad_enabled();
void set_grad_enabled(bool enabled);

/// Disables recording for its scope (torch::NoGradGuard).
///   { xg::NoGradGuard no_grad; w.sub_(lr * w.grad()); }
class NoGradGuard {
 public:
  NoGradGuard() : previous_(is_grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// Sets grad mode to `enabled` for its scope (torch::AutoGradMode).
class AutoGradMode {
 public:
  explicit AutoGradMode(bool enabled) : previous_(is_grad_enabled()) { set_grad_enabled(enabled); }
  ~AutoGradMode() { set_grad_enabled(previous_); }
  AutoGradMode(const AutoGradMode&) = delete;
  AutoGradMode& operator=(const AutoGradMode&) = delete;

 private:
  bool previous_;
};

}  // namespace xg
