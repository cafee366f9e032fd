// Tests of optim/adam: Adam, amsgrad and AdamW over several steps against torch's update formulas
// worked out in the test, the state they keep, and the option checks.
#include <optim/adam.hpp>

#include <autograd/error.hpp>
#include <autograd/tensor.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

using xg::Tensor;
using xg::optim::Adam;
using xg::optim::AdamOptions;
using xg::optim::AdamW;
using xg::optim::AdamWOptions;

namespace {

Tensor parameter(std::vector<double> values) {
  return xg::from_vector(values, {static_cast<int64_t>(values.size())}, {.dtype = xg::float64, .requires_grad = true});
}

// The gradient at `step` (from 0): large first, then small, so that amsgrad's running max of v
// differs from v once β2 lets v fall.
std::vector<double> gradient(size_t step) {
  const std::vector<std::vector<double>> grads = {
      {1.0, -2.0, 0.5, 0.0}, {0.1, -0.1, 0.4, 0.2}, {0.05, 0.3, -0.2, 0.2}, {-0.01, 0.02, 0.1, -0.3}};
  return grads[step];
}

// torch.optim.Adam / AdamW's update, element by element: m̂ = m/(1-β1ᵗ), v̂ = v/(1-β2ᵗ),
// θ -= lr·m̂/(√v̂ + eps), with amsgrad using the running max of v.
struct ReferenceAdam {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad, decoupled, maximize;
  std::vector<double> theta, m, v, v_max;
  int t = 0;

  void step(std::vector<double> g) {
    ++t;
    for (size_t k = 0; k < theta.size(); ++k) {
      if (maximize) g[k] = -g[k];
      if (decoupled)
        theta[k] *= 1 - lr * weight_decay;
      else
        g[k] += weight_decay * theta[k];
      m[k] = beta1 * m[k] + (1 - beta1) * g[k];
      v[k] = beta2 * v[k] + (1 - beta2) * g[k] * g[k];
      v_max[k] = std::max(v_max[k], v[k]);
      const double m_hat = m[k] / (1 - std::pow(beta1, t));
      const double v_hat = (amsgrad ? v_max[k] : v[k]) / (1 - std::pow(beta2, t));
      theta[k] -= lr * m_hat / (std::sqrt(v_hat) + eps);
    }
  }
};

ReferenceAdam reference(const std::vector<double>& theta, double lr, std::array<double, 2> betas, double eps,
                        double weight_decay, bool amsgrad, bool decoupled, bool maximize = false) {
  const std::vector<double> zeros(theta.size(), 0.0);
  return {lr, betas[0], betas[1], eps, weight_decay, amsgrad, decoupled, maximize, theta, zeros, zeros, zeros};
}

void check_close(const std::vector<double>& actual, const std::vector<double>& expected, size_t step) {
  REQUIRE(actual.size() == expected.size());
  for (size_t k = 0; k < actual.size(); ++k) {
    INFO("step " << step + 1 << ", element " << k);
    CHECK(actual[k] == Approx(expected[k]).epsilon(1e-12).margin(1e-15));
  }
}

const std::vector<double> kTheta0 = {1.0, -0.5, 2.0, 0.25};

}  // namespace

TEST_CASE("the first Adam step moves each element by lr against the sign of its gradient") {
  // m̂ = g and v̂ = g² at t = 1, so θ₁ = θ₀ - lr·g/(|g| + eps)
  Tensor theta = parameter({1.0, 1.0, 1.0});
  Adam adam({theta}, {.lr = 0.01});
  theta.mutable_grad() = xg::tensor({3.0, -0.2, 0.0}, {.dtype = xg::float64});
  adam.step();
  const std::vector<double> values = theta.to_vector();
  CHECK(values[0] == Approx(1.0 - 0.01 * 3.0 / (3.0 + 1e-8)).epsilon(1e-14));
  CHECK(values[1] == Approx(1.0 + 0.01 * 0.2 / (0.2 + 1e-8)).epsilon(1e-14));
  CHECK(values[2] == 1.0);
}

