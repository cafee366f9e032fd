// Tests of autograd/ops/activation.cpp: forward values, torch's derivatives at the kinks, the
// saturated tails (no inf or NaN), gradcheck and gradgradcheck, and the errors on misuse.
#include <autograd/engine.hpp>
#include <autograd/error.hpp>
#include <autograd/format.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/random.hpp>
#include <autograd/tensor.hpp>
#include <autograd/testing.hpp>

#include <catch2/catch.hpp>
#include <support/tensors.hpp>

#include <cmath>
#include <functional>
#include <vector>

using namespace xg::test;

namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct ActivationCase {
  const char* name;
  std::function<Tensor(const Tensor&)> fn;
  Values kinks = {};  // points to stay away from
};

// Every activation, with default and non-default parameters; the piecewise ones are checked away
// from their kinks (where their second derivative is 0).
std::vector<ActivationCase> activation_cases() {
  return {
      {"tanh", [](const Tensor& x) { return xg::tanh(x); }},
      {"sigmoid", [](const Tensor& x) { return xg::sigmoid(x); }},
      {"relu", [](const Tensor& x) { return xg::relu(x); }, {0.0}},
      {"leaky_relu", [](const Tensor& x) { return xg::leaky_relu(x); }, {0.0}},
      {"leaky_relu(0.2)", [](const Tensor& x) { return xg::leaky_relu(x, 0.2); }, {0.0}},
      {"step", [](const Tensor& x) { return xg::step(x); }, {0.0}},
      {"step(at_zero 0.5)", [](const Tensor& x) { return xg::step(x, 0.5); }, {0.0}},
      {"softplus", [](const Tensor& x) { return xg::softplus(x); }},
      {"softplus(beta 2)", [](const Tensor& x) { return xg::softplus(x, 2.0); }},
      // linear above beta x = 1, i.e. x = 2 (a jump of log1p(e^-1) / beta there)
      {"softplus(beta 0.5, threshold 1)", [](const Tensor& x) { return xg::softplus(x * 3.0, 0.5, 1.0); }, {2.0 / 3}},
      {"Tensor::tanh", [](const Tensor& x) { return x.tanh(); }},
      {"Tensor::sigmoid", [](const Tensor& x) { return x.sigmoid(); }},
      {"Tensor::relu", [](const Tensor& x) { return x.relu(); }, {0.0}},
  };
}

}  // namespace

// ---- forward values ----

TEST_CASE("tanh and sigmoid compute their values") {
  CHECK_THAT(xg::tanh(vec({0, 1, -2})).to_vector(),
             Catch::Matchers::Approx(Values{0, 0.7615941559557649, -0.9640275800758169}));
  CHECK_THAT(xg::sigmoid(vec({0, 2, -1})).to_vector(),
             Catch::Matchers::Approx(Values{0.5, 0.8807970779778823, 0.2689414213699951}));
  CHECK_THAT(vec({0.5}).tanh().to_vector(), Catch::Matchers::Approx(Values{0.46211715726000974}));
  CHECK_THAT(vec({0.5}).sigmoid().to_vector(), Catch::Matchers::Approx(Values{0.6224593312018546}));
}

TEST_CASE("relu keeps positive values and zeroes the rest") {
  CHECK_THAT(xg::relu(vec({-1, 0, 2.5})).to_vector(), Catch::Matchers::Approx(Values{0, 0, 2.5}));
  CHECK_THAT(vec({-3, 4}).relu().to_vector(), Catch::Matchers::Approx(Values{0, 4}));
}

TEST_CASE("leaky_relu scales negative values by torch's default slope 0.01 or a given one") {
  CHECK_THAT(xg::leaky_relu(vec({-2, 0, 3})).to_vector(), Catch::Matchers::Approx(Values{-0.02, 0, 3}));
  CHECK_THAT(xg::leaky_relu(vec({-2, 0, 3}), 0.2).to_vector(), Catch::Matchers::Approx(Values{-0.4, 0, 3}));
}

TEST_CASE("step is 1 at and above 0 by default and 0 below") {
  CHECK_THAT(xg::step(vec({-1, -1e-300, 0, 1e-300, 2})).to_vector(), Catch::Matchers::Approx(Values{0, 0, 1, 1, 1}));
}

TEST_CASE("step takes its value at 0 from at_zero, as torch.heaviside") {
  CHECK_THAT(xg::step(vec({-1, 0, 2}), 0.5).to_vector(), Catch::Matchers::Approx(Values{0, 0.5, 1}));
  CHECK_THAT(xg::step(vec({-1, 0, 2}), 0.0).to_vector(), Catch::Matchers::Approx(Values{0, 0, 1}));
}

