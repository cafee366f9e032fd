// Reverse-mode differentiation over the recorded graph: backward() into leaves' .grad(), and
// the functional grad() that returns gradients without touching .grad().
#pragma once

#include <autograd/tensor.hpp>

#include <optional>
#include <vector>

namespace xg {

struct GradOptions {
  std::optional<bool> retain_graph;  // defaults to create_graph
  bool create_graph = false;         // record the backward pass, for higher-order gradients
  bool allow_unused = false;         // an input the outputs do not depend on gives an undefined tensor
};

/// Gradients of sum_k <outputs[k], grad_outputs[k]> with respect to each of `inputs`, as in
/// torch.autograd.grad. grad_outputs may be empty when every output has one element.
/// Leaves' grad() is left untouched.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, GradOptions options = {});

/// Accumulates the gradients of several roots into the leaves' grad() in one pass
/// (torch.autograd.backward); Tensor::backward is the one-root case.
void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors = {},
              BackwardOptions options = {});

/// Resets the tensors' .grad(): undefined with set_to_none (torch 2's default), else zeros. A
/// gradient built with create_graph carries history; it is replaced by zeros without history,
/// as torch's zero_grad does. What Module::zero_grad and Optimizer::zero_grad do.
void zero_grad(const std::vector<Tensor>& tensors, bool set_to_none = true);

}  // namespace xg
