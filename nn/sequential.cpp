// Sequential: forward through the children in order.
#include <nn/sequential.hpp>

#include <autograd/error.hpp>

#include <fmt/format.h>

namespace xg::nn {

void Sequential::append(std::shared_ptr<Module> module) { add_child(std::to_string(size()), std::move(module)); }

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& [name, child] : named_children()) x = child->forward(x);
  return x;
}

std::shared_ptr<Module> Sequential::operator[](size_t index) const {
  if (index >= size()) {
    throw ValueError(fmt::format("Sequential: index {} is out of range for {} modules", index, size()));
  }
  return named_children()[index].second;
}

}  // namespace xg::nn
