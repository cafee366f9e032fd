// xgrad_bench: the workloads of bench/compare for xgrad, with Google Benchmark. The same
// workloads for PyTorch are in torch_bench.py and for LibTorch in libtorch_bench.cpp; shapes,
// dtypes (float32) and update rules match line by line.
//
//   xgrad_bench [--quick] [google benchmark flags]   e.g. --benchmark_filter=mlp
//   xgrad_bench --memory [steps]                      peak resident memory of workload 1 (batch 64)
//
// Run with OPENBLAS_NUM_THREADS=1 for the primary figures (bench/compare does).
#include <autograd/autograd.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <xtensor-blas/xlinalg.hpp>  // cblas_sgemm (never include <cblas.h> beside it)

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

using xg::Tensor;
namespace nn = xg::nn;
namespace optim = xg::optim;

bool quick = false;

// Buffers for the raw gemm floors: xgrad tensors of random values, so that their data and
// alignment are those the engine's own gemm calls see.
class Buffers {
 public:
  explicit Buffers(const std::vector<xg::Shape>& shapes) {
    xg::manual_seed(1);
    for (const xg::Shape& s : shapes) tensors_.push_back(xg::randn(s));
  }
  float* operator[](size_t i) { return tensors_[i].data_ptr<float>(); }

 private:
  std::vector<Tensor> tensors_;
};

// ---- 1. MLP 784-256-10, ReLU, cross-entropy, SGD momentum: one full training step ----

nn::Sequential make_mlp(int64_t hidden, bool sigmoid) {
  if (sigmoid) return nn::Sequential(nn::Linear(784, hidden), nn::Sigmoid(), nn::Linear(hidden, 10));
  return nn::Sequential(nn::Linear(784, hidden), nn::ReLU(), nn::Linear(hidden, 10));
}

struct Mlp {
  explicit Mlp(int64_t batch, int64_t hidden = 256, bool sigmoid = false)
      : net(make_mlp(hidden, sigmoid)),
        sgd(net.parameters(), {.lr = 0.01, .momentum = 0.9}),
        x(xg::randn({batch, 784})),
        labels(xg::randint(0, 10, {batch})) {}
  double step() {
    sgd.zero_grad();
    Tensor loss = loss_fn(net(x), labels);
    loss.backward();
    sgd.step();
    return loss.item();
  }
  nn::Sequential net;
  optim::SGD sgd;
  nn::CrossEntropyLoss loss_fn;
  Tensor x, labels;
};

void mlp(benchmark::State& state) {
  xg::manual_seed(0);
  Mlp m(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(m.step());
}

// The floor of workload 1: the five float32 gemm calls one step makes, timed raw.
//   forward  h = x W1^T [b,784]x[784,256], logits = h W2^T [b,256]x[256,10]
//   backward dW2 = g^T h [10,b]x[b,256], dh = g W2 [b,10]x[10,256], dW1 = dh^T x [256,b]x[b,784]
void mlp_sgemm5(benchmark::State& state) {
  const int b = static_cast<int>(state.range(0));
  Buffers buf({{b, 784}, {256, 784}, {b, 256}, {10, 256}, {b, 10}, {b, 10}, {10, 256}, {b, 256}, {256, 784}});
  float *x = buf[0], *w1 = buf[1], *h = buf[2], *w2 = buf[3], *logits = buf[4], *g = buf[5], *dw2 = buf[6],
        *dh = buf[7], *dw1 = buf[8];
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, 256, 784, 1.0f, x, 784, w1, 784, 0.0f, h, 256);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, 10, 256, 1.0f, h, 256, w2, 256, 0.0f, logits, 10);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 10, 256, b, 1.0f, g, 10, h, 256, 0.0f, dw2, 256);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, 256, 10, 1.0f, g, 10, w2, 256, 0.0f, dh, 256);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 256, 784, b, 1.0f, dh, 256, x, 784, 0.0f, dw1, 784);
    benchmark::ClobberMemory();
  }
}

