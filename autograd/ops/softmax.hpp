// softmax and log_softmax along an axis, numerically stable.
#pragma once

#include <autograd/tensor.hpp>

namespace xg {

/// e^x / sum(e^x) along `axis` (negative counts from the end).
Tensor softmax(const Tensor& x, int64_t axis);
/// x - log(sum(e^x)) along `axis`, computed without overflow for any finite x.
Tensor log_softmax(const Tensor& x, int64_t axis);

}  // namespace xg
