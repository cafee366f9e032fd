// Tests of autograd/ops/elementwise.cpp: forward values, gradients against central differences,
// second derivatives, broadcasting, the torch subgradients at kinks, and the errors on misuse.
#include <autograd/engine.hpp>
#include <autograd/error.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/random.hpp>
#include <autograd/tensor.hpp>
#include <autograd/testing.hpp>

#include <catch2/catch.hpp>
#include <support/elementwise_cases.hpp>
#include <support/tensors.hpp>

#include <cmath>
#include <functional>
#include <utility>
#include <vector>

using namespace xg::test;

namespace {

constexpr double kPi = 3.14159265358979323846;

// ---- the op table ----

// Every unary element-wise math op, and clone, with the inputs where it is differentiable.
std::vector<UnaryCase> elementwise_cases() {
  return {
      {"exp", [](const Tensor& x) { return xg::exp(x); }},
      {"log", [](const Tensor& x) { return xg::log(x); }, Domain::positive},
      {"sqrt", [](const Tensor& x) { return xg::sqrt(x); }, Domain::positive},
      {"abs", [](const Tensor& x) { return xg::abs(x); }, Domain::real, {0.0}},
      {"sin", [](const Tensor& x) { return xg::sin(x); }},
      {"cos", [](const Tensor& x) { return xg::cos(x); }},
      {"sign", [](const Tensor& x) { return xg::sign(x); }, Domain::real, {0.0}},
      {"clamp(-0.5, 0.8)", [](const Tensor& x) { return xg::clamp(x, -0.5, 0.8); }, Domain::real, {-0.5, 0.8}},
      {"clamp(min 0.2)", [](const Tensor& x) { return xg::clamp(x, 0.2, std::nullopt); }, Domain::real, {0.2}},
      {"clamp(max -0.3)", [](const Tensor& x) { return xg::clamp(x, std::nullopt, -0.3); }, Domain::real, {-0.3}},
      {"clone", [](const Tensor& x) { return x.clone(); }},
  };
}

}  // namespace

// ---- forward values ----

TEST_CASE("unary element-wise ops compute their values element by element") {
  CHECK_THAT(xg::neg(vec({1, -2, 0})).to_vector(), Catch::Matchers::Approx(Values{-1, 2, 0}));
  CHECK_THAT((-vec({1, -2})).to_vector(), Catch::Matchers::Approx(Values{-1, 2}));
  CHECK_THAT(xg::exp(vec({0, 1, -1})).to_vector(), Catch::Matchers::Approx(Values{1, M_E, 1 / M_E}));
  CHECK_THAT(xg::log(vec({1, M_E, 0.5})).to_vector(), Catch::Matchers::Approx(Values{0, 1, -M_LN2}));
  CHECK_THAT(xg::sqrt(vec({4, 9, 2})).to_vector(), Catch::Matchers::Approx(Values{2, 3, M_SQRT2}));
  CHECK_THAT(xg::abs(vec({-2, 0, 3})).to_vector(), Catch::Matchers::Approx(Values{2, 0, 3}));
  CHECK_THAT(xg::sin(vec({0, kPi / 2, kPi / 6})).to_vector(), Catch::Matchers::Approx(Values{0, 1, 0.5}));
  CHECK_THAT(xg::cos(vec({0, kPi, kPi / 3})).to_vector(), Catch::Matchers::Approx(Values{1, -1, 0.5}));
  CHECK_THAT(xg::sign(vec({-3, 0, 0.2})).to_vector(), Catch::Matchers::Approx(Values{-1, 0, 1}));
}

TEST_CASE("clamp limits values to the closed interval, with either bound optional") {
  Tensor x = vec({-2, -0.5, 0.5, 1, 3});
  CHECK_THAT(xg::clamp(x, 0.0, 1.0).to_vector(), Catch::Matchers::Approx(Values{0, 0, 0.5, 1, 1}));
  CHECK_THAT(xg::clamp(x, 0.0, std::nullopt).to_vector(), Catch::Matchers::Approx(Values{0, 0, 0.5, 1, 3}));
  CHECK_THAT(xg::clamp(x, std::nullopt, 0.0).to_vector(), Catch::Matchers::Approx(Values{-2, -0.5, 0, 0, 0}));
  CHECK_THAT(x.clamp(-1.0, 2.0).to_vector(), Catch::Matchers::Approx(Values{-1, -0.5, 0.5, 1, 2}));
  CHECK_THAT(xg::clamp(x, std::nullopt, std::nullopt).to_vector(),
             Catch::Matchers::Approx(Values{-2, -0.5, 0.5, 1, 3}));
}

