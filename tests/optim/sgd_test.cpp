// Tests of optim/sgd: torch.optim.SGD's update rule against torch's trajectories (θ₀ = 1,
// gradient 0.5 every step, lr 0.1) and against the formula on vectors, and the option checks.
#include <optim/sgd.hpp>

#include <autograd/error.hpp>
#include <autograd/tensor.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

using xg::Tensor;
using xg::optim::SGD;
using xg::optim::SGDOptions;

namespace {

Tensor parameter(std::vector<double> values) {
  return xg::from_vector(values, {static_cast<int64_t>(values.size())}, {.dtype = xg::float64, .requires_grad = true});
}

// θ after each of `steps` steps from θ₀ = 1 with the gradient 0.5 every time.
std::vector<double> trajectory(SGDOptions options, int steps) {
  Tensor theta = parameter({1.0});
  SGD sgd({theta}, options);
  std::vector<double> values;
  for (int step = 0; step < steps; ++step) {
    theta.mutable_grad() = xg::full({1}, 0.5, xg::float64);
    sgd.step();
    values.push_back(theta.item());
  }
  return values;
}

}  // namespace

TEST_CASE("SGD matches torch's trajectories: plain, momentum, dampening, Nesterov, weight decay, maximize") {
  struct Case {
    const char* name;
    SGDOptions options;
    std::vector<double> expected;
  };
  const std::vector<Case> cases = {
      {"plain", {.lr = 0.1}, {0.95, 0.9, 0.85}},
      {"momentum 0.9", {.lr = 0.1, .momentum = 0.9}, {0.95, 0.855, 0.7195}},
      {"momentum 0.9, nesterov", {.lr = 0.1, .momentum = 0.9, .nesterov = true}, {0.905, 0.7695, 0.59755}},
      {"momentum 0.9, dampening 0.5", {.lr = 0.1, .momentum = 0.9, .dampening = 0.5}, {0.95, 0.88, 0.792}},
      {"momentum 0.9, weight_decay 0.01", {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01}, {0.949, 0.852151}},
      {"maximize", {.lr = 0.1, .maximize = true}, {1.05, 1.1, 1.15}},
      // maximize flips the gradient only, so weight decay still pulls θ toward 0: g = -0.5 + 0.01·θ
      {"maximize, weight_decay 0.01", {.lr = 0.1, .weight_decay = 0.01, .maximize = true}, {1.049, 1.0979510}},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const std::vector<double> values = trajectory(c.options, static_cast<int>(c.expected.size()));
      for (size_t step = 0; step < c.expected.size(); ++step) {
        INFO("step " << step + 1);
        CHECK(values[step] == Approx(c.expected[step]).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("SGD with momentum, nesterov and weight decay follows the formula element by element") {
  const double lr = 0.05, momentum = 0.8, weight_decay = 0.1;
  const std::vector<std::vector<double>> grads = {{0.3, -1.2, 2.0}, {-0.7, 0.4, 1.0}, {0.1, 0.1, -3.0}};
  Tensor theta = parameter({1.0, -2.0, 0.5});
  SGD sgd({theta}, {.lr = lr, .momentum = momentum, .weight_decay = weight_decay, .nesterov = true});

  std::vector<double> expected = {1.0, -2.0, 0.5};
  std::vector<double> buffer(3);
  for (size_t step = 0; step < grads.size(); ++step) {
    theta.mutable_grad() = xg::from_vector(grads[step], {3}, {.dtype = xg::float64});
    sgd.step();
    for (size_t k = 0; k < 3; ++k) {
      const double g = grads[step][k] + weight_decay * expected[k];
      buffer[k] = step == 0 ? g : momentum * buffer[k] + g;
      expected[k] -= lr * (g + momentum * buffer[k]);
    }
    const std::vector<double> values = theta.to_vector();
    const std::vector<double> state = sgd.state(0, 0).at("momentum_buffer").to_vector();
    for (size_t k = 0; k < 3; ++k) {
      INFO("step " << step + 1 << ", element " << k);
      CHECK(values[k] == Approx(expected[k]).epsilon(1e-12));
      CHECK(state[k] == Approx(buffer[k]).epsilon(1e-12));
    }
  }
}

TEST_CASE("SGD updates float32 parameters in float32") {
  Tensor theta = xg::tensor({1.0, 2.0}, {.dtype = xg::float32, .requires_grad = true});
  SGD sgd({theta}, {.lr = 0.1, .momentum = 0.9});
  for (int step = 0; step < 3; ++step) {
    theta.mutable_grad() = xg::full({2}, 0.5, xg::float32);
    sgd.step();
  }
  CHECK(theta.dtype() == xg::float32);
  CHECK(sgd.state(0, 0).at("momentum_buffer").dtype() == xg::float32);
  CHECK(theta.to_vector()[0] == Approx(0.7195).epsilon(1e-6));
  CHECK(theta.to_vector()[1] == Approx(1.7195).epsilon(1e-6));
}

TEST_CASE("SGD keeps no state without momentum and skips parameters without a gradient") {
  Tensor with_grad = parameter({1.0});
  Tensor without_grad = parameter({3.0});
  SGD plain({with_grad, without_grad}, {.lr = 0.1});
  with_grad.mutable_grad() = xg::full({1}, 0.5, xg::float64);
  const uint32_t version = without_grad.version();
  plain.step();
  CHECK(with_grad.item() == Approx(0.95));
  CHECK(without_grad.item() == 3.0);
  CHECK(without_grad.version() == version);
  CHECK(plain.state(0, 0).empty());
  CHECK(plain.state(0, 1).empty());

  SGD heavy({with_grad, without_grad}, {.lr = 0.1, .momentum = 0.9});
  heavy.step();
  CHECK(heavy.state(0, 0).contains("momentum_buffer"));
  CHECK(heavy.state(0, 1).empty());  // torch creates no buffer for a parameter it skipped
}

TEST_CASE("an SGD step bumps the version of every parameter it writes") {
  Tensor theta = parameter({1.0, 2.0});
  SGD sgd({theta}, {.lr = 0.1});
  theta.mutable_grad() = xg::ones({2}, xg::float64);
  const uint32_t before = theta.version();
  sgd.step();
  CHECK(theta.version() > before);
}

TEST_CASE("SGD param groups each use their own options") {
  Tensor a = parameter({1.0});
  Tensor b = parameter({1.0});
  SGD sgd({{.params = {a}, .options = {.lr = 0.1, .momentum = 0.9}}, {.params = {b}, .options = {.lr = 0.01}}});
  for (int step = 0; step < 2; ++step) {
    a.mutable_grad() = xg::full({1}, 0.5, xg::float64);
    b.mutable_grad() = xg::full({1}, 0.5, xg::float64);
    sgd.step();
  }
  CHECK(a.item() == Approx(0.855).epsilon(1e-12));
  CHECK(b.item() == Approx(0.99).epsilon(1e-12));
  CHECK(sgd.param_group(0).options.momentum == 0.9);
  CHECK(sgd.param_group(1).options.momentum == 0.0);
}

TEST_CASE("SGD options default to torch's and keep torch's member order") {
  const SGDOptions defaults;
  CHECK(defaults.lr == 1e-3);
  CHECK(defaults.momentum == 0.0);
  CHECK(defaults.dampening == 0.0);
  CHECK(defaults.weight_decay == 0.0);
  CHECK_FALSE(defaults.nesterov);
  CHECK_FALSE(defaults.maximize);
  // designated initialisers must follow declaration order: this compiles only in torch's order
  const SGDOptions all{
      .lr = 0.1, .momentum = 0.9, .dampening = 0.0, .weight_decay = 0.01, .nesterov = true, .maximize = true};
  CHECK(all.weight_decay == 0.01);
}

TEST_CASE("SGD refuses invalid options with a message naming the value and what is valid") {
  Tensor theta = parameter({1.0});
  CHECK_THROWS_AS(SGD({theta}, {.lr = -0.1}), xg::ValueError);
  CHECK_THROWS_WITH(SGD({theta}, {.lr = -0.1}),
                    Catch::Contains("SGD") && Catch::Contains("lr = -0.1") && Catch::Contains("lr >= 0"));
  CHECK_THROWS_WITH(SGD({theta}, {.lr = std::nan("")}), Catch::Contains("learning rate"));
  CHECK_THROWS_WITH(SGD({theta}, {.momentum = -0.5}),
                    Catch::Contains("momentum = -0.5") && Catch::Contains("momentum >= 0"));
  CHECK_THROWS_WITH(SGD({theta}, {.momentum = 0.9, .dampening = -1}),
                    Catch::Contains("dampening = -1") && Catch::Contains("dampening >= 0"));
  CHECK_THROWS_WITH(SGD({theta}, {.weight_decay = -0.01}),
                    Catch::Contains("weight_decay = -0.01") && Catch::Contains("weight_decay >= 0"));
  CHECK_THROWS_WITH(SGD({theta}, {.lr = 0.1, .nesterov = true}), Catch::Contains("nesterov") &&
                                                                     Catch::Contains("momentum = 0") &&
                                                                     Catch::Contains("momentum > 0 and dampening = 0"));
  CHECK_THROWS_WITH(SGD({theta}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                    Catch::Contains("nesterov") && Catch::Contains("dampening = 0.1"));
  // a valid lr of 0 and momentum of 0 are fine, as in torch
  CHECK_NOTHROW(SGD({theta}, {.lr = 0.0}));
}

TEST_CASE("SGD reads a gradient that is the parameter itself from a copy, as torch does") {
  // p.grad = p: torch computes p - lr * p = 0.9 p; an in-place loop over aliased pointers must too
  Tensor p = xg::tensor({1.0, -2.0, 4.0}, {.dtype = xg::float64, .requires_grad = true});
  p.mutable_grad() = p;
  xg::optim::SGD sgd({p}, {.lr = 0.1, .momentum = 0.5});
  sgd.step();
  const std::vector<double> after = p.to_vector();
  CHECK(after[0] == Approx(0.9));
  CHECK(after[1] == Approx(-1.8));
  CHECK(after[2] == Approx(3.6));
  p.mutable_grad() = Tensor();  // p.grad = p is a reference cycle (LeakSanitizer would report it)
}
