// Element-wise math (exp, log, sqrt, abs, sin, cos, sign, clamp) and where. Includes
// arithmetic.hpp: the arithmetic and the operators on tensors and scalars come with it.
#pragma once

#include <autograd/ops/arithmetic.hpp>
#include <autograd/tensor.hpp>

#include <optional>

namespace xg {

Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
/// abs'(0) = 0, as in torch.
Tensor abs(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
/// -1, 0 or 1; its gradient is zero everywhere.
Tensor sign(const Tensor& x);
/// Limits x to [min, max] (either bound may be absent). The gradient is 1 inside the closed
/// interval and 0 outside, as in torch (so 1 at the bounds themselves).
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);
/// Where `condition` is non-zero, a; elsewhere b. The three broadcast together. The condition
/// (any dtype; e.g. step(x)) only selects: it receives no gradient, even if it requires grad.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);

}  // namespace xg
