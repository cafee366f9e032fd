// Run-time build facts: OpenBLAS (not the reference BLAS) is what gemm calls.
#include <autograd/info.hpp>

#include <catch2/catch.hpp>

TEST_CASE("the BLAS in use is OpenBLAS, reported with its core") {
  const std::string blas = xg::blas_info();
  CHECK_THAT(blas, Catch::StartsWith("OpenBLAS") && Catch::Contains("core "));
}

TEST_CASE("the version and build information name xgrad, BLAS and xtensor") {
  CHECK(xg::version() == "0.1.0");
  CHECK_THAT(xg::build_info(),
             Catch::Contains("xgrad 0.1.0") && Catch::Contains("BLAS: OpenBLAS") && Catch::Contains("xtensor 0.24"));
}

TEST_CASE("gemm resolves to the OpenBLAS shared library at run time") {
  CHECK_THAT(xg::gemm_library(), Catch::Contains("openblas"));
}
