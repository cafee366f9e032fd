// Optimizer: what every optimizer shares: parameter groups with their own options, zero_grad,
// the lr access schedulers use, per-parameter state and its save/load as an .npz archive.
#pragma once

#include <autograd/tensor.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace xg::optim {

/// Parameters that share one set of options (one of torch's `param_groups`):
///   optim::SGD sgd({{.params = {w}, .options = {.lr = 0.1}}, {.params = {b}, .options = {.lr = 0.01}}});
template <class Options>
struct ParamGroup {
  std::vector<Tensor> params;
  Options options;
};

/// One parameter's state by name: "momentum_buffer", "exp_avg", "step" (a float64 0-d count).
using ParamState = std::map<std::string, Tensor>;

/// The base of SGD, Adam and AdamW. Parameters are addressed as (group, index in the group),
/// never by pointer, so a saved state loads into a freshly built model with the same layout.
class Optimizer {
 public:
  /// A state entry a parameter holds once it has taken a step: a float64 0-d step count, or
  /// (the default) a buffer with the parameter's shape and dtype.
  struct StateEntry {
    std::string name;
    bool is_step_count = false;
  };

  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter that has a gradient (the others are skipped, as in torch).
  /// Throws before writing anything when a gradient or state tensor does not fit its parameter.
  virtual void step() = 0;
  /// With set_to_none (torch 2's default) every grad() becomes undefined; otherwise it is zeroed.
  void zero_grad(bool set_to_none = true);

  virtual size_t num_param_groups() const = 0;
  /// The parameters of `group` (ValueError for a group that does not exist).
  virtual const std::vector<Tensor>& params(size_t group) const = 0;
  virtual double lr(size_t group) const = 0;
  /// ValueError for a negative or NaN lr.
  virtual void set_lr(size_t group, double lr) = 0;

  /// The lr a schedule decays from (torch's param_group["initial_lr"]): set by the first
  /// scheduler built on this optimizer, so that schedulers chained by SequentialLR all start
  /// from the configured lr rather than from one another's epoch-0 value.
  std::optional<double> initial_lr(size_t group) const;
  void set_initial_lr(size_t group, double lr);

  /// The state of parameter `index` of `group`; empty before its first step.
  const ParamState& state(size_t group, size_t index) const;

  /// Writes each group's lr (and initial_lr, once a scheduler set it) and every parameter's
  /// state to an .npz archive: "param_groups.<group>.lr", "state.<group>.<index>.<name>".
  void save(const std::string& path) const;
  /// Reads what save() wrote. Every key, shape and dtype is checked before anything changes:
  /// a missing, corrupt or truncated file throws IOError, an entry that does not fit this
  /// optimizer's groups and parameters throws ValueError naming the entry, and in both cases
  /// the optimizer is left as it was. The loaded state replaces the current one (as torch).
  void load(const std::string& path);

 protected:
  Optimizer() = default;

  /// What the state of a parameter in `group` holds (for load and step checks).
  virtual std::vector<StateEntry> state_entries(size_t group) const = 0;
  /// "SGD", "Adam": the name in error messages.
  virtual const char* name() const = 0;

  /// One parameter's step in the making. Everything it will write is allocated before the
  /// first parameter changes, so an exception while preparing leaves every parameter and all
  /// state as it was.
  struct PendingUpdate {
    size_t group = 0;
    size_t index = 0;
    Tensor param;
    Tensor grad;
    /// The parameter's state as it will be after the step: handles to the current buffers
    /// (updated in place by the step's arithmetic, which cannot throw) plus new ones.
    ParamState state;
  };
  /// Checks every gradient and every state tensor against its parameter (DtypeError,
  /// ShapeError naming group and index), then prepares one update per parameter with a grad.
  std::vector<PendingUpdate> prepare_updates();
  /// Stores each update's state and copies its new values into the parameter (which bumps its
  /// version). Nothing here can fail once prepare_updates() has succeeded.
  void commit(std::vector<PendingUpdate>& updates);

  /// ValueError unless `group` < num_param_groups().
  void check_group_index(size_t group) const;
  /// Checks the parameters of a new group: defined, floating, leaves, not already optimised.
  void check_new_params(const std::vector<Tensor>& params, size_t group) const;
  [[noreturn]] void throw_empty_parameter_list() const;

 private:
  std::map<std::pair<size_t, size_t>, ParamState> state_;
  std::map<size_t, double> initial_lrs_;
};

/// An optimizer whose groups each carry an `Options` aggregate with at least a `double lr`.
/// The derived class validates options in validate_options(), which add_param_group() calls
/// before the group is added.
template <class Options>
class OptimizerWithOptions : public Optimizer {
 public:
  size_t num_param_groups() const override { return groups_.size(); }
  const std::vector<Tensor>& params(size_t group) const override { return param_group(group).params; }
  double lr(size_t group) const override { return param_group(group).options.lr; }
  void set_lr(size_t group, double lr) override {
    check_group_index(group);
    Options options = groups_[group].options;
    options.lr = lr;
    validate_options(options);
    groups_[group].options = options;
  }

  const std::vector<ParamGroup<Options>>& param_groups() const { return groups_; }
  const ParamGroup<Options>& param_group(size_t group) const {
    check_group_index(group);
    return groups_[group];
  }
  /// Adds a group with its own options (torch's add_param_group); its parameters must not be in
  /// another group. Throws (ValueError, DtypeError) before adding anything.
  void add_param_group(ParamGroup<Options> group) {
    validate_options(group.options);
    check_new_params(group.params, groups_.size());
    groups_.push_back(std::move(group));
  }

 protected:
  /// ValueError "<Name>: <what is wrong>, <value>, <what is valid>" for an invalid option.
  virtual void validate_options(const Options& options) const = 0;

  /// For constructors: every group is validated before the first is added, and an optimizer
  /// without any parameter is refused, as torch does.
  void add_param_groups(std::vector<ParamGroup<Options>> groups) {
    size_t count = 0;
    for (const ParamGroup<Options>& group : groups) {
      validate_options(group.options);
      count += group.params.size();
    }
    if (count == 0) throw_empty_parameter_list();
    for (ParamGroup<Options>& group : groups) add_param_group(std::move(group));
  }

 private:
  std::vector<ParamGroup<Options>> groups_;
};

}  // namespace xg::optim
