// libtorch_bench: LibTorch's side of bench/compare, the workloads of xgrad_bench.cpp and
// torch_bench.py with torch's C++ API, same shapes, float32.
//   libtorch_bench WORKLOAD [--seconds S] [--repetitions R] [--warmup W] [--threads N]
// prints one line of JSON: {"workload", "median_s", "repetitions", "iterations", "rep_means_s", "threads"}.
//
// The statistic is xgrad_bench's under bench/compare (Google Benchmark 1.7 with
// --benchmark_min_warmup_time=W --benchmark_min_time=S/R --benchmark_repetitions=R), by the same
// rules, reproduced in measure() below (as torch_bench.py does): a warm-up of batches growing until
// one lasts W; then R repetitions, each one batch of N iterations timed as a whole, N found once
// before the first repetition by Google Benchmark's rule (grow the batch until it lasts at least S/R
// of the calling thread's CPU time, or 5 * S/R of wall time); median_s is the median of the R
// repetition means (wall seconds per iteration). As Google Benchmark calls a benchmark's function
// afresh for every batch, the workload is built afresh (untimed) for every batch.
#include <torch/torch.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace {

using Run = std::function<void()>;

// Gradients set to none, as xgrad's zero_grad and torch.optim's zero_grad(set_to_none=True) do
// (LibTorch 1.13's Optimizer::zero_grad() zeroes them in place, which costs a pass per step).
void zero_grad_to_none(const std::vector<torch::Tensor>& params) {
  for (torch::Tensor p : params) p.mutable_grad() = torch::Tensor();
}

Run mlp(int64_t batch, int64_t hidden = 256, bool sigmoid = false) {
  torch::manual_seed(0);
  torch::nn::Sequential net(torch::nn::Linear(784, hidden));
  if (sigmoid)
    net->push_back(torch::nn::Sigmoid());
  else
    net->push_back(torch::nn::ReLU());
  net->push_back(torch::nn::Linear(hidden, 10));
  auto sgd = std::make_shared<torch::optim::SGD>(net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  torch::Tensor x = torch::randn({batch, 784});
  torch::Tensor labels = torch::randint(0, 10, {batch}, torch::kLong);
  return [=]() mutable {
    zero_grad_to_none(net->parameters());
    torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(x), labels);
    loss.backward();
    sgd->step();
    (void)loss.item<float>();
  };
}

Run scalar_chain() {
  torch::Tensor x = torch::tensor(0.5f, torch::requires_grad());
  return [=]() mutable {
    torch::Tensor y = x;
    for (int i = 0; i < 333; ++i) y = torch::tanh(y * 1.01 + 0.1);
    y.backward();
    x.mutable_grad() = torch::Tensor();
  };
}

Run linear1024() {
  torch::manual_seed(0);
  torch::nn::Linear layer(1024, 1024);
  torch::Tensor x = torch::randn({1024, 1024}, torch::requires_grad());  // all three products
  torch::Tensor g = torch::ones({1024, 1024});
  return [=]() mutable {
    zero_grad_to_none(layer->parameters());
    x.mutable_grad() = torch::Tensor();
    layer->forward(x).backward(g);
  };
}