TEST_CASE("where picks from a where the condition is true and from b elsewhere, broadcasting all three") {
  Tensor condition = xg::tensor({1, 0, 2}, {.dtype = xg::boolean});
  CHECK_THAT(xg::where(condition, vec({1, 2, 3}), vec({10, 20, 30})).to_vector(),
             Catch::Matchers::Approx(Values{1, 20, 3}));
  Tensor int_condition = xg::from_vector(std::vector<int64_t>{0, 1}, {2, 1}) > 0;
  Tensor picked = xg::where(int_condition, vec({1, 2, 3}), xg::scalar_tensor(-1, {.dtype = xg::float64}));
  CHECK(picked.shape() == Shape{2, 3});
  CHECK_THAT(picked.to_vector(), Catch::Matchers::Approx(Values{-1, -1, -1, 1, 2, 3}));
}

TEST_CASE("where over operands of different ranks takes every element from the right side") {
  // graph_fuzz seed 6379: xt::where itself took the last element from b here
  Tensor condition = xg::from_vector({1, 0, 0, 1, 1, 0, 0, 0, 1}, {1, 3, 3}, {.dtype = xg::boolean});
  Tensor a = xg::from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3}, {.dtype = xg::float64, .requires_grad = true});
  Tensor b =
      xg::from_vector({-1, -2, -3, -4, -5, -6, -7, -8, -9}, {1, 3, 3}, {.dtype = xg::float64, .requires_grad = true});
  Tensor out = xg::where(condition, a, b);
  CHECK(out.shape() == Shape{1, 3, 3});
  CHECK(out.to_vector() == Values{1, -2, -3, 4, 5, -6, -7, -8, 9});
  out.sum().backward();
  CHECK(a.grad().to_vector() == Values{1, 0, 0, 1, 1, 0, 0, 0, 1});
  CHECK(b.grad().to_vector() == Values{0, 1, 1, 0, 0, 1, 1, 1, 0});
  CHECK_DERIVATIVES((std::vector<Tensor>{a, b}),
                    [&](const std::vector<Tensor>& in) { return xg::where(condition, in[0], in[1]); });
}

// ---- gradients by hand ----

TEST_CASE("unary ops have the textbook gradients at a point") {
  Tensor x = vec({0.5, 2});
  CHECK_THAT(gradient(xg::exp(x), x), Catch::Matchers::Approx(Values{std::exp(0.5), std::exp(2.0)}));
  CHECK_THAT(gradient(xg::log(x), x), Catch::Matchers::Approx(Values{2, 0.5}));
  CHECK_THAT(gradient(xg::sqrt(x), x), Catch::Matchers::Approx(Values{1 / (2 * std::sqrt(0.5)), 1 / (2 * M_SQRT2)}));
  CHECK_THAT(gradient(xg::sin(x), x), Catch::Matchers::Approx(Values{std::cos(0.5), std::cos(2.0)}));
  CHECK_THAT(gradient(xg::cos(x), x), Catch::Matchers::Approx(Values{-std::sin(0.5), -std::sin(2.0)}));
  CHECK_THAT(gradient(xg::neg(x), x), Catch::Matchers::Approx(Values{-1, -1}));
  CHECK_THAT(gradient(xg::pow(x, 3.0), x), Catch::Matchers::Approx(Values{0.75, 12}));
  CHECK_THAT(gradient(xg::pow(2.0, x), x), Catch::Matchers::Approx(Values{std::pow(2.0, 0.5) * M_LN2, 4 * M_LN2}));
  CHECK_THAT(gradient(2.0 - x, x), Catch::Matchers::Approx(Values{-1, -1}));
  CHECK_THAT(gradient(2.0 / x, x), Catch::Matchers::Approx(Values{-8, -0.5}));
  CHECK_THAT(gradient(x / 2.0, x), Catch::Matchers::Approx(Values{0.5, 0.5}));
}

TEST_CASE("abs has gradient 0 at 0, as torch") {
  Tensor x = vec({-1.5, 0, 2});
  CHECK_THAT(gradient(xg::abs(x), x), Catch::Matchers::Approx(Values{-1, 0, 1}));
}

