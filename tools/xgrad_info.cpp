// xgrad-info: what this xgrad is and which BLAS it calls (for bug reports and benchmarks).
#include <autograd/info.hpp>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf(
          "usage: xgrad-info [--version | --blas | --help]\n"
          "  --version  xgrad version, BLAS library and core in use, xtensor and compiler (default)\n"
          "  --blas     only the BLAS line\n");
      return 0;
    }
    if (std::strcmp(argv[i], "--blas") == 0) {
      std::printf("%s\n", xg::blas_info().c_str());
      return 0;
    }
    if (std::strcmp(argv[i], "--version") != 0) {
      std::fprintf(stderr, "xgrad-info: unknown option '%s' (try --help)\n", argv[i]);
      return 2;
    }
  }
  std::printf("%s", xg::build_info().c_str());
  return 0;
}
