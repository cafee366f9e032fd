// Module bookkeeping: the parameter tree, modes, dtype conversion, summary and printing.
#include <nn/module.hpp>

#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>

#include <fmt/format.h>

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

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out = parameters_;
  if (!recurse) return out;
  for (const auto& [child_name, child] : children_) {
    for (auto& [name, p] : child->named_parameters(true)) out.emplace_back(child_name + "." + name, p);
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

void Module::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  for (Tensor& p : parameters()) {
    if (set_to_none) p.mutable_grad() = Tensor();
    else if (p.grad().defined()) p.mutable_grad().zero_();
  }
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, c] : children_) c->train(on);
}

Module& Module::to(Dtype dtype) {
  if (!is_floating(dtype)) {
    throw DtypeError(fmt::format("Module::to: parameters must be float32 or float64, got {}", dtype_name(dtype)));
  }
  NoGradGuard no_grad;
  for (Tensor& p : parameters()) {
    if (p.dtype() != dtype) p.set_data(p.to(dtype));
  }
  return *this;
}

std::string Module::summary(const Shape& input_shape) {
  NoGradGuard no_grad;
  const bool was_training = training_;
  eval();  // a summary must not draw dropout masks
  std::vector<std::tuple<std::string, std::string, Shape, int64_t>> rows;
  Tensor x = zeros(input_shape, parameters().empty() ? default_dtype() : parameters().front().dtype());
  if (children_.empty()) {
    x = forward(x);
    rows.emplace_back("", type_name(), x.shape(), parameter_count());
  } else {
    // direct children applied in order: exact for Sequential, a walk of the pieces otherwise
    for (auto& [name, child] : children_) {
      x = child->forward(x);
      rows.emplace_back(name, child->type_name(), x.shape(), child->parameter_count());
    }
  }
  train(was_training);
  std::string out = fmt::format("{:<24}{:<20}{:>10}\n", "Layer (type)", "Output shape", "Params");
  out += std::string(54, '-') + "\n";
  for (const auto& [name, type, shape, count] : rows) {
    const std::string layer = name.empty() ? type : fmt::format("{} ({})", name, type);
    out += fmt::format("{:<24}{:<20}{:>10}\n", layer, format_shape(shape), count);
  }
  out += std::string(54, '-') + "\n";
  out += fmt::format("Total parameters: {}\n", parameter_count());
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