// ---- 2. the classic MNIST teaching network 784-16-10 sigmoid, batch 1 ----

void sigmoid_b1(benchmark::State& state) {
  xg::manual_seed(0);
  Mlp m(1, 16, true);
  for (auto _ : state) benchmark::DoNotOptimize(m.step());
}

// ---- 3. a chain of 1,000 scalar-tensor ops (mul, add, tanh) forward + backward ----

constexpr int kChainOps = 999;  // 333 x (mul, add, tanh)

void scalar_chain(benchmark::State& state) {
  Tensor x = xg::scalar_tensor(0.5, {.requires_grad = true});
  for (auto _ : state) {
    Tensor y = x;
    for (int i = 0; i < kChainOps / 3; ++i) y = xg::tanh(y * 1.01 + 0.1);
    y.backward();
    x.mutable_grad() = Tensor();
  }
  state.counters["ns_per_op"] =
      benchmark::Counter(static_cast<double>(kChainOps) * 1e-9,
                         benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// ---- 4. Linear 1024 -> 1024, batch 1024, forward + backward: y = x W^T + b, dx, dW, db ----

void linear1024(benchmark::State& state) {
  const int64_t n = quick ? 128 : 1024;
  xg::manual_seed(0);
  nn::Linear layer(n, n);
  Tensor x = xg::randn({n, n}).requires_grad_();  // so that backward computes all three products
  Tensor g = xg::ones({n, n});
  for (auto _ : state) {
    layer.zero_grad();
    x.mutable_grad() = Tensor();
    Tensor y = layer(x);
    y.backward(g);
  }
  state.counters["GFLOPs"] =
      benchmark::Counter(3.0 * 2.0 * static_cast<double>(n * n * n), benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
}

// The same three products raw: y = x W^T, dx = g W, dW = g^T x.
void linear1024_sgemm3(benchmark::State& state) {
  const int n = quick ? 128 : 1024;
  Buffers buf({{n, n}, {n, n}, {n, n}, {n, n}, {n, n}, {n, n}});
  float *x = buf[0], *w = buf[1], *y = buf[2], *g = buf[3], *dx = buf[4], *dw = buf[5];
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, x, n, w, n, 0.0f, y, n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, g, n, w, n, 0.0f, dx, n);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, n, n, 1.0f, g, n, x, n, 0.0f, dw, n);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOPs"] =
      benchmark::Counter(3.0 * 2.0 * static_cast<double>(n) * n * n, benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
}

// ---- 5. one epoch of examples/mnist_mlp: 8,000 digits, batch 64, 784-16-10 sigmoid ----
// Random digits of the same shape (timing does not depend on the values, and the bench must not
// depend on the data download); SGD lr 0.1 momentum 0.9, as the example.

void mnist_epoch(benchmark::State& state) {
  const int64_t n = quick ? 640 : 8000, batch = 64;
  xg::manual_seed(0);
  Tensor images = xg::rand({n, 784});
  Tensor labels = xg::randint(0, 10, {n});
  nn::Sequential net(nn::Linear(784, 16), nn::Sigmoid(), nn::Linear(16, 10));
  optim::SGD sgd(net.parameters(), {.lr = 0.1, .momentum = 0.9});
  nn::CrossEntropyLoss loss_fn;
  std::vector<Tensor> xs, ys;
  for (int64_t start = 0; start < n; start += batch) {
    xs.push_back(xg::slice(images, 0, start, start + batch));
    ys.push_back(xg::slice(labels, 0, start, start + batch));
  }
  for (auto _ : state) {
    for (size_t b = 0; b < xs.size(); ++b) {
      sgd.zero_grad();
      Tensor loss = loss_fn(net(xs[b]), ys[b]);
      loss.backward();
      sgd.step();
    }
  }
}

// ---- 6. the 2-4-1 sigmoid net (17 parameters), MSE, one SGD step on the four XOR cases ----

void xor_step(benchmark::State& state) {
  xg::manual_seed(0);
  nn::Sequential net(nn::Linear(2, 4), nn::Sigmoid(), nn::Linear(4, 1), nn::Sigmoid());
  optim::SGD sgd(net.parameters(), {.lr = 0.5, .momentum = 0.9});
  nn::MSELoss loss_fn;
  const Tensor x = xg::tensor({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  const Tensor y = xg::tensor({{0}, {1}, {1}, {0}});
  for (auto _ : state) {
    sgd.zero_grad();
    Tensor loss = loss_fn(net(x), y);
    loss.backward();
    sgd.step();
    benchmark::DoNotOptimize(loss);
  }
}

// ---- 8. views of a 1024x1024 tensor: reshape, t(), slice, x[i] share the storage (O(1)) ----

void views(benchmark::State& state) {
  const int64_t n = quick ? 64 : 1024;
  xg::manual_seed(0);
  const Tensor x = xg::randn({n, n});
  for (auto _ : state) {
    Tensor a = x.reshape({n * n}), b = x.t(), c = xg::slice(x, 0, 10, 500), d = x[3];
    benchmark::DoNotOptimize(a);
    benchmark::DoNotOptimize(b);
    benchmark::DoNotOptimize(c);
    benchmark::DoNotOptimize(d);
  }
}

// ---- 7. peak resident memory of workload 1 over many steps ----

long rss_kib(const char* field) {  // VmRSS or VmHWM from /proc/self/status
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field) + 1));
  }
  return -1;
}

