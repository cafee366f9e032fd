// libtorch_bench: LibTorch's side of bench/compare, the workloads of xgrad_bench.cpp and
// torch_bench.py with torch's C++ API, same shapes, float32.
//   libtorch_bench WORKLOAD [--seconds S] [--threads N]
// prints one line of JSON: {"workload", "median_s" (per iteration), "samples"}.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::printf(
        "usage: libtorch_bench WORKLOAD [--seconds S] [--threads N]\n"
        "workloads: mlp_b64 mlp_b512 sigmoid_b1 scalar_chain linear1024 mnist_epoch xor_step\n");
    return argc < 2 ? 2 : 0;
  }
  const std::string workload = argv[1];
  double seconds = 1.0;
  int threads = 1;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0)
      seconds = std::atof(argv[i + 1]);
    else if (std::strcmp(argv[i], "--threads") == 0)
      threads = std::atoi(argv[i + 1]);
  }
  torch::set_num_threads(threads);
  Run run;
  if (workload == "mlp_b64")
    run = mlp(64);
  else if (workload == "mlp_b512")
    run = mlp(512);
  else if (workload == "sigmoid_b1")
    run = mlp(1, 16, true);
  else if (workload == "scalar_chain")
    run = scalar_chain();
  else if (workload == "linear1024")
    run = linear1024();
  else if (workload == "mnist_epoch")
    run = mnist_epoch();
  else if (workload == "xor_step")
    run = xor_step();
  else {
    std::fprintf(stderr, "libtorch_bench: unknown workload '%s'\n", workload.c_str());
    return 2;
  }
  using clock = std::chrono::steady_clock;
  const auto warm_until = clock::now() + std::chrono::duration<double>(std::min(0.2, seconds / 4));
  do run();
  while (clock::now() < warm_until);
  std::vector<double> samples;
  const auto end = clock::now() + std::chrono::duration<double>(seconds);
  while (true) {
    const auto t0 = clock::now();
    run();
    const auto t1 = clock::now();
    samples.push_back(std::chrono::duration<double>(t1 - t0).count());
    if (t1 > end && samples.size() >= 3) break;
  }
  std::sort(samples.begin(), samples.end());
  std::printf("{\"workload\": \"%s\", \"median_s\": %.9g, \"samples\": %zu, \"threads\": %d}\n", workload.c_str(),
              samples[samples.size() / 2], samples.size(), threads);
  return 0;
}
