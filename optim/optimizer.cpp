// Optimizer: zero_grad, the checks and staging every step shares, and state save/load.
#include <optim/optimizer.hpp>

#include <autograd/engine.hpp>
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/npz.hpp>
#include <autograd/shape.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <cmath>

namespace xg::optim {

namespace {

// "[2, 3] float32", the way load and step errors describe a tensor.
std::string describe(const Tensor& t) { return fmt::format("{} {}", format_shape(t.shape()), dtype_name(t.dtype())); }

// What is wrong with `value` as a state entry of `param`, or an empty string.
// Shared by load (a file's entry) and step (a parameter converted by Module::to after steps).
std::string state_mismatch(const Tensor& value, const Tensor& param, bool is_step_count) {
  if (is_step_count) {
    if (!value.shape().empty() || value.dtype() != float64) {
      return fmt::format("is {}, valid: a [] float64 step count", describe(value));
    }
    const double count = value.item();
    if (!(count >= 0) || std::isinf(count) || count != std::floor(count)) {
      return fmt::format("holds {}, valid: a whole number of steps >= 0", count);
    }
    return {};
  }
  if (value.shape() != param.shape() || value.dtype() != param.dtype()) {
    return fmt::format("is {} but its parameter is {}, valid: the parameter's shape and dtype", describe(value),
                       describe(param));
  }
  return {};
}

// A group or parameter index spelled in decimal digits only ("01" and "-1" are not indices).
std::optional<size_t> parse_index(const std::string& text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "state.0.1.momentum_buffer" -> {"state", "0", "1", "momentum_buffer"}; the last part keeps any
// further dots, so at most `parts` pieces come back.
std::vector<std::string> split_key(const std::string& key, size_t parts) {
  std::vector<std::string> out;
  size_t start = 0;
  while (out.size() + 1 < parts) {
    const size_t dot = key.find('.', start);
    if (dot == std::string::npos) break;
    out.push_back(key.substr(start, dot - start));
    start = dot + 1;
  }
  out.push_back(key.substr(start));
  return out;
}

}  // namespace

// ---- gradients and lr ----

void Optimizer::zero_grad(bool set_to_none) {
  for (size_t group = 0; group < num_param_groups(); ++group) xg::zero_grad(params(group), set_to_none);
}

std::optional<double> Optimizer::initial_lr(size_t group) const {
  check_group_index(group);
  const auto it = initial_lrs_.find(group);
  if (it == initial_lrs_.end()) return std::nullopt;
  return it->second;
}

void Optimizer::set_initial_lr(size_t group, double lr) {
  check_group_index(group);
  if (!(lr >= 0) || std::isinf(lr)) {
    throw ValueError(
        fmt::format("{}: invalid initial learning rate, initial_lr = {}, valid: finite and >= 0", name(), lr));
  }
  initial_lrs_[group] = lr;
}

const ParamState& Optimizer::state(size_t group, size_t index) const {
  static const ParamState empty;
  check_group_index(group);
  if (index >= params(group).size()) {
    throw ValueError(fmt::format("{}: group {} has no parameter {}, valid: 0 to {}", name(), group, index,
                                 static_cast<int64_t>(params(group).size()) - 1));
  }
  const auto it = state_.find({group, index});
  return it == state_.end() ? empty : it->second;
}

void Optimizer::check_group_index(size_t group) const {
  if (group >= num_param_groups()) {
    throw ValueError(fmt::format("{}: param group {} does not exist, the optimizer has {}, valid: 0 to {}", name(),
                                 group, num_param_groups(), static_cast<int64_t>(num_param_groups()) - 1));
  }
}

void Optimizer::check_new_params(const std::vector<Tensor>& new_params, size_t group) const {
  // torch refuses a parameter in two groups, or twice in one: it would be updated twice per step.
  // Compared by identity with is_same (the tensor's internals belong to the engine); quadratic,
  // but parameter lists are short.
  auto first_place = [&](const Tensor& param, size_t checked_new) -> std::optional<std::pair<size_t, size_t>> {
    for (size_t g = 0; g < num_param_groups(); ++g) {
      for (size_t i = 0; i < params(g).size(); ++i) {
        if (params(g)[i].is_same(param)) return std::pair{g, i};
      }
    }
    for (size_t i = 0; i < checked_new; ++i) {
      if (new_params[i].is_same(param)) return std::pair{group, i};
    }
    return std::nullopt;
  };
  for (size_t i = 0; i < new_params.size(); ++i) {
    const Tensor& param = new_params[i];
    if (!param.defined()) {
      throw ValueError(
          fmt::format("{}: parameter {} of group {} is undefined, valid: defined tensors such as a "
                      "module's parameters()",
                      name(), i, group));
    }
    if (!is_floating(param.dtype())) {
      throw DtypeError(fmt::format("{}: parameter {} of group {} is {}, valid: float32 or float64", name(), i, group,
                                   dtype_name(param.dtype())));
    }
    if (!param.is_leaf()) {
      throw ValueError(
          fmt::format("{}: parameter {} of group {} is not a leaf (an op computed it), valid: leaf "
                      "tensors, as torch (\"can't optimize a non-leaf Tensor\")",
                      name(), i, group));
    }
    if (!param.is_contiguous()) {
      // the steps write parameters row-major through data_ptr
      throw ValueError(
          fmt::format("{}: parameter {} of group {} is not contiguous (shape {}, strides {}), valid: "
                      "contiguous tensors (pass p.contiguous().detach().requires_grad_() instead)",
                      name(), i, group, format_shape(param.shape()), format_shape(param.stride())));
    }
    if (const auto place = first_place(param, i)) {
      throw ValueError(
          fmt::format("{}: parameter {} of group {} is already parameter {} of group {}, valid: each "
                      "parameter in one group, once",
                      name(), i, group, place->second, place->first));
    }
  }
}

void Optimizer::throw_empty_parameter_list() const {
  throw ValueError(fmt::format("{}: got an empty parameter list, valid: at least one parameter", name()));
}

// ---- step ----

std::vector<Optimizer::PendingUpdate> Optimizer::prepare_updates() {
  // every check before the first allocation, every allocation before the first write
  size_t count = 0;
  for (size_t group = 0; group < num_param_groups(); ++group) {
    const std::vector<StateEntry> entries = state_entries(group);
    for (size_t index = 0; index < params(group).size(); ++index) {
      const Tensor& param = params(group)[index];
      const Tensor& grad = param.grad();
      if (!grad.defined()) continue;
      ++count;
      if (grad.dtype() != param.dtype()) {
        throw DtypeError(
            fmt::format("{}.step: the gradient of parameter {} of group {} is {} but the parameter is "
                        "{}, valid: the parameter's dtype",
                        name(), index, group, dtype_name(grad.dtype()), dtype_name(param.dtype())));
      }
      if (grad.shape() != param.shape()) {
        throw ShapeError(
            fmt::format("{}.step: the gradient of parameter {} of group {} has shape {} but the "
                        "parameter has {}, valid: the parameter's shape",
                        name(), index, group, format_shape(grad.shape()), format_shape(param.shape())));
      }
      const auto it = state_.find({group, index});
      if (it == state_.end()) continue;
      for (const StateEntry& entry : entries) {
        const auto value = it->second.find(entry.name);
        if (value == it->second.end()) continue;
        const std::string wrong = state_mismatch(value->second, param, entry.is_step_count);
        if (!wrong.empty()) {
          throw ValueError(
              fmt::format("{}.step: state '{}' of parameter {} of group {} {} (was the parameter "
                          "converted after steps were taken?)",
                          name(), entry.name, index, group, wrong));
        }
      }
    }
  }

  std::vector<PendingUpdate> updates;
  updates.reserve(count);
  for (size_t group = 0; group < num_param_groups(); ++group) {
    for (size_t index = 0; index < params(group).size(); ++index) {
      const Tensor& param = params(group)[index];
      if (!param.grad().defined()) continue;
      // the slot is created now, so that commit() only move-assigns into it (no allocation)
      const ParamState& current = state_.try_emplace({group, index}).first->second;
      // the step writes the parameter and its state in place while reading the gradient: a
      // gradient that is one of those tensors (p.mutable_grad() = p) is read from a copy
      Tensor grad = param.grad();
      bool aliased = grad.is_alias_of(param);
      for (const auto& [name, value] : current) aliased = aliased || grad.is_alias_of(value);
      if (aliased || !grad.is_contiguous()) grad = grad.detach().clone();  // steps read it row-major
      updates.push_back(PendingUpdate{.group = group, .index = index, .param = param, .grad = grad, .state = current});
    }
  }
  return updates;
}

void Optimizer::commit(std::vector<PendingUpdate>& updates) {
  // the arithmetic has written the parameters in place (it cannot throw once everything is
  // allocated); what is left cannot fail either: move-assignments into existing slots
  for (PendingUpdate& update : updates) {
    state_.find({update.group, update.index})->second = std::move(update.state);
    update.param.bump_version();
  }
}

// ---- save and load ----

void Optimizer::save(const std::string& path) const {
  std::map<std::string, Tensor> entries;
  for (size_t group = 0; group < num_param_groups(); ++group) {
    entries.emplace(fmt::format("param_groups.{}.lr", group), scalar_tensor(lr(group), {.dtype = float64}));
    if (const auto initial = initial_lr(group)) {
      entries.emplace(fmt::format("param_groups.{}.initial_lr", group), scalar_tensor(*initial, {.dtype = float64}));
    }
  }
  for (const auto& [key, param_state] : state_) {
    for (const auto& [entry, value] : param_state) {
      entries.emplace(fmt::format("state.{}.{}.{}", key.first, key.second, entry), value);
    }
  }
  save_npz(path, entries);
}

void Optimizer::load(const std::string& path) {
  const std::map<std::string, Tensor> entries = load_npz(path);  // IOError: missing, truncated, corrupt
  auto invalid = [&](const std::string& key, const std::string& what) {
    return ValueError(fmt::format("{}.load: entry '{}' of {} {}", name(), key, path, what));
  };
  auto group_of = [&](const std::string& key, const std::string& text) {
    const std::optional<size_t> group = parse_index(text);
    if (!group || *group >= num_param_groups()) {
      throw invalid(key, fmt::format("names param group '{}' but the optimizer has {}, valid: 0 to {}", text,
                                     num_param_groups(), static_cast<int64_t>(num_param_groups()) - 1));
    }
    return *group;
  };

  // everything is read into these first; the optimizer changes only once all of it checks out
  std::vector<std::optional<double>> lrs(num_param_groups());
  std::map<size_t, double> initial_lrs;
  std::map<std::pair<size_t, size_t>, ParamState> state;
  for (const auto& [key, value] : entries) {
    const std::vector<std::string> parts = split_key(key, 4);
    if (parts.size() == 3 && parts[0] == "param_groups") {
      const size_t group = group_of(key, parts[1]);
      if (parts[2] != "lr" && parts[2] != "initial_lr") {
        throw invalid(key, "is not an option xgrad saves, valid: param_groups.<group>.lr or .initial_lr");
      }
      if (!value.shape().empty() || value.dtype() != float64) {
        throw invalid(key, fmt::format("is {}, valid: a [] float64 learning rate", describe(value)));
      }
      const double lr = value.item();
      if (!(lr >= 0) || std::isinf(lr)) throw invalid(key, fmt::format("holds {}, valid: a finite lr >= 0", lr));
      if (parts[2] == "lr")
        lrs[group] = lr;
      else
        initial_lrs[group] = lr;
    } else if (parts.size() == 4 && parts[0] == "state") {
      const size_t group = group_of(key, parts[1]);
      const std::optional<size_t> index = parse_index(parts[2]);
      if (!index || *index >= params(group).size()) {
        throw invalid(key, fmt::format("names parameter '{}' but group {} has {}, valid: 0 to {}", parts[2], group,
                                       params(group).size(), static_cast<int64_t>(params(group).size()) - 1));
      }
      const std::vector<StateEntry> expected = state_entries(group);
      const auto entry =
          std::find_if(expected.begin(), expected.end(), [&](const StateEntry& e) { return e.name == parts[3]; });
      if (entry == expected.end()) {
        std::string names;
        for (const StateEntry& e : expected) names += (names.empty() ? "" : ", ") + e.name;
        throw invalid(key, fmt::format("is not state this {} keeps for group {}, valid: {}", name(), group,
                                       names.empty() ? "no state at all (nothing to restore)" : names));
      }
      const std::string wrong = state_mismatch(value, params(group)[*index], entry->is_step_count);
      if (!wrong.empty()) throw invalid(key, wrong);
      state[{group, *index}].emplace(parts[3], value);
    } else {
      throw invalid(key, "is not optimizer state, valid: param_groups.<group>.lr, state.<group>.<index>.<name>");
    }
  }
  for (size_t group = 0; group < num_param_groups(); ++group) {
    if (!lrs[group]) {
      throw ValueError(fmt::format("{}.load: {} has no entry 'param_groups.{}.lr', valid: one per param group ({})",
                                   name(), path, group, num_param_groups()));
    }
  }
  for (const auto& [key, param_state] : state) {
    for (const StateEntry& entry : state_entries(key.first)) {
      if (!param_state.contains(entry.name)) {
        throw ValueError(
            fmt::format("{}.load: {} has no entry 'state.{}.{}.{}' (the state of that parameter is "
                        "incomplete), valid: all of a parameter's state or none",
                        name(), path, key.first, key.second, entry.name));
      }
    }
  }

  // set_lr cannot throw for a finite lr >= 0; the rest are moves
  for (size_t group = 0; group < num_param_groups(); ++group) set_lr(group, *lrs[group]);
  initial_lrs_ = std::move(initial_lrs);
  state_ = std::move(state);
}

}  // namespace xg::optim
