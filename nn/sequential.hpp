// nn::Sequential: modules applied in order, children named "0", "1", ... as in torch.
#pragma once

#include <nn/module.hpp>

#include <memory>
#include <type_traits>

namespace xg::nn {

///   xg::nn::Sequential net(xg::nn::Linear(2, 4), xg::nn::Sigmoid(), xg::nn::Linear(4, 1), xg::nn::Sigmoid());
///   net.parameter_count() == 17;  net.named_parameters()[0].first == "0.weight"
class Sequential : public Module {
 public:
  Sequential() = default;
  /// Takes modules by value (moved in) or as shared pointers.
  template <class... Modules>
  requires(sizeof...(Modules) > 0) explicit Sequential(Modules&&... modules) {
    (push_back(std::forward<Modules>(modules)), ...);
  }

  template <class M>
  void push_back(M&& module) {
    using T = std::decay_t<M>;
    if constexpr (std::is_convertible_v<T, std::shared_ptr<Module>>) {
      append(std::shared_ptr<Module>(std::forward<M>(module)));
    } else {
      static_assert(std::is_base_of_v<Module, T>, "Sequential holds nn::Module objects");
      append(std::make_shared<T>(std::forward<M>(module)));
    }
  }

  Tensor forward(const Tensor& input) override;
  std::string type_name() const override { return "Sequential"; }
  size_t size() const { return named_children().size(); }
  std::shared_ptr<Module> operator[](size_t index) const;

 protected:
  bool chains_children() const override { return true; }

 private:
  void append(std::shared_ptr<Module> module);
};

}  // namespace xg::nn