TEST_CASE("sign has a zero gradient everywhere") {
  Tensor x = vec({-1.5, 0, 2});
  CHECK_THAT(gradient(xg::sign(x), x), Catch::Matchers::Approx(Values{0, 0, 0}));
}

TEST_CASE("clamp passes the gradient inside the closed interval, bounds included, and blocks it outside") {
  Tensor x = vec({-1, 0, 0.5, 1, 2});
  CHECK_THAT(gradient(xg::clamp(x, 0.0, 1.0), x), Catch::Matchers::Approx(Values{0, 1, 1, 1, 0}));
  CHECK_THAT(gradient(xg::clamp(x, 0.5, std::nullopt), x), Catch::Matchers::Approx(Values{0, 0, 1, 1, 1}));
  CHECK_THAT(gradient(xg::clamp(x, std::nullopt, 0.0), x), Catch::Matchers::Approx(Values{1, 1, 0, 0, 0}));
}

TEST_CASE("where routes the gradient to the branch each element was taken from") {
  Tensor condition = xg::tensor({1, 0, 1}, {.dtype = xg::boolean});
  Tensor a = vec({1, 2, 3});
  Tensor b = vec({4, 5, 6});
  const std::vector<Tensor> grads =
      xg::grad({xg::where(condition, a, b)}, {a, b}, {vec({7, 8, 9}, xg::float64, false)});
  CHECK_THAT(grads[0].to_vector(), Catch::Matchers::Approx(Values{7, 0, 9}));
  CHECK_THAT(grads[1].to_vector(), Catch::Matchers::Approx(Values{0, 8, 0}));
}

// ---- gradcheck and gradgradcheck ----

TEST_CASE("unary element-wise ops' backward matches central differences",
          "[op:exp][op:log][op:sqrt][op:abs][op:sin][op:cos][op:sign][op:clamp][op:clone]") {
  check_unary_cases(elementwise_cases(), Order::first);
}

TEST_CASE("unary element-wise ops' second derivatives match central differences") {
  // the piecewise ops (abs, sign, clamp) are checked away from their kinks, where f'' = 0
  check_unary_cases(elementwise_cases(), Order::second);
}

TEST_CASE("where's backward matches central differences, broadcasting and second order included", "[op:where]") {
  xg::manual_seed(31);
  Tensor condition = xg::from_vector(Values{1, 0, 0, 1}, {4, 1}, {.dtype = xg::boolean});
  Tensor a = random_input({4, 3});
  Tensor b = random_input({3});
  auto fn = [condition](const std::vector<Tensor>& in) { return xg::where(condition, in[0], in[1]); };
  CHECK_DERIVATIVES((Inputs{a, b}), fn);
}

TEST_CASE("composite element-wise expressions' backward matches central differences") {
  xg::manual_seed(32);
  Tensor x = random_input({3});
  Tensor y = positive_input({3});
  auto fn = [](const std::vector<Tensor>& in) {
    return xg::sin(in[0] * in[1]) / (1.0 + xg::exp(-in[0])) - xg::log(in[1]) * xg::sqrt(in[1]);
  };
  CHECK_DERIVATIVES((Inputs{x, y}), fn);
}

// ---- errors ----

TEST_CASE("where names itself and the shapes when they cannot broadcast") {
  Tensor condition = xg::ones({2}, xg::boolean);
  CHECK_THROWS_AS(xg::where(condition, xg::ones({3}, xg::float64), xg::ones({3}, xg::float64)), xg::ShapeError);
  CHECK_THROWS_WITH(xg::where(xg::ones({3}, xg::boolean), xg::ones({3}, xg::float64), xg::ones({2, 4}, xg::float64)),
                    Contains("where") && Contains("[2, 4]"));
}

TEST_CASE("where takes a bool condition only, as torch") {
  // torch: "where expected condition to be a boolean tensor, but got a tensor with dtype Float"
  CHECK_THROWS_AS(xg::where(xg::ones({3}, xg::float64), vec({1, 2, 3}), vec({1, 2, 3})), xg::DtypeError);
  CHECK_THROWS_WITH(xg::where(xg::ones({3}, xg::int64), vec({1, 2, 3}), vec({1, 2, 3})),
                    Contains("where") && Contains("bool") && Contains("int64"));
}