Run mnist_epoch() {
  torch::manual_seed(0);
  const int64_t n = 8000, batch = 64;
  torch::Tensor images = torch::rand({n, 784});
  torch::Tensor labels = torch::randint(0, 10, {n}, torch::kLong);
  torch::nn::Sequential net(torch::nn::Linear(784, 16), torch::nn::Sigmoid(), torch::nn::Linear(16, 10));
  auto sgd = std::make_shared<torch::optim::SGD>(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  std::vector<torch::Tensor> xs = images.split(batch), ys = labels.split(batch);
  return [=]() mutable {
    for (size_t b = 0; b < xs.size(); ++b) {
      zero_grad_to_none(net->parameters());
      torch::nn::functional::cross_entropy(net->forward(xs[b]), ys[b]).backward();
      sgd->step();
    }
  };
}

Run views() {
  torch::Tensor x = torch::randn({1024, 1024});
  return [=]() {
    torch::Tensor a = x.reshape({1024 * 1024}), b = x.t(), c = x.slice(0, 10, 500), d = x[3];
    (void)a, (void)b, (void)c, (void)d;
  };
}

Run xor_step() {
  torch::manual_seed(0);
  torch::nn::Sequential net(torch::nn::Linear(2, 4), torch::nn::Sigmoid(), torch::nn::Linear(4, 1),
                            torch::nn::Sigmoid());
  auto sgd = std::make_shared<torch::optim::SGD>(net->parameters(), torch::optim::SGDOptions(0.5).momentum(0.9));
  torch::Tensor x = torch::tensor({0.f, 0.f, 0.f, 1.f, 1.f, 0.f, 1.f, 1.f}).reshape({4, 2});
  torch::Tensor y = torch::tensor({0.f, 1.f, 1.f, 0.f}).reshape({4, 1});
  return [=]() mutable {
    zero_grad_to_none(net->parameters());
    torch::Tensor loss = torch::mse_loss(net->forward(x), y);
    loss.backward();
    sgd->step();
  };
}

// ---- the measurement: Google Benchmark 1.7's rules ----

using Make = std::function<Run()>;
constexpr int64_t kMaxIterations = 1000000000;  // Google Benchmark's kMaxIterations

struct Batch {
  double wall, cpu;  // seconds of the whole batch: wall clock, the calling thread's CPU time
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// One batch: a freshly built workload run iters times, timed as a whole.
Batch run_batch(const Make& make, int64_t iters) {
  Run run = make();
  using clock = std::chrono::steady_clock;
  const auto w0 = clock::now();
  const double c0 = thread_cpu_seconds();
  for (int64_t i = 0; i < iters; ++i) run();
  const double c1 = thread_cpu_seconds();
  const auto w1 = clock::now();
  return {std::chrono::duration<double>(w1 - w0).count(), c1 - c0};
}

// Google Benchmark 1.7's ShouldReportIterationResults (CPU time decides, real time caps).
bool long_enough(int64_t iters, const Batch& b, double min_time) {
  return iters >= kMaxIterations || b.cpu >= min_time || b.wall >= 5 * min_time;
}

// Google Benchmark 1.7's PredictNumItersNeeded.
int64_t next_iters(int64_t iters, const Batch& b, double min_time) {
  const double multiplier = b.cpu / min_time > 0.1 ? min_time * 1.4 / std::max(b.cpu, 1e-9) : 10.0;
  const double next = std::max(multiplier * static_cast<double>(iters), static_cast<double>(iters) + 1.0);
  return std::min<int64_t>(std::lround(next), kMaxIterations);
}

// Batches from one iteration up, each longer, until one lasts min_time: its size and timing.
std::pair<int64_t, Batch> grow(const Make& make, double min_time) {
  for (int64_t iters = 1;;) {
    const Batch b = run_batch(make, iters);
    if (long_enough(iters, b, min_time)) return {iters, b};
    iters = next_iters(iters, b, min_time);
  }
}

// The repetition means (wall seconds per iteration) and the batch size, as Google Benchmark measures.
std::pair<std::vector<double>, int64_t> measure(const Make& make, double seconds, int repetitions, double warmup) {
  if (warmup > 0) grow(make, warmup);
  const double min_time = seconds / repetitions;
  const auto [iters, first] = grow(make, min_time);  // its last batch is the first repetition
  std::vector<double> means{first.wall / static_cast<double>(iters)};
  for (int r = 1; r < repetitions; ++r) means.push_back(run_batch(make, iters).wall / static_cast<double>(iters));
  return {means, iters};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::printf(
        "usage: libtorch_bench WORKLOAD [--seconds S] [--repetitions R] [--warmup W] [--threads N]\n"
        "workloads: mlp_b64 mlp_b512 sigmoid_b1 scalar_chain linear1024 mnist_epoch xor_step views\n");
    return argc < 2 ? 2 : 0;
  }
  const std::string workload = argv[1];
  double seconds = 1.0, warmup = -1;  // warm-up: min(0.2, S/4) unless given
  int threads = 1, repetitions = 3;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0)
      seconds = std::atof(argv[i + 1]);
    else if (std::strcmp(argv[i], "--repetitions") == 0)
      repetitions = std::max(1, std::atoi(argv[i + 1]));
    else if (std::strcmp(argv[i], "--warmup") == 0)
      warmup = std::atof(argv[i + 1]);
    else if (std::strcmp(argv[i], "--threads") == 0)
      threads = std::atoi(argv[i + 1]);
  }
  if (warmup < 0) warmup = std::min(0.2, seconds / 4);
  torch::set_num_threads(threads);
  Make make;
  if (workload == "mlp_b64")
    make = [] { return mlp(64); };
  else if (workload == "mlp_b512")
    make = [] { return mlp(512); };
  else if (workload == "sigmoid_b1")
    make = [] { return mlp(1, 16, true); };
  else if (workload == "scalar_chain")
    make = scalar_chain;
  else if (workload == "linear1024")
    make = linear1024;
  else if (workload == "mnist_epoch")
    make = mnist_epoch;
  else if (workload == "xor_step")
    make = xor_step;
  else if (workload == "views")
    make = views;
  else {
    std::fprintf(stderr, "libtorch_bench: unknown workload '%s'\n", workload.c_str());
    return 2;
  }
  const auto [means, iters] = measure(make, seconds, repetitions, warmup);
  std::vector<double> sorted = means;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  const double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;  // as statistics.median
  std::string list;
  for (double m : means) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.9g", list.empty() ? "" : ", ", m);
    list += buf;
  }
  std::printf(
      "{\"workload\": \"%s\", \"median_s\": %.9g, \"repetitions\": %zu, \"iterations\": %lld, "
      "\"rep_means_s\": [%s], \"threads\": %d}\n",
      workload.c_str(), median, n, static_cast<long long>(iters), list.c_str(), threads);
  return 0;
}