TEST_CASE("softplus computes log(1 + e^(beta x)) / beta") {
  CHECK_THAT(xg::softplus(vec({0, 1, -30})).to_vector(),
             Catch::Matchers::Approx(Values{M_LN2, 1.3132616875182228, 9.357622968839737e-14}));
  CHECK_THAT(xg::softplus(vec({1}), 2.0).to_vector(), Catch::Matchers::Approx(Values{1.0634640055214863}));
  CHECK_THAT(xg::softplus(vec({-1}), 0.5).to_vector(), Catch::Matchers::Approx(Values{2 * std::log1p(std::exp(-0.5))}));
}

TEST_CASE("softplus returns x itself where beta x exceeds the threshold, as torch") {
  // default threshold 20: above it log1p(e^x) == x to double precision anyway
  CHECK_THAT(xg::softplus(vec({25, 1000})).to_vector(), Catch::Matchers::Approx(Values{25, 1000}));
  // beta 2: 2 * 15 = 30 > 20
  CHECK(xg::softplus(vec({15}), 2.0).item() == 15);
  // a low threshold makes the switch visible: beta x = 1.5 > 1 gives x, beta x = 0.5 gives the log
  CHECK(xg::softplus(vec({3}), 0.5, 1.0).item() == 3);
  CHECK(xg::softplus(vec({1}), 0.5, 1.0).item() == Approx(2 * std::log1p(std::exp(0.5))));
}

TEST_CASE("activations keep float32 inputs float32") {
  Tensor x = vec({-1, 0.5}, xg::float32);
  for (const auto& c : activation_cases()) {
    INFO(c.name);
    CHECK(c.fn(x).dtype() == xg::float32);
  }
  CHECK_THAT(xg::sigmoid(x).to_vector(), Catch::Matchers::Approx(Values{0.2689414213699951, 0.6224593312018546}));
}

// ---- derivatives ----

TEST_CASE("tanh, sigmoid and softplus have their textbook derivatives at a point") {
  Tensor x = vec({1, -0.5});
  const double t1 = std::tanh(1.0), t2 = std::tanh(-0.5);
  CHECK_THAT(gradient(xg::tanh(x), x), Catch::Matchers::Approx(Values{1 - t1 * t1, 1 - t2 * t2}));
  CHECK_THAT(gradient(xg::sigmoid(x), x),
             Catch::Matchers::Approx(Values{sigmoid(1) * (1 - sigmoid(1)), sigmoid(-0.5) * (1 - sigmoid(-0.5))}));
  CHECK_THAT(gradient(xg::softplus(x), x), Catch::Matchers::Approx(Values{sigmoid(1), sigmoid(-0.5)}));
  // d softplus(x; beta)/dx = sigmoid(beta x)
  CHECK_THAT(gradient(xg::softplus(x, 2.0), x), Catch::Matchers::Approx(Values{0.8807970779778823, sigmoid(-1)}));
}

TEST_CASE("relu's derivative is 1 above 0 and 0 at and below 0, as torch") {
  Tensor x = vec({-1, 0, 2});
  CHECK_THAT(gradient(xg::relu(x), x), Catch::Matchers::Approx(Values{0, 0, 1}));
}

TEST_CASE("leaky_relu's derivative at 0 is the negative slope, as torch") {
  Tensor x = vec({-1, 0, 2});
  CHECK_THAT(gradient(xg::leaky_relu(x), x), Catch::Matchers::Approx(Values{0.01, 0.01, 1}));
  CHECK_THAT(gradient(xg::leaky_relu(x, 0.3), x), Catch::Matchers::Approx(Values{0.3, 0.3, 1}));
}

TEST_CASE("step's gradient is zero everywhere, 0 included") {
  Tensor x = vec({-1, 0, 2});
  CHECK_THAT(gradient(xg::step(x), x), Catch::Matchers::Approx(Values{0, 0, 0}));
  CHECK_THAT(gradient(xg::step(x, 0.5), x), Catch::Matchers::Approx(Values{0, 0, 0}));
}

TEST_CASE("softplus' derivative is 1 in its linear region") {
  Tensor x = vec({25, 15, 3});
  CHECK_THAT(gradient(xg::softplus(x), x), Catch::Matchers::Approx(Values{1, sigmoid(15), sigmoid(3)}));
  CHECK_THAT(gradient(xg::softplus(x, 0.5, 1.0), x), Catch::Matchers::Approx(Values{1, 1, 1}));
}