TEST_CASE("element-wise math on an int64 tensor throws DtypeError naming the op (division promotes: arithmetic_test)") {
  Tensor labels = xg::from_vector(std::vector<int64_t>{1, 2}, {2});
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> ops = {
      {"exp", [](const Tensor& x) { return xg::exp(x); }},
      {"log", [](const Tensor& x) { return xg::log(x); }},
      {"sqrt", [](const Tensor& x) { return xg::sqrt(x); }},
      {"sin", [](const Tensor& x) { return xg::sin(x); }},
      {"cos", [](const Tensor& x) { return xg::cos(x); }},
      {"pow", [](const Tensor& x) { return xg::pow(x, 2.0); }},
      {"clamp", [](const Tensor& x) { return xg::clamp(x, 0.0, 1.0); }},
  };
  for (const auto& [name, fn] : ops) {
    DYNAMIC_SECTION(name) {
      CHECK_THROWS_AS(fn(labels), xg::DtypeError);
      CHECK_THROWS_WITH(fn(labels), Contains(name) && Contains("int64"));
    }
  }
}

TEST_CASE("clamp with min greater than max throws ValueError naming both bounds") {
  CHECK_THROWS_AS(xg::clamp(vec({1}), 2.0, 1.0), xg::ValueError);
  CHECK_THROWS_WITH(xg::clamp(vec({1}), 2.0, 1.0), Contains("clamp") && Contains("min 2") && Contains("max 1"));
}

TEST_CASE("where takes a condition made from a tensor that requires grad and sends it no gradient") {
  Tensor x = vec({1, -1});  // requires grad
  Tensor a = vec({1, 2});
  Tensor b = vec({3, 4});
  Tensor condition = x > 0;
  CHECK_FALSE(condition.requires_grad());  // as torch: a comparison has no history
  Tensor out = xg::where(condition, a, b);
  CHECK(out.to_vector() == std::vector<double>{1, 4});
  out.sum().backward();
  CHECK(a.grad().to_vector() == std::vector<double>{1, 0});
  CHECK(b.grad().to_vector() == std::vector<double>{0, 1});
  CHECK_FALSE(x.grad().defined());  // the condition only selects: nothing flows back to it
}

TEST_CASE("element-wise ops refuse an undefined tensor") {
  CHECK_THROWS_AS(xg::exp(Tensor()), xg::ValueError);
  CHECK_THROWS_WITH(xg::add(Tensor(), vec({1})), Contains("add") && Contains("undefined"));
}

TEST_CASE("masked_fill puts the value where the mask is true and sends the gradient elsewhere", "[op:masked_fill]") {
  // torch.ones(2, 3).masked_fill(m, 7.) with m = [[T, F, T], [F, F, T]]
  const Tensor m = xg::from_vector({1, 0, 1, 0, 0, 1}, {2, 3}, {.dtype = xg::boolean});
  Tensor x = xg::ones({2, 3}, {.dtype = xg::float64, .requires_grad = true});
  Tensor y = xg::masked_fill(x, m, 7.0);
  CHECK(y.to_vector() == Values{7, 1, 7, 1, 1, 7});
  (y * 2.0).sum().backward();
  CHECK(x.grad().to_vector() == Values{0, 2, 0, 2, 2, 0});
  // the mask and the tensor broadcast together, as torch's out-of-place masked_fill
  CHECK(xg::masked_fill(vec({1, 2, 3}), m, 0.0).shape() == Shape{2, 3});
  CHECK_DERIVATIVES((Inputs{random_input({2, 3})}),
                    [&](const std::vector<Tensor>& in) { return xg::masked_fill(in[0], m, -1.5); });
  // in place, through the same rule
  Tensor z = xg::ones({2, 3}, xg::float64);
  z.masked_fill_(m, 7.0);
  CHECK(z.to_vector() == Values{7, 1, 7, 1, 1, 7});
  // a mask must be bool (torch 1.13 takes a float mask and ignores it; xgrad refuses)
  CHECK_THROWS_AS(xg::masked_fill(x, xg::ones({2, 3}, xg::float64), 1.0), xg::DtypeError);
  CHECK_THROWS_WITH(z.masked_fill_(xg::ones({3}, xg::float64), 1.0), Contains("masked_fill_") && Contains("bool"));
}
