// What xgrad was built as and what it runs on (for --version output and bug reports).
#pragma once

#include <string>

namespace xg {

/// "0.1.0".
std::string version();
/// The BLAS library called at run time, asked from OpenBLAS itself:
/// "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ... (core SkylakeX, 2 threads)".
/// openblas_get_config exists only in OpenBLAS, so linking another BLAS fails at build time.
std::string blas_info();
/// The shared library that cblas_sgemm (what matmul calls) resolves to at run time, e.g.
/// "/usr/lib/x86_64-linux-gnu/libopenblas.so.0": proof that OpenBLAS, not the reference BLAS,
/// does the products.
std::string gemm_library();
/// Both, plus xtensor's and the compiler's versions, on one line each.
std::string build_info();

}  // namespace xg
