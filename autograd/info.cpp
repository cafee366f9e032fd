// Version and run-time BLAS information.
#include <autograd/info.hpp>

#include <dlfcn.h>
#include <fmt/format.h>
#include <xtensor-blas/xlinalg.hpp>  // declares openblas_get_* (never include <cblas.h> beside it)
#include <xtensor/xtensor_config.hpp>

#ifndef XGRAD_VERSION
#define XGRAD_VERSION "unknown"
#endif

namespace xg {

std::string version() { return XGRAD_VERSION; }

std::string blas_info() {
  // the config string starts with "OpenBLAS <version>"
  return fmt::format("{} (core {}, {} threads)", openblas_get_config(), openblas_get_corename(),
                     openblas_get_num_threads());
}

std::string gemm_library() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&cblas_sgemm), &info) == 0 || info.dli_fname == nullptr) return "unknown";
  return info.dli_fname;
}

std::string build_info() {
  return fmt::format("xgrad {}\nBLAS: {}\ngemm from: {}\nxtensor {}.{}.{}{}\ncompiler: {}\n", version(), blas_info(),
                     gemm_library(), XTENSOR_VERSION_MAJOR, XTENSOR_VERSION_MINOR, XTENSOR_VERSION_PATCH,
#ifdef XTENSOR_USE_XSIMD
                     " with xsimd",
#else
                     "",
#endif
                     __VERSION__);
}

}  // namespace xg
