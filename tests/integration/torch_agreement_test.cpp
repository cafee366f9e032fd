// xgrad against PyTorch: the same 4-8-3 tanh MLP, the same initial weights and batches, 50
// steps of each optimizer in float64; every step's loss and the final weights must agree to
// 1e-12. The PyTorch side is torch_reference.py, run with Debian's python3-torch.
#include <autograd/autograd.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <unistd.h>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>

using namespace xg;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kSamples = 32, kBatch = 8, kSteps = 50;
// Measured here: at most 4e-16 (one or two ulps); the margin is for another CPU's BLAS kernels,
// whose rounding differs.
constexpr double kTolerance = 1e-12;

struct Fixture {
  fs::path dir = fs::temp_directory_path() / ("xgrad_torch_agreement_" + std::to_string(::getpid()));
  std::map<std::string, Tensor> init;   // initial weights and the data
  std::map<std::string, Tensor> torch;  // what PyTorch computed

  Fixture() {
    fs::create_directories(dir);
    manual_seed(2024);
    nn::Sequential net(nn::Linear(4, 8), nn::Tanh(), nn::Linear(8, 3));
    net.to(float64);
    init = nn::state_dict(net);
    init["x"] = randn({kSamples, 4}, float64);
    init["y"] = randint(0, 3, {kSamples});
    init["batch_size"] = scalar_tensor(kBatch, {.dtype = int64});
    init["steps"] = scalar_tensor(kSteps, {.dtype = int64});
    save_npz((dir / "init.npz").string(), init);
    const std::string cmd = "/usr/bin/python3 " XGRAD_TESTS_DIR "/integration/torch_reference.py " +
                            (dir / "init.npz").string() + " " + (dir / "torch.npz").string();
    if (std::system(cmd.c_str()) != 0) {
      FAIL(
          "torch_reference.py failed: /usr/bin/python3 needs python3-torch and python3-numpy (scripts/setup "
          "installs both)");
    }
    torch = load_npz((dir / "torch.npz").string());
  }
  ~Fixture() { fs::remove_all(dir); }
};

struct Run {
  std::vector<double> losses;
  std::map<std::string, Tensor> weights;
};

Run train(const std::map<std::string, Tensor>& init,
          const std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>& make_optimizer) {
  nn::Sequential net(nn::Linear(4, 8), nn::Tanh(), nn::Linear(8, 3));
  net.to(float64);
  std::map<std::string, Tensor> weights;
  for (const auto& key : {"0.weight", "0.bias", "2.weight", "2.bias"}) weights[key] = init.at(key);
  nn::load_state_dict(net, weights);
  auto optimizer = make_optimizer(net.parameters());
  nn::CrossEntropyLoss loss_fn;
  Run run;
  const Tensor& x = init.at("x");
  const Tensor& y = init.at("y");
  for (int64_t step = 0; step < kSteps; ++step) {
    const int64_t b = step % (kSamples / kBatch);
    optimizer->zero_grad();
    Tensor loss = loss_fn(net(slice(x, 0, b * kBatch, (b + 1) * kBatch)), slice(y, 0, b * kBatch, (b + 1) * kBatch));
    loss.backward();
    optimizer->step();
    run.losses.push_back(loss.item());
  }
  run.weights = nn::state_dict(net);
  return run;
}

double compare(const Run& run, const std::map<std::string, Tensor>& torch, const std::string& name) {
  double worst = 0;
  const std::vector<double> torch_losses = torch.at(name + ".losses").to_vector();
  REQUIRE(torch_losses.size() == run.losses.size());
  for (size_t i = 0; i < run.losses.size(); ++i) {
    INFO(name << " step " << i);
    CHECK(std::abs(run.losses[i] - torch_losses[i]) <= kTolerance);
    worst = std::max(worst, std::abs(run.losses[i] - torch_losses[i]));
  }
  for (const auto& [key, w] : run.weights) {
    const std::vector<double> ours = w.to_vector(), theirs = torch.at(name + "." + key).to_vector();
    REQUIRE(ours.size() == theirs.size());
    for (size_t i = 0; i < ours.size(); ++i) {
      INFO(name << " " << key << "[" << i << "]");
      CHECK(std::abs(ours[i] - theirs[i]) <= kTolerance);
      worst = std::max(worst, std::abs(ours[i] - theirs[i]));
    }
  }
  WARN(name << ": largest difference from PyTorch over " << kSteps << " steps: " << worst);
  return worst;
}

}  // namespace

TEST_CASE("training agrees with PyTorch to 1e-12 in float64: SGD, Adam and AdamW") {
  Fixture f;
  const Run sgd = train(f.init, [](std::vector<Tensor> p) {
    return std::make_unique<optim::SGD>(
        std::move(p), optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
  });
  compare(sgd, f.torch, "sgd");
  CHECK(sgd.losses.back() < sgd.losses.front());  // and it learned something

  const Run adam = train(f.init, [](std::vector<Tensor> p) {
    return std::make_unique<optim::Adam>(std::move(p), optim::AdamOptions{.lr = 0.01, .weight_decay = 0.001});
  });
  compare(adam, f.torch, "adam");

  const Run adamw = train(f.init, [](std::vector<Tensor> p) {
    return std::make_unique<optim::AdamW>(std::move(p),
                                          optim::AdamWOptions{.lr = 0.01, .weight_decay = 0.05, .amsgrad = true});
  });
  compare(adamw, f.torch, "adamw");
}