TEST_CASE("Adam follows the bias-corrected moment formulas over several steps") {
  struct Case {
    const char* name;
    AdamOptions options;
  };
  const std::vector<Case> cases = {
      {"defaults but lr", {.lr = 0.1}},
      {"betas (0.8, 0.5), eps 1e-3", {.lr = 0.05, .betas = {0.8, 0.5}, .eps = 1e-3}},
      {"weight_decay 0.1 through the gradient", {.lr = 0.1, .weight_decay = 0.1}},
      {"amsgrad, with a falling second moment", {.lr = 0.05, .betas = {0.9, 0.5}, .amsgrad = true}},
      {"maximize", {.lr = 0.1, .weight_decay = 0.1, .maximize = true}},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const AdamOptions& o = c.options;
      Tensor theta = parameter(kTheta0);
      Adam adam({theta}, o);
      ReferenceAdam expected = reference(kTheta0, o.lr, o.betas, o.eps, o.weight_decay, o.amsgrad, false, o.maximize);
      for (size_t step = 0; step < 4; ++step) {
        theta.mutable_grad() = xg::from_vector(gradient(step), {4}, {.dtype = xg::float64});
        adam.step();
        expected.step(gradient(step));
        check_close(theta.to_vector(), expected.theta, step);
        check_close(adam.state(0, 0).at("exp_avg").to_vector(), expected.m, step);
        check_close(adam.state(0, 0).at("exp_avg_sq").to_vector(), expected.v, step);
      }
      CHECK(adam.state(0, 0).at("step").item() == 4.0);
      CHECK(adam.state(0, 0).contains("max_exp_avg_sq") == o.amsgrad);
    }
  }
}

TEST_CASE("amsgrad keeps the running maximum of the raw second moment") {
  Tensor theta = parameter({1.0});
  Adam adam({theta}, {.lr = 0.05, .betas = {0.9, 0.5}, .amsgrad = true});
  theta.mutable_grad() = xg::tensor({1.0}, {.dtype = xg::float64});
  adam.step();  // v = 0.5
  theta.mutable_grad() = xg::tensor({0.1}, {.dtype = xg::float64});
  adam.step();  // v = 0.25 + 0.005, the max stays at 0.5
  CHECK(adam.state(0, 0).at("exp_avg_sq").item() == Approx(0.255).epsilon(1e-14));
  CHECK(adam.state(0, 0).at("max_exp_avg_sq").item() == Approx(0.5).epsilon(1e-14));
}

TEST_CASE("AdamW decays the weights directly instead of through the gradient") {
  struct Case {
    const char* name;
    AdamWOptions options;
  };
  const std::vector<Case> cases = {
      {"default weight_decay 1e-2", {.lr = 0.1}},
      {"weight_decay 0.5", {.lr = 0.05, .weight_decay = 0.5}},
      {"amsgrad", {.lr = 0.05, .betas = {0.9, 0.5}, .weight_decay = 0.1, .amsgrad = true}},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const AdamWOptions& o = c.options;
      Tensor theta = parameter(kTheta0);
      AdamW adamw({theta}, o);
      ReferenceAdam expected = reference(kTheta0, o.lr, o.betas, o.eps, o.weight_decay, o.amsgrad, true);
      for (size_t step = 0; step < 4; ++step) {
        theta.mutable_grad() = xg::from_vector(gradient(step), {4}, {.dtype = xg::float64});
        adamw.step();
        expected.step(gradient(step));
        check_close(theta.to_vector(), expected.theta, step);
      }
    }
  }
}

TEST_CASE("AdamW and Adam with the same weight_decay differ, and agree without it") {
  Tensor a = parameter({1.0});
  Tensor b = parameter({1.0});
  Adam adam({a}, {.lr = 0.1, .weight_decay = 0.5});
  AdamW adamw({b}, {.lr = 0.1, .weight_decay = 0.5});
  a.mutable_grad() = xg::tensor({0.5}, {.dtype = xg::float64});
  b.mutable_grad() = xg::tensor({0.5}, {.dtype = xg::float64});
  adam.step();
  adamw.step();
  CHECK(a.item() == Approx(0.9).epsilon(1e-8));         // g = 0.5 + 0.5·1, normalised to 1 (up to eps)
  CHECK(b.item() == Approx(0.95 - 0.1).epsilon(1e-8));  // θ·(1 - 0.05), then the unit step

  Tensor c = parameter({1.0});
  Tensor d = parameter({1.0});
  Adam plain({c}, {.lr = 0.1});
  AdamW no_decay({d}, {.lr = 0.1, .weight_decay = 0.0});
  for (double g : {0.5, -0.3, 0.8}) {
    c.mutable_grad() = xg::tensor({g}, {.dtype = xg::float64});
    d.mutable_grad() = xg::tensor({g}, {.dtype = xg::float64});
    plain.step();
    no_decay.step();
  }
  CHECK(c.item() == d.item());
}

