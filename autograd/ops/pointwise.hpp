// More element-wise math under the names torch users type: square, rsqrt, log1p, expm1, atan2,
// maximum, minimum, clamp_min, clamp_max. Differentiable (twice), float32 and float64; the binary
// ones broadcast and promote mixed dtypes as arithmetic does (arithmetic.hpp). Like exp and log,
// rsqrt, log1p, expm1 and atan2 refuse int64 inputs (torch computes them in float32).
#pragma once

#include <autograd/tensor.hpp>

namespace xg {

/// x * x (torch records it as pow(x, 2), and so does xgrad); int64 stays int64.
Tensor square(const Tensor& x);
/// 1 / sqrt(x).
Tensor rsqrt(const Tensor& x);
/// log(1 + x), accurate for small x.
Tensor log1p(const Tensor& x);
/// exp(x) - 1, accurate for small x.
Tensor expm1(const Tensor& x);
/// The angle of the point (b, a) in (-pi, pi], element-wise: atan2(a, b) as std::atan2(y, x).
Tensor atan2(const Tensor& a, const Tensor& b);
/// The larger (smaller) of a and b element-wise; NaN if either is NaN. Where they are equal each
/// receives half the gradient, as in torch.
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
/// clamp(x, min, nullopt) and clamp(x, nullopt, max).
Tensor clamp_min(const Tensor& x, double min);
Tensor clamp_max(const Tensor& x, double max);

}  // namespace xg
