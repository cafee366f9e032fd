// Loss functions (torch.nn.*Loss and torch.nn.functional), with reduction mean | sum | none.
#pragma once

#include <autograd/ops/op_info.hpp>
#include <autograd/tensor.hpp>

#include <string>

namespace xg::nn {

enum class Reduction { none, mean, sum };

/// (input - target)^2. Shapes must be equal (torch only warns when they differ and broadcasts).
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
/// -[y log x + (1 - y) log(1 - x)], each log clamped at >= -100 as torch; x and y in [0, 1].
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
/// BCE of sigmoid(z), computed stably as max(z, 0) - z y + log(1 + e^-|z|).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        Reduction reduction = Reduction::mean);
/// Logits [N, C] (or [C]) against class indices [N] (int64, or a 0-d index) or class
/// probabilities of the logits' shape: log_softmax then NLL; the mean is over N.
Tensor cross_entropy(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
/// Log-probabilities [N, C] (or [C]) against class indices [N]: -input[n, target[n]], finite
/// whenever the picked entries are (another class may hold -inf, the log of a probability 0).
Tensor nll_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);

/// The losses as callable objects: `nn::CrossEntropyLoss loss_fn; Tensor loss = loss_fn(logits, labels);`
class MSELoss {
 public:
  explicit MSELoss(Reduction reduction = Reduction::mean) : reduction(reduction) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const { return mse_loss(input, target, reduction); }
  Reduction reduction;
};
class BCELoss {
 public:
  explicit BCELoss(Reduction reduction = Reduction::mean) : reduction(reduction) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return binary_cross_entropy(input, target, reduction);
  }
  Reduction reduction;
};
class BCEWithLogitsLoss {
 public:
  explicit BCEWithLogitsLoss(Reduction reduction = Reduction::mean) : reduction(reduction) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const {
    return binary_cross_entropy_with_logits(input, target, reduction);
  }
  Reduction reduction;
};
class CrossEntropyLoss {
 public:
  explicit CrossEntropyLoss(Reduction reduction = Reduction::mean) : reduction(reduction) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const { return cross_entropy(input, target, reduction); }
  Reduction reduction;
};
class NLLLoss {
 public:
  explicit NLLLoss(Reduction reduction = Reduction::mean) : reduction(reduction) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const { return nll_loss(input, target, reduction); }
  Reduction reduction;
};

/// The functional losses in the op catalogue (autograd/ops/op_info.hpp), for the graph fuzzer,
/// the op sweep and the docs' op table.
std::span<const OpInfo> loss_ops();

}  // namespace xg::nn