TEST_CASE("Adam updates float32 parameters in float32 and counts steps per parameter") {
  Tensor w = xg::tensor({1.0, 2.0}, {.dtype = xg::float32, .requires_grad = true});
  Tensor skipped = xg::tensor({1.0}, {.dtype = xg::float32, .requires_grad = true});
  Adam adam({w, skipped}, {.lr = 0.1});
  for (int step = 0; step < 3; ++step) {
    w.mutable_grad() = xg::full({2}, 0.5, xg::float32);
    adam.step();
  }
  CHECK(w.dtype() == xg::float32);
  CHECK(adam.state(0, 0).at("exp_avg").dtype() == xg::float32);
  // a constant gradient gives m̂/√v̂ = 1 every step
  CHECK(w.to_vector()[0] == Approx(0.7).epsilon(1e-5));
  CHECK(adam.state(0, 0).at("step").dtype() == xg::float64);
  CHECK(adam.state(0, 0).at("step").shape().empty());
  CHECK(adam.state(0, 0).at("step").item() == 3.0);
  CHECK(adam.state(0, 1).empty());
}

TEST_CASE("Adam and AdamW options default to torch's") {
  const AdamOptions adam;
  CHECK(adam.lr == 1e-3);
  CHECK(adam.betas[0] == 0.9);
  CHECK(adam.betas[1] == 0.999);
  CHECK(adam.eps == 1e-8);
  CHECK(adam.weight_decay == 0.0);
  CHECK_FALSE(adam.amsgrad);
  const AdamWOptions adamw;
  CHECK(adamw.weight_decay == 1e-2);
  // designated initialisers must follow declaration order: this compiles only in torch's order
  const AdamWOptions ordered{.lr = 0.1, .betas = {0.8, 0.9}, .eps = 1e-6, .weight_decay = 0.0, .amsgrad = true};
  CHECK(ordered.amsgrad);
}

TEST_CASE("Adam and AdamW refuse invalid options with a message naming the value and what is valid") {
  Tensor theta = parameter({1.0});
  CHECK_THROWS_AS(Adam({theta}, {.lr = -1.0}), xg::ValueError);
  CHECK_THROWS_WITH(Adam({theta}, {.lr = -1.0}), Catch::Contains("Adam") && Catch::Contains("lr = -1"));
  CHECK_THROWS_WITH(Adam({theta}, {.betas = {1.0, 0.999}}), Catch::Contains("index 0") &&
                                                                Catch::Contains("betas[0] = 1") &&
                                                                Catch::Contains("0 <= betas[0] < 1"));
  CHECK_THROWS_WITH(Adam({theta}, {.betas = {0.9, -0.1}}),
                    Catch::Contains("index 1") && Catch::Contains("betas[1] = -0.1"));
  CHECK_THROWS_WITH(Adam({theta}, {.eps = -1e-8}), Catch::Contains("eps = -1e-08") && Catch::Contains("eps >= 0"));
  CHECK_THROWS_WITH(Adam({theta}, {.weight_decay = -0.1}),
                    Catch::Contains("weight_decay = -0.1") && Catch::Contains("weight_decay >= 0"));
  CHECK_THROWS_WITH(AdamW({theta}, {.lr = -1.0}), Catch::Contains("AdamW") && Catch::Contains("lr >= 0"));
  CHECK_THROWS_WITH(AdamW({theta}, {.betas = {0.9, 1.0}}), Catch::Contains("AdamW") && Catch::Contains("betas[1] = 1"));
  CHECK_NOTHROW(Adam({theta}, {.betas = {0.0, 0.0}, .eps = 0.0}));
}
