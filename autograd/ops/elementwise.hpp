// Element-wise math (exp, log, sqrt, abs, sin, cos, sign, clamp), where and masked_fill. Includes
// arithmetic.hpp and compare.hpp: the arithmetic, the comparisons that make where's masks and the
// operators on tensors and scalars come with it.
#pragma once

#include <autograd/ops/arithmetic.hpp>
#include <autograd/ops/compare.hpp>
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
/// Where `condition` is true, a; elsewhere b. The three broadcast together. The condition is a
/// bool tensor (DtypeError otherwise, as torch: `where(x > 0, x, 0 * x)`); it receives no
/// gradient.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
/// x with `value` where `mask` (a bool tensor) is true, the two broadcast together; the gradient
/// flows to x elsewhere (torch.masked_fill).
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);

}  // namespace xg
