// Matrix products on BLAS (OpenBLAS gemm).
#pragma once

#include <autograd/tensor.hpp>

namespace xg {

/// torch.matmul for up to 3-D operands: 1-D . 1-D (dot, 0-d result), 2-D @ 2-D, 1-D @ 2-D and
/// 2-D @ 1-D (the 1-D side is treated as a row / column and its axis removed), and batched 3-D
/// @ 3-D (equal batch sizes) or 3-D @ 2-D / 2-D @ 3-D (the 2-D side shared by every batch).
Tensor matmul(const Tensor& a, const Tensor& b);

/// op(a) @ op(b) with op = transpose when the flag is set, computed by BLAS gemm with its
/// transpose flags: no transposed copy is made. a and b are 2-D or 3-D (batched, as matmul).
/// Its backward is gemm again with other flags, so it is differentiable to any order.
Tensor gemm(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);

}  // namespace xg
