// Comparisons, logical and bitwise ops, tests of values (isnan...), any/all and nonzero: the ops
// that return bool tensors (masks) or positions, as torch's. None is differentiable: their results
// never require grad, as in torch.
//
// Operands of different dtypes compare in their common dtype (result_type, tensor.hpp): an int64
// tensor against a float32 one compares as float32. A number follows torch's rule for Python
// numbers (result_type(dtype, Scalar), dtype.hpp): it compares in the tensor's dtype when that is
// floating (`x > 0.1` with x float32 compares with 0.1f, as torch), an integer with an int64 or
// bool tensor in int64, a floating number with one in the default dtype.
#pragma once

#include <autograd/tensor.hpp>

#include <cstdint>

namespace xg {

// ---- comparisons: a bool tensor of the broadcast shape ----
Tensor eq(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, Scalar b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, Scalar b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, Scalar b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, Scalar b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, Scalar b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, Scalar b);

/// `a == b` is eq(a, b) as in LibTorch: a tensor, not a bool (is_same() tells whether two handles
/// are one tensor; equal() whether two tensors hold the same values).
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, Scalar b);
Tensor operator==(Scalar a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, Scalar b);
Tensor operator!=(Scalar a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, Scalar b);
Tensor operator<(Scalar a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, Scalar b);
Tensor operator<=(Scalar a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, Scalar b);
Tensor operator>(Scalar a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, Scalar b);
Tensor operator>=(Scalar a, const Tensor& b);

/// Whether a and b have the same shape and the same values (torch.equal; dtypes may differ: the
/// values compare in the common dtype). NaN equals nothing.
bool equal(const Tensor& a, const Tensor& b);
/// Element-wise |a - b| <= atol + rtol * |b| (torch.isclose; equal_nan makes NaN close to NaN).
Tensor isclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
/// isclose everywhere (torch.allclose).
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);

// ---- logical ops: any dtype in (non-zero is true), bool out ----
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& x);

// ---- bitwise ops on bool and int64 tensors (on bool masks: and, or, xor, not) ----
Tensor bitwise_and(const Tensor& a, const Tensor& b);
Tensor bitwise_or(const Tensor& a, const Tensor& b);
Tensor bitwise_xor(const Tensor& a, const Tensor& b);
Tensor bitwise_not(const Tensor& x);
Tensor operator&(const Tensor& a, const Tensor& b);
Tensor operator|(const Tensor& a, const Tensor& b);
Tensor operator^(const Tensor& a, const Tensor& b);
Tensor operator~(const Tensor& x);

// ---- tests of values: bool out (int64 and bool tensors are finite, never NaN) ----
Tensor isnan(const Tensor& x);
Tensor isinf(const Tensor& x);
Tensor isfinite(const Tensor& x);

// ---- reductions to bool ----
/// Whether any element is non-zero (a 0-d bool tensor; false for an empty tensor).
Tensor any(const Tensor& x);
/// Along one axis (negative counts from the end); keepdim keeps it with size 1.
Tensor any(const Tensor& x, int64_t axis, bool keepdim = false);
/// Whether every element is non-zero (true for an empty tensor).
Tensor all(const Tensor& x);
Tensor all(const Tensor& x, int64_t axis, bool keepdim = false);

/// The positions of the non-zero elements, row-major: int64 [count, x.dim()] (torch.nonzero).
Tensor nonzero(const Tensor& x);
/// The number of non-zero elements (a 0-d int64 tensor).
Tensor count_nonzero(const Tensor& x);

}  // namespace xg
