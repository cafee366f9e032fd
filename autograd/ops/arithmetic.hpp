// Element-wise arithmetic with NumPy broadcasting (add, sub, mul, div, neg, pow), and the operators
// on tensors and scalars.
//
// Operands of different dtypes compute in their common dtype, torch's result_type (tensor.hpp):
// float32 + float64 is float64, int64 * float32 is float32, and a 0-d tensor does not widen a
// tensor with dimensions of its kind. The conversions are recorded, so that each gradient comes
// back in its input's dtype. div is true division (int64 / int64 is the default dtype); bool + bool
// is their logical or and bool * bool their logical and, as in torch.
#pragma once

#include <autograd/tensor.hpp>

namespace xg {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);
Tensor pow(const Tensor& x, double exponent);
Tensor pow(const Tensor& x, const Tensor& exponent);
Tensor pow(double base, const Tensor& exponent);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
/// A number keeps a floating tensor's dtype (`x * 0.5` with x float32 is float32); with an int64
/// or bool tensor an integer gives int64 and a floating number the default dtype (`labels * 0.5`
/// is float32), as torch's Python numbers. `/` is true division: integers divide as floats.
Tensor operator+(const Tensor& a, Scalar b);
Tensor operator-(const Tensor& a, Scalar b);
Tensor operator*(const Tensor& a, Scalar b);
Tensor operator/(const Tensor& a, Scalar b);
Tensor operator+(Scalar a, const Tensor& b);
Tensor operator-(Scalar a, const Tensor& b);
Tensor operator*(Scalar a, const Tensor& b);
Tensor operator/(Scalar a, const Tensor& b);

}  // namespace xg
