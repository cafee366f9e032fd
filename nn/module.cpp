// Module bookkeeping: the parameter tree, modes, dtype conversion, summary and printing.
#include <nn/module.hpp>

#include <autograd/engine.hpp>
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <string_view>

namespace xg::nn {

void Module::check_name(const std::string& name, const char* what) const {
  if (name.empty() || name.find('.') != std::string::npos) {
    throw ValueError(fmt::format("register_{}: name '{}' must be non-empty and contain no '.'", what, name));
  }
  for (const auto& [n, p] : parameters_) {
    if (n == name) throw ValueError(fmt::format("register_{}: '{}' is already a parameter", what, name));
  }
  for (const auto& [n, c] : children_) {
    if (n == name) throw ValueError(fmt::format("register_{}: '{}' is already a child module", what, name));
  }
}

Tensor Module::register_parameter(const std::string& name, Tensor parameter) {
  check_name(name, "parameter");
  if (!parameter.defined()) throw ValueError(fmt::format("register_parameter: '{}' is undefined", name));
  if (!parameter.is_leaf()) {
    throw GraphError(fmt::format("register_parameter: '{}' must be a leaf (detach() it first)", name));
  }
  parameter.requires_grad_(true);
  parameters_.emplace_back(name, parameter);
  return parameter;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_name(name, "module");
  if (!module) throw ValueError(fmt::format("register_module: '{}' is null", name));
  children_.emplace_back(name, std::move(module));
}

void Module::collect_parameters(const std::string& prefix, bool recurse,
                                std::vector<std::pair<std::string, Tensor>>& out) const {
  for (const auto& [name, p] : parameters_) out.emplace_back(prefix + name, p);
  if (!recurse) return;
  for (const auto& [child_name, child] : children_) child->collect_parameters(prefix + child_name + ".", true, out);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> all;
  collect_parameters("", recurse, all);
  // a tensor reached twice (tied weights, one module used twice) is one parameter: torch keeps
  // its first name, and an optimizer given it twice would update it twice per step.
  // Quadratic, but parameter lists are short.
  std::vector<std::pair<std::string, Tensor>> out;
  out.reserve(all.size());
  for (auto& entry : all) {  // not a structured binding: clang 14 cannot capture one
    const Tensor& p = entry.second;
    const bool seen = std::any_of(out.begin(), out.end(), [&p](const auto& kept) { return kept.second.is_same(p); });
    if (!seen) out.emplace_back(std::move(entry.first), std::move(entry.second));
  }
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [name, p] : named_parameters(recurse)) out.push_back(p);
  return out;
}

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& [name, c] : children_) out.push_back(c);
  return out;
}

int64_t Module::parameter_count() const {
  int64_t n = 0;
  for (const Tensor& p : parameters()) n += p.numel();
  return n;
}

void Module::zero_grad(bool set_to_none) { xg::zero_grad(parameters(), set_to_none); }

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, c] : children_) c->train(on);
}

Module& Module::to(Dtype dtype) {
  if (!is_floating(dtype)) {
    throw DtypeError(fmt::format("Module::to: parameters must be float32 or float64, got {}", dtype_name(dtype)));
  }
  NoGradGuard no_grad;
  // every conversion (the allocations, which can fail) before the first parameter changes
  std::vector<Tensor> params = parameters();
  std::vector<Tensor> converted;
  converted.reserve(params.size());
  for (const Tensor& p : params) converted.push_back(p.dtype() == dtype ? Tensor() : p.to(dtype));
  // set_data cannot fail here: the parameters are leaves and the dtype is floating
  for (size_t i = 0; i < params.size(); ++i) {
    if (converted[i].defined()) params[i].set_data(converted[i]);
  }
  return *this;
}