int memory(int steps) {
  xg::manual_seed(0);
  Mlp m(64);
  std::vector<long> rss;
  for (int s = 1; s <= steps; ++s) {
    m.step();
    if (s == steps / 10 || s == steps) rss.push_back(rss_kib("VmRSS:"));
  }
  std::printf(
      "{\"steps\": %d, \"rss_kib_at_10pct\": %ld, \"rss_kib_at_end\": %ld, \"peak_kib\": %ld, \"live_nodes\": %lld}\n",
      steps, rss.front(), rss.back(), rss_kib("VmHWM:"), static_cast<long long>(xg::Node::live_count()));
  return 0;
}

}  // namespace

BENCHMARK(mlp)->Arg(64)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(mlp_sgemm5)->Arg(64)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(sigmoid_b1)->Unit(benchmark::kMicrosecond);
BENCHMARK(scalar_chain)->Unit(benchmark::kMicrosecond);
BENCHMARK(linear1024)->Unit(benchmark::kMillisecond);
BENCHMARK(linear1024_sgemm3)->Unit(benchmark::kMillisecond);
BENCHMARK(mnist_epoch)->Unit(benchmark::kMillisecond);
BENCHMARK(xor_step)->Unit(benchmark::kMicrosecond);
BENCHMARK(views)->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  if (argc >= 2 && std::strcmp(argv[1], "--memory") == 0) return memory(argc >= 3 ? std::atoi(argv[2]) : 1000);
  if (argc >= 2 && std::strcmp(argv[1], "--help") == 0) {
    std::printf(
        "usage: xgrad_bench [--quick] [google benchmark flags, e.g. --benchmark_filter=mlp]\n"
        "       xgrad_bench --memory [steps]   resident memory over steps of the 784-256-10 MLP (batch 64)\n"
        "--quick: small sizes and minimal repetitions, to check that every workload runs (CI)\n"
        "Set OPENBLAS_NUM_THREADS=1 for one-thread figures. bench/compare runs this beside PyTorch and LibTorch.\n");
    return 0;
  }
  std::string min_time = "--benchmark_min_time=0.001";
  for (size_t i = 1; i < args.size(); ++i) {
    if (std::strcmp(args[i], "--quick") == 0) {
      quick = true;
      args[i] = min_time.data();
    }
  }
  std::printf("%s\n", xg::build_info().c_str());
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 2;
  if (quick) {
    int steps = 20;
    if (memory(steps) != 0) return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
