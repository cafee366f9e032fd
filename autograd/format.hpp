// Printing tensors the way torch does: tensor([[0.5000, 1.2000]], requires_grad=true, grad_fn=<MulBackward>).
#pragma once

#include <autograd/tensor.hpp>

#include <fmt/format.h>
#include <iosfwd>
#include <string>

namespace xg {

/// The values only, nested in brackets as torch prints them ("[[0.5000, 1.2000]]"); more than
/// 1000 elements are summarised with "..." (3 items at each edge), and rows wrap at 80
/// columns, as torch does. Line breaks are indented for the "tensor(" prefix of to_string.
std::string format_values(const Tensor& t);
/// The full text: tensor(<values>[, dtype=float64][, requires_grad=true][, grad_fn=<...>]).
std::string to_string(const Tensor& t);

std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace xg

template <>
struct fmt::formatter<xg::Tensor> : fmt::formatter<std::string> {
  template <class Context>
  auto format(const xg::Tensor& t, Context& ctx) const {
    return fmt::formatter<std::string>::format(xg::to_string(t), ctx);
  }
};
