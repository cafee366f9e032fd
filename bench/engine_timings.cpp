// engine_timings: the engine's fixed costs, medians of repeated runs.
//   - a 1,000,000-node scalar chain: forward, backward, teardown
//   - 512x512 float32 matmul forward + backward next to the three raw cblas_sgemm calls it makes
// Run with OPENBLAS_NUM_THREADS=1 for stable numbers; the BLAS core in use is printed first.
#include <autograd/autograd.hpp>

#include <xtensor-blas/xlinalg.hpp>  // cblas_sgemm (never include <cblas.h> beside it)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  if (argc > 1 && !quick) {
    std::printf("usage: engine_timings [--quick]\n");
    return 2;
  }
  std::printf("%s\n", xg::build_info().c_str());

  // ---- 1,000,000-node chain ----
  const int chain = quick ? 10'000 : 1'000'000;
  std::vector<double> forward, backward, teardown;
  for (int rep = 0; rep < (quick ? 1 : 5); ++rep) {
    auto t0 = clock_type::now();
    xg::Tensor x = xg::scalar_tensor(0.0, {.requires_grad = true});
    auto* y = new xg::Tensor(x);
    for (int i = 0; i < chain; ++i) *y = *y + 1.0;
    forward.push_back(seconds_since(t0));
    t0 = clock_type::now();
    y->backward({}, {.retain_graph = true});
    backward.push_back(seconds_since(t0));
    t0 = clock_type::now();
    delete y;
    teardown.push_back(seconds_since(t0));
  }
  std::printf("chain of %d adds: forward %.1f ms (%.0f ns/op), backward %.1f ms (%.0f ns/node), teardown %.1f ms\n",
              chain, median(forward) * 1e3, median(forward) / chain * 1e9, median(backward) * 1e3,
              median(backward) / chain * 1e9, median(teardown) * 1e3);

  // ---- 512x512 matmul forward + backward vs raw sgemm ----
  const int n = 512;
  xg::manual_seed(0);
  xg::Tensor a = xg::randn({n, n}).requires_grad_();
  xg::Tensor b = xg::randn({n, n}).requires_grad_();
  xg::Tensor g = xg::ones({n, n});
  std::vector<float> A(a.data_ptr<float>(), a.data_ptr<float>() + n * n),
      B(b.data_ptr<float>(), b.data_ptr<float>() + n * n), C(n * n), G(n * n, 1.0f), dA(n * n), dB(n * n);
  const int reps = quick ? 3 : 50;
  std::vector<double> ours, raw;
  for (int rep = 0; rep < reps; ++rep) {
    a.mutable_grad() = xg::Tensor();
    b.mutable_grad() = xg::Tensor();
    auto t0 = clock_type::now();
    xg::Tensor c = xg::matmul(a, b);
    c.backward(g);
    ours.push_back(seconds_since(t0));
    t0 = clock_type::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, A.data(), n, B.data(), n, 0.0f, C.data(), n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, G.data(), n, B.data(), n, 0.0f, dA.data(), n);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, n, n, 1.0f, A.data(), n, G.data(), n, 0.0f, dB.data(), n);
    raw.push_back(seconds_since(t0));
  }
  const double flops = 3.0 * 2.0 * n * n * n;
  std::printf(
      "matmul %dx%d float32 forward+backward: xgrad %.3f ms (%.0f GFLOP/s), raw 3x cblas_sgemm %.3f ms (%.0f "
      "GFLOP/s), ratio %.2f\n",
      n, n, median(ours) * 1e3, flops / median(ours) / 1e9, median(raw) * 1e3, flops / median(raw) / 1e9,
      median(ours) / median(raw));
  return 0;
}