// Records the training flag of every module in a tree and restores exactly those flags when
// it goes out of scope (also when forward throws): train(was_training) on the root would
// switch a child the user had put in eval mode back to training.
class Module::TrainingModeRestorer {
 public:
  explicit TrainingModeRestorer(Module& root) {
    std::vector<Module*> stack{&root};
    while (!stack.empty()) {
      Module* m = stack.back();
      stack.pop_back();
      modes_.emplace_back(m, m->training_);
      for (const auto& [name, child] : m->children_) stack.push_back(child.get());
    }
  }
  ~TrainingModeRestorer() {
    // in reverse, so that a module reached twice ends with the flag it had first
    for (auto it = modes_.rbegin(); it != modes_.rend(); ++it) it->first->training_ = it->second;
  }
  TrainingModeRestorer(const TrainingModeRestorer&) = delete;
  TrainingModeRestorer& operator=(const TrainingModeRestorer&) = delete;

 private:
  std::vector<std::pair<Module*, bool>> modes_;
};

std::string Module::summary(const Shape& input_shape) {
  struct Row {
    std::string layer;
    std::string shape;
    std::string count;
  };
  NoGradGuard no_grad;
  TrainingModeRestorer restore_modes(*this);
  eval();  // a summary must not draw dropout masks

  // each parameter counted once, for the first child (or "(own)") that reaches it, so the rows
  // add up to the total even with shared tensors
  std::vector<int64_t> child_counts(children_.size(), 0);
  int64_t own_count = 0, total = 0;
  const auto named = named_parameters();
  for (const auto& [name, p] : named) {
    total += p.numel();
    const size_t dot = name.find('.');
    if (dot == std::string::npos) {
      own_count += p.numel();
      continue;
    }
    for (size_t i = 0; i < children_.size(); ++i) {
      if (children_[i].first == std::string_view(name).substr(0, dot)) child_counts[i] += p.numel();
    }
  }

  std::vector<Row> rows;
  Tensor x = zeros(input_shape, named.empty() ? default_dtype() : named.front().second.dtype());
  if (children_.empty()) {
    rows.push_back({type_name(), format_shape(forward(x).shape()), std::to_string(total)});
  } else if (chains_children()) {
    for (size_t i = 0; i < children_.size(); ++i) {
      const auto& [name, child] = children_[i];
      x = child->forward(x);
      rows.push_back(
          {fmt::format("{} ({})", name, child->type_name()), format_shape(x.shape()), std::to_string(child_counts[i])});
    }
  } else {
    // how forward wires the children is its own business: only the module's output is known
    rows.push_back({type_name(), format_shape(forward(x).shape()), "-"});
    for (size_t i = 0; i < children_.size(); ++i) {
      const auto& [name, child] = children_[i];
      rows.push_back({fmt::format("  {} ({})", name, child->type_name()), "-", std::to_string(child_counts[i])});
    }
  }
  if (!children_.empty() && !parameters_.empty()) rows.push_back({"(own)", "-", std::to_string(own_count)});

  std::string out = fmt::format("{:<24}{:<20}{:>10}\n", "Layer (type)", "Output shape", "Params");
  out += std::string(54, '-') + "\n";
  for (const Row& row : rows) out += fmt::format("{:<24}{:<20}{:>10}\n", row.layer, row.shape, row.count);
  out += std::string(54, '-') + "\n";
  out += fmt::format("Total parameters: {}\n", total);
  return out;
}

namespace {
void print(const Module& m, int indent, std::string& out) {
  out += m.type_name() + "(";
  const auto& children = m.named_children();
  if (children.empty()) {
    out += m.extra_repr() + ")";
    return;
  }
  out += "\n";
  for (const auto& [name, child] : children) {
    out += std::string(indent + 2, ' ') + "(" + name + "): ";
    print(*child, indent + 2, out);
    out += "\n";
  }
  out += std::string(indent, ' ') + ")";
}
}  // namespace

std::string to_string(const Module& module) {
  std::string out;
  print(module, 0, out);
  return out;
}

}  // namespace xg::nn
