// State dicts: validate everything, then copy (so a failed load changes nothing).
#include <nn/state_dict.hpp>

#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/npz.hpp>

#include <fmt/format.h>

namespace xg::nn {

std::map<std::string, Tensor> state_dict(const Module& module) {
  std::map<std::string, Tensor> out;
  for (const auto& [name, p] : module.named_parameters()) out.emplace(name, p.detach());
  return out;
}

void load_state_dict(Module& module, const std::map<std::string, Tensor>& state) {
  const auto params = module.named_parameters();
  std::vector<std::string> problems;
  for (const auto& [name, p] : params) {
    auto it = state.find(name);
    if (it == state.end()) {
      problems.push_back(fmt::format("missing key '{}'", name));
    } else if (it->second.shape() != p.shape()) {
      problems.push_back(fmt::format("'{}' has shape {} in the checkpoint but {} in the model", name,
                                     format_shape(it->second.shape()), format_shape(p.shape())));
    } else if (it->second.dtype() != p.dtype()) {
      problems.push_back(fmt::format("'{}' is {} in the checkpoint but {} in the model (convert with Module::to)", name,
                                     dtype_name(it->second.dtype()), dtype_name(p.dtype())));
    }
  }
  for (const auto& [name, t] : state) {
    bool known = false;
    for (const auto& [pname, p] : params) known = known || pname == name;
    if (!known) problems.push_back(fmt::format("unexpected key '{}'", name));
  }
  if (!problems.empty()) {
    std::string message =
        fmt::format("load_state_dict: the state does not fit this {} ({} problem{}):", module.type_name(),
                    problems.size(), problems.size() == 1 ? "" : "s");
    for (const auto& p : problems) message += "\n  " + p;
    throw ValueError(message);
  }
  NoGradGuard no_grad;
  for (auto& [name, p] : params) {
    Tensor target = p;
    target.copy_(state.at(name));  // same shape and dtype: cannot fail now
  }
}

void save(const Module& module, const std::string& path) { save_npz(path, state_dict(module)); }

void load(Module& module, const std::string& path) {
  std::map<std::string, Tensor> state = load_npz(path);  // throws IOError for a bad file
  try {
    load_state_dict(module, state);
  } catch (const ValueError& e) {
    throw ValueError(fmt::format("load({}): {}", path, e.what()));
  }
}

}  // namespace xg::nn
