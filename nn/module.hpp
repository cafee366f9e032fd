// nn::Module: the base of layers and models. It owns named parameters and named child modules,
// so parameters(), named_parameters() ("0.weight"), zero_grad(), train()/eval() and to(dtype)
// reach the whole tree.
//
//   struct TwoLayer : xg::nn::Module {
//     std::shared_ptr<xg::nn::Linear> hidden = register_module("hidden", std::make_shared<xg::nn::Linear>(2, 4));
//     std::shared_ptr<xg::nn::Linear> out = register_module("out", std::make_shared<xg::nn::Linear>(4, 1));
//     xg::Tensor forward(const xg::Tensor& x) override { return (*out)(xg::sigmoid((*hidden)(x))); }
//     std::string type_name() const override { return "TwoLayer"; }
//   };
#pragma once

#include <autograd/tensor.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace xg::nn {

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;

  virtual Tensor forward(const Tensor& input) = 0;
  Tensor operator()(const Tensor& input) { return forward(input); }

  /// "Linear", "Sequential": the class name shown by summary() and printing.
  virtual std::string type_name() const = 0;
  /// The constructor arguments as torch prints them ("in_features=2, out_features=4, bias=True").
  virtual std::string extra_repr() const { return {}; }

  /// Every parameter of this module and (with recurse) its descendants, in registration order.
  /// A tensor reached twice (tied weights, a module used twice) is listed once, as in torch.
  std::vector<Tensor> parameters(bool recurse = true) const;
  /// The same with dotted names: "weight", "0.weight", "hidden.bias"; a shared tensor keeps the
  /// first name it is reached by.
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const { return children_; }
  /// The number of scalar parameters (sum of numel, a shared tensor once), as torch's
  /// sum(p.numel() for p in m.parameters()).
  int64_t parameter_count() const;

  /// Resets every parameter's gradient: undefined with set_to_none (torch 2's default), else
  /// zeros without history (a gradient built with create_graph is detached first).
  void zero_grad(bool set_to_none = true);
  /// Training mode (the default) or evaluation mode, for this module and its descendants.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  /// Converts every parameter to `dtype` in place: handles held elsewhere (optimizers) follow.
  /// All conversions are made before the first parameter changes, so a failure changes nothing.
  /// Gradients are reset (they would have the old dtype).
  Module& to(Dtype dtype);

  /// A table for a batch of `input_shape`, running forward once without recording and in eval
  /// mode (each module's own mode is restored afterwards, also when forward throws):
  /// - a module without children: one row, its output shape and parameter count;
  /// - Sequential: one row per child, fed the previous child's output;
  /// - any other module: one row with its output shape, then one row per child with its
  ///   parameter count (shape "-": how the children are wired is up to forward).
  /// Parameters registered on a module that also has children get an "(own)" row, and a
  /// shared tensor is counted once, so the rows add up to the total.
  std::string summary(const Shape& input_shape);

  /// Adds a parameter (a leaf that requires grad) under `name`; returns the handle to keep.
  Tensor register_parameter(const std::string& name, Tensor parameter);
  /// Adds a child module under `name`; returns the pointer to keep.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }
  void add_child(const std::string& name, std::shared_ptr<Module> module);

 protected:
  /// True when forward feeds each child the previous child's output (Sequential), so that
  /// summary() can show every child's output shape.
  virtual bool chains_children() const { return false; }

 private:
  class TrainingModeRestorer;  // summary()'s guard, in module.cpp

  /// named_parameters() before shared tensors are removed.
  void collect_parameters(const std::string& prefix, bool recurse,
                          std::vector<std::pair<std::string, Tensor>>& out) const;

  void check_name(const std::string& name, const char* what) const;

  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

/// torch-style printing of a module tree: "Sequential(\n  (0): Linear(in_features=2, ...)\n)".
std::string to_string(const Module& module);

}  // namespace xg::nn
