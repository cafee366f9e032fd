// Element-wise arithmetic with NumPy broadcasting, and the operators on tensors and scalars.
#pragma once

#include <autograd/tensor.hpp>

#include <optional>

namespace xg {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);
Tensor pow(const Tensor& x, double exponent);
Tensor pow(const Tensor& x, const Tensor& exponent);
Tensor pow(double base, const Tensor& exponent);
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

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
/// A scalar takes the tensor's dtype. With an int64 tensor a fractional scalar throws
/// DtypeError instead of being truncated (torch would promote to float; xgrad never promotes).
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);

}  // namespace xg
