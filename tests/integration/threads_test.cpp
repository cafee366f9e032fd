// Threads: independent graphs built and differentiated on several threads at once give exactly
// the gradients they give one after another. Grad mode, anomaly mode and trace are per thread;
// the random generator is shared behind a mutex; graphs and tensors must not be shared between
// threads that write to them (README "Threads"). `scripts/test --tsan` runs this file under
// ThreadSanitizer.
#include <autograd/autograd.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

using namespace xg;

namespace {

constexpr int kThreads = 4;

Tensor seeded(std::mt19937_64& rng, const Shape& shape, bool requires_grad) {
  std::normal_distribution<double> normal(0.0, 0.5);
  std::vector<double> values(static_cast<size_t>(numel(shape)));
  for (double& v : values) v = normal(rng);
  return from_vector(values, shape, {.dtype = float64, .requires_grad = requires_grad});
}

// One graph from `seed`: a two-layer net with a shared weight used twice, cross entropy, backward
// into .grad() and a functional grad(); returns every gradient, flattened.
std::vector<double> gradients_of(uint64_t seed) {
  std::mt19937_64 rng(seed);
  Tensor w1 = seeded(rng, {8, 6}, true), b1 = seeded(rng, {6}, true), w2 = seeded(rng, {6, 3}, true);
  Tensor x = seeded(rng, {16, 8}, false);
  std::vector<int64_t> labels(16);
  for (auto& l : labels) l = static_cast<int64_t>(rng() % 3);
  Tensor h = tanh(matmul(x, w1) + b1);
  Tensor h2 = sigmoid(matmul(h, w2)) * matmul(h, w2);  // w2 used twice: its gradients accumulate
  Tensor loss = nn::cross_entropy(h2, from_vector(labels, {16})) + (w1 * w1).sum() * 1e-3;
  Tensor g_h = grad({loss}, {h}, {}, {.retain_graph = true})[0];
  loss.backward();
  std::vector<double> out;
  for (const Tensor& t : {w1.grad(), b1.grad(), w2.grad(), g_h}) {
    const std::vector<double> v = t.to_vector();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

// 30 steps of SGD with momentum on a model of its own; returns the final parameters.
std::vector<double> trained(uint64_t seed) {
  std::mt19937_64 rng(seed);
  nn::Linear layer(4, 2, true, {.dtype = float64});
  {
    NoGradGuard no_grad;
    layer.weight.copy_(seeded(rng, {2, 4}, false));
    layer.bias.copy_(seeded(rng, {2}, false));
  }
  optim::SGD sgd(layer.parameters(), {.lr = 0.1, .momentum = 0.9});
  Tensor x = seeded(rng, {10, 4}, false), y = seeded(rng, {10, 2}, false);
  for (int step = 0; step < 30; ++step) {
    sgd.zero_grad();
    nn::mse_loss(layer.forward(x), y).backward();
    sgd.step();
  }
  std::vector<double> out = layer.weight.to_vector();
  const std::vector<double> b = layer.bias.to_vector();
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

template <class F>
std::vector<std::vector<double>> on_threads(F work, int per_thread) {
  std::vector<std::vector<double>> results(static_cast<size_t>(kThreads * per_thread));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const int job = t * per_thread + i;
        results[static_cast<size_t>(job)] = work(static_cast<uint64_t>(job));
      }
    });
  }
  for (std::thread& th : threads) th.join();
  return results;
}

}  // namespace

TEST_CASE("independent graphs differentiated on four threads at once match the serial gradients bit for bit") {
  const int per_thread = 5;
  std::vector<std::vector<double>> serial;
  for (int job = 0; job < kThreads * per_thread; ++job) serial.push_back(gradients_of(static_cast<uint64_t>(job)));
  const int64_t live_before = Node::live_count();
  const auto parallel = on_threads(gradients_of, per_thread);
  CHECK(parallel == serial);
  CHECK(Node::live_count() == live_before);
  CHECK(serial[0] != serial[1]);  // the jobs differ, so a mix-up would show
}

TEST_CASE("separate models trained on separate threads end where they end when trained one by one") {
  const int per_thread = 2;
  std::vector<std::vector<double>> serial;
  for (int job = 0; job < kThreads * per_thread; ++job) serial.push_back(trained(static_cast<uint64_t>(job)));
  CHECK(on_threads(trained, per_thread) == serial);
}

TEST_CASE("no_grad on one thread does not stop another thread from recording") {
  // (Catch2's assertions are not thread-safe: the threads count, the main thread checks.)
  Tensor w = scalar_tensor(2.0, {.dtype = float64, .requires_grad = true});
  int recorded_without_grad = 0, unrecorded_with_grad = 0;
  double grad = 0;
  std::thread quiet([&] {
    NoGradGuard no_grad;
    for (int i = 0; i < 1000; ++i) recorded_without_grad += (w * 3.0).requires_grad();
  });
  std::thread recording([&] {
    Tensor v = scalar_tensor(2.0, {.dtype = float64, .requires_grad = true});
    for (int i = 0; i < 1000; ++i) {
      Tensor y = v * v;
      unrecorded_with_grad += !y.requires_grad();
      y.backward();
    }
    grad = v.grad().item();
  });
  quiet.join();
  recording.join();
  CHECK(recorded_without_grad == 0);
  CHECK(unrecorded_with_grad == 0);
  CHECK(grad == 4000.0);
  CHECK(is_grad_enabled());
}

TEST_CASE("a graph built on one thread is differentiated and freed on another") {
  const int64_t live_before = Node::live_count();
  Tensor x = scalar_tensor(0.5, {.dtype = float64, .requires_grad = true});
  Tensor loss;
  std::thread build([&] { loss = (tanh(x) * exp(x)).sum(); });
  build.join();
  std::thread run([&] {
    loss.backward();
    loss = Tensor();  // the graph's nodes and buffers are freed on this thread
  });
  run.join();
  CHECK(x.grad().item() ==
        Approx((1 - std::tanh(0.5) * std::tanh(0.5)) * std::exp(0.5) + std::tanh(0.5) * std::exp(0.5)));
  CHECK(Node::live_count() == live_before);
}

TEST_CASE("the shared random generator hands out every draw once under concurrent use") {
  manual_seed(7);
  std::vector<double> serial = rand({4000}, float64).to_vector();
  manual_seed(7);
  std::vector<std::vector<double>> parts(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] { parts[static_cast<size_t>(t)] = rand({1000}, float64).to_vector(); });
  }
  for (std::thread& th : threads) th.join();
  // each thread drew a contiguous block of the sequence (draws are made under one lock), in some order
  std::vector<double> all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  std::sort(all.begin(), all.end());
  std::sort(serial.begin(), serial.end());
  CHECK(all == serial);
}