TEST_CASE("sigmoid, tanh and softplus saturate without inf or NaN in value or gradient") {
  for (xg::Dtype dtype : {xg::float64, xg::float32}) {
    DYNAMIC_SECTION(xg::dtype_name(dtype)) {
      Tensor x = vec({-1000, -100, 100, 1000}, dtype);
      CHECK_THAT(xg::sigmoid(x).to_vector(), Catch::Matchers::Approx(Values{0, 0, 1, 1}).margin(1e-30));
      CHECK_THAT(gradient(xg::sigmoid(x), x), Catch::Matchers::Approx(Values{0, 0, 0, 0}).margin(1e-30));
      CHECK_THAT(xg::tanh(x).to_vector(), Catch::Matchers::Approx(Values{-1, -1, 1, 1}));
      CHECK_THAT(gradient(xg::tanh(x), x), Catch::Matchers::Approx(Values{0, 0, 0, 0}).margin(1e-30));
      CHECK_THAT(xg::softplus(x).to_vector(), Catch::Matchers::Approx(Values{0, 0, 100, 1000}).margin(1e-30));
      CHECK_THAT(gradient(xg::softplus(x), x), Catch::Matchers::Approx(Values{0, 0, 1, 1}).margin(1e-30));
      CHECK(all_finite(xg::grad({xg::sigmoid(x)}, {x}, {xg::ones_like(x)}, {.create_graph = true})[0].to_vector()));
    }
  }
}

TEST_CASE("sigmoid's gradient at -1000 is 0, not NaN") {
  Tensor x = vec({-1000});
  xg::sigmoid(x).backward();
  CHECK(x.grad().item() == 0.0);
}

// ---- gradcheck and gradgradcheck ----

TEST_CASE("activations' backward matches central differences",
          "[op:tanh][op:sigmoid][op:relu][op:leaky_relu][op:step][op:softplus]") {
  check_each_case(activation_cases(), 51, Order::first, [](const ActivationCase& c) {
    return random_input({3, 4}, {.kinks = c.kinks});
  });
}

TEST_CASE("activations' second derivatives match central differences") {
  check_each_case(activation_cases(), 52, Order::second, [](const ActivationCase& c) {
    return random_input({2, 3}, {.kinks = c.kinks});
  });
}

TEST_CASE("activations' backward matches central differences on wide inputs") {
  // 3x: values up to about +-6, the tails of sigmoid and tanh; softplus(beta 4) switches to x at
  // 4 * 3x = 20, relu bends at 0, and both kinks are avoided
  xg::manual_seed(53);
  Tensor x = random_input({20}, {.kinks = {0.0, 5.0 / 3}});
  CHECK_THAT((std::vector<Tensor>{x}), PassesGradcheck([](const std::vector<Tensor>& in) {
               const Tensor wide = in[0] * 3.0;
               return xg::sigmoid(wide) + xg::tanh(wide) + xg::softplus(wide, 4.0) + xg::relu(wide);
             }));
}

TEST_CASE("a two-layer network of activations passes gradcheck and gradgradcheck") {
  xg::manual_seed(54);
  Tensor x = random_input({5});
  Tensor w = random_input({5});
  auto fn = [](const std::vector<Tensor>& in) {
    return xg::softplus(xg::tanh(in[0] * in[1]) * 2.0) + xg::sigmoid(in[0] - in[1]);
  };
  CHECK_DERIVATIVES((Inputs{x, w}), fn);
}

// ---- errors ----

TEST_CASE("activations on an int64 tensor throw DtypeError naming the op") {
  Tensor labels = xg::from_vector(std::vector<int64_t>{-1, 2}, {2});
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> ops = {
      {"tanh", [](const Tensor& x) { return xg::tanh(x); }},
      {"sigmoid", [](const Tensor& x) { return xg::sigmoid(x); }},
      {"relu", [](const Tensor& x) { return xg::relu(x); }},
      {"leaky_relu", [](const Tensor& x) { return xg::leaky_relu(x); }},
      {"step", [](const Tensor& x) { return xg::step(x); }},
      {"softplus", [](const Tensor& x) { return xg::softplus(x); }},
  };
  for (const auto& [name, fn] : ops) {
    DYNAMIC_SECTION(name) {
      CHECK_THROWS_AS(fn(labels), xg::DtypeError);
      CHECK_THROWS_WITH(fn(labels), Contains(name) && Contains("int64"));
    }
  }
}

TEST_CASE("softplus refuses beta 0") {
  CHECK_THROWS_AS(xg::softplus(vec({1}), 0.0), xg::ValueError);
  CHECK_THROWS_WITH(xg::softplus(vec({1}), 0.0), Contains("softplus") && Contains("beta"));
}

TEST_CASE("activations refuse an undefined tensor") {
  CHECK_THROWS_AS(xg::tanh(Tensor()), xg::ValueError);
  CHECK_THROWS_WITH(xg::relu(Tensor()), Contains("relu") && Contains("undefined"));
}
