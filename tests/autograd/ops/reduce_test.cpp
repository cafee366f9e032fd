// Tests of autograd/ops/reduce.cpp: sum, mean, max, min, argmax and argmin over all elements and
// along an axis (negative axes, keepdim), torch's gradients at ties, gradcheck and gradgradcheck,
// and the errors on misuse.
#include <autograd/engine.hpp>
#include <autograd/error.hpp>
#include <autograd/format.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/random.hpp>
#include <autograd/tensor.hpp>
#include <autograd/testing.hpp>

#include <catch2/catch.hpp>
#include <support/tensors.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

using namespace xg::test;

namespace {

// [[1, 2, 3], [4, 5, 6]]
Tensor matrix() { return values_of({1, 2, 3, 4, 5, 6}, {2, 3}); }

struct ReductionCase {
  std::string name;
  std::function<Tensor(const Tensor&)> fn;
};

// Every differentiable reduction over all elements and along each axis of a [2, 3, 4] tensor,
// with and without keepdim, negative axes included.
std::vector<ReductionCase> reduction_cases() {
  using Axis = Tensor (*)(const Tensor&, int64_t, bool);
  using All = Tensor (*)(const Tensor&);
  const std::vector<std::tuple<const char*, All, Axis>> ops = {
      {"sum", [](const Tensor& x) { return xg::sum(x); },
       [](const Tensor& x, int64_t a, bool k) { return xg::sum(x, a, k); }},
      {"mean", [](const Tensor& x) { return xg::mean(x); },
       [](const Tensor& x, int64_t a, bool k) { return xg::mean(x, a, k); }},
      {"max", [](const Tensor& x) { return xg::max(x); },
       [](const Tensor& x, int64_t a, bool k) { return xg::max(x, a, k); }},
      {"min", [](const Tensor& x) { return xg::min(x); },
       [](const Tensor& x, int64_t a, bool k) { return xg::min(x, a, k); }},
  };
  std::vector<ReductionCase> cases;
  for (const auto& [name, all, along] : ops) {
    cases.push_back({std::string(name) + "()", all});
    for (int64_t axis : {0, 1, 2, -1, -3}) {
      for (bool keepdim : {false, true}) {
        cases.push_back({fmt::format("{}(axis {}, keepdim {})", name, axis, keepdim),
                         [along = along, axis, keepdim](const Tensor& x) { return along(x, axis, keepdim); }});
      }
    }
  }
  return cases;
}

}  // namespace

// ---- forward values ----

TEST_CASE("reductions over all elements give 0-d tensors") {
  Tensor x = matrix();
  for (const Tensor& y : {xg::sum(x), xg::mean(x), xg::max(x), xg::min(x)}) CHECK(y.shape() == Shape{});
  CHECK(xg::sum(x).item() == 21);
  CHECK(xg::mean(x).item() == 3.5);
  CHECK(xg::max(x).item() == 6);
  CHECK(xg::min(x).item() == 1);
  CHECK(x.sum().item() == 21);
  CHECK(x.mean().item() == 3.5);
  CHECK(x.max().item() == 6);
  CHECK(x.min().item() == 1);
}

TEST_CASE("sum along an axis drops it, or keeps it with size 1") {
  Tensor x = matrix();
  CHECK(xg::sum(x, 0).shape() == Shape{3});
  CHECK_THAT(xg::sum(x, 0).to_vector(), Catch::Matchers::Approx(Values{5, 7, 9}));
  CHECK(xg::sum(x, 1).shape() == Shape{2});
  CHECK_THAT(xg::sum(x, 1).to_vector(), Catch::Matchers::Approx(Values{6, 15}));
  CHECK(xg::sum(x, 0, true).shape() == Shape{1, 3});
  CHECK_THAT(xg::sum(x, 0, true).to_vector(), Catch::Matchers::Approx(Values{5, 7, 9}));
  CHECK(xg::sum(x, 1, true).shape() == Shape{2, 1});
  CHECK_THAT(x.sum(1, true).to_vector(), Catch::Matchers::Approx(Values{6, 15}));
}

TEST_CASE("negative axes count from the end") {
  Tensor x = matrix();
  CHECK_THAT(xg::sum(x, -1).to_vector(), Catch::Matchers::Approx(Values{6, 15}));
  CHECK_THAT(xg::sum(x, -2).to_vector(), Catch::Matchers::Approx(Values{5, 7, 9}));
  CHECK_THAT(xg::mean(x, -1).to_vector(), Catch::Matchers::Approx(Values{2, 5}));
  CHECK_THAT(xg::max(x, -2).to_vector(), Catch::Matchers::Approx(Values{4, 5, 6}));
  CHECK_THAT(xg::min(x, -1, true).to_vector(), Catch::Matchers::Approx(Values{1, 4}));
  CHECK(xg::min(x, -1, true).shape() == Shape{2, 1});
  CHECK(xg::argmax(x, -1).to_vector() == Values{2, 2});
}

TEST_CASE("mean along an axis divides by that axis' size") {
  Tensor x = matrix();
  CHECK_THAT(xg::mean(x, 0).to_vector(), Catch::Matchers::Approx(Values{2.5, 3.5, 4.5}));
  CHECK_THAT(xg::mean(x, 1).to_vector(), Catch::Matchers::Approx(Values{2, 5}));
  CHECK(xg::mean(x, 1, true).shape() == Shape{2, 1});
  CHECK_THAT(x.mean(0, true).to_vector(), Catch::Matchers::Approx(Values{2.5, 3.5, 4.5}));
}

TEST_CASE("max and min along an axis take each slice's extremum") {
  Tensor x = values_of({3, -1, 7, 0, 8, 2}, {2, 3});
  CHECK_THAT(xg::max(x, 0).to_vector(), Catch::Matchers::Approx(Values{3, 8, 7}));
  CHECK_THAT(xg::max(x, 1).to_vector(), Catch::Matchers::Approx(Values{7, 8}));
  CHECK_THAT(xg::min(x, 0).to_vector(), Catch::Matchers::Approx(Values{0, -1, 2}));
  CHECK_THAT(xg::min(x, 1).to_vector(), Catch::Matchers::Approx(Values{-1, 0}));
  CHECK(x.max(1, true).shape() == Shape{2, 1});
  CHECK_THAT(x.min(0, true).to_vector(), Catch::Matchers::Approx(Values{0, -1, 2}));
}

TEST_CASE("reductions along the middle axis of a 3-d tensor reduce only that axis") {
  // x[i][j][k] = 100 i + 10 j + k
  Values v;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) v.push_back(100 * i + 10 * j + k);
  Tensor x = values_of(v, {2, 3, 4});
  CHECK(xg::sum(x, 1).shape() == Shape{2, 4});
  CHECK(xg::sum(x, 1, true).shape() == Shape{2, 1, 4});
  CHECK_THAT(xg::sum(x, 1).to_vector(), Catch::Matchers::Approx(Values{30, 33, 36, 39, 330, 333, 336, 339}));
  CHECK_THAT(xg::mean(x, 1).to_vector(), Catch::Matchers::Approx(Values{10, 11, 12, 13, 110, 111, 112, 113}));
  CHECK_THAT(xg::max(x, 1).to_vector(), Catch::Matchers::Approx(Values{20, 21, 22, 23, 120, 121, 122, 123}));
  CHECK_THAT(xg::min(x, -2, true).to_vector(), Catch::Matchers::Approx(Values{0, 1, 2, 3, 100, 101, 102, 103}));
  CHECK(xg::argmax(x, 1).to_vector() == Values(8, 2));
  CHECK(xg::argmin(x, 0, true).shape() == Shape{1, 3, 4});
}

TEST_CASE("argmax and argmin give int64 indices of the first extremum, as torch", "[op:argmax][op:argmin]") {
  Tensor x = values_of({1, 3, 3, 0, 5, 5, 0, 2}, {2, 4}, xg::float64, false);
  Tensor i = xg::argmax(x, 1);
  CHECK(i.dtype() == xg::int64);
  CHECK(i.shape() == Shape{2});
  CHECK(i.to_vector() == Values{1, 0});
  CHECK(xg::argmin(x, 1).to_vector() == Values{3, 2});
  // columns (1, 5), (3, 5), (3, 0), (0, 2)
  CHECK(xg::argmax(x, 0).to_vector() == Values{1, 1, 0, 1});
  CHECK(xg::argmin(x, 0).to_vector() == Values{0, 0, 1, 0});
  CHECK(xg::argmax(x, 1, true).shape() == Shape{2, 1});
  CHECK(xg::argmax(x, -1, true).to_vector() == Values{1, 0});
}

TEST_CASE("argmax does not record a graph") {
  Tensor x = matrix();
  Tensor i = xg::argmax(x, 0);
  CHECK_FALSE(i.requires_grad());
  CHECK(i.grad_fn() == nullptr);
}

TEST_CASE("reductions of a 0-d tensor treat it as one element, axis 0 or -1 included") {
  Tensor s = xg::scalar_tensor(2.5, {.dtype = xg::float64, .requires_grad = true});
  CHECK(xg::sum(s).item() == 2.5);
  CHECK(xg::sum(s, 0).item() == 2.5);
  CHECK(xg::sum(s, 0).shape() == Shape{});
  CHECK(xg::mean(s, -1, true).item() == 2.5);
  CHECK(xg::max(s, 0).item() == 2.5);
  CHECK(xg::min(s).item() == 2.5);
  CHECK(xg::argmax(s, 0).item() == 0);
  CHECK(gradient_tensor(xg::max(s, 0), s).item() == 1);
  CHECK(gradient_tensor(xg::mean(s, 0), s).item() == 1);
}

TEST_CASE("sum and max of an int64 tensor stay int64, as torch") {
  Tensor labels = xg::from_vector(std::vector<int64_t>{3, 1, 4, 1, 5, 9}, {2, 3});
  CHECK(xg::sum(labels).dtype() == xg::int64);
  CHECK(xg::sum(labels).item() == 23);
  CHECK(xg::sum(labels, 0).to_vector() == Values{4, 6, 13});
  CHECK(xg::max(labels).item() == 9);
  CHECK(xg::min(labels, 1).to_vector() == Values{1, 1});
  CHECK(xg::argmax(labels, 1).to_vector() == Values{2, 2});
}

TEST_CASE("sum of an empty tensor is 0 and its mean is NaN, as torch") {
  Tensor empty = xg::zeros({0}, xg::float64);
  CHECK(xg::sum(empty).item() == 0);
  CHECK(std::isnan(xg::mean(empty).item()));
  Tensor rows = xg::zeros({0, 3}, xg::float64);
  CHECK(xg::sum(rows, 0).to_vector() == Values{0, 0, 0});
  CHECK(xg::sum(rows, 1).shape() == Shape{0});
}

TEST_CASE("max along a non-empty axis of an empty tensor gives an empty result, as torch") {
  Tensor rows = xg::zeros({0, 3}, xg::float64);
  CHECK(xg::max(rows, 1).shape() == Shape{0});
  CHECK(xg::min(rows, 1, true).shape() == Shape{0, 1});
  CHECK(xg::argmax(rows, 1).shape() == Shape{0});
}

// ---- gradients by hand ----

TEST_CASE("sum's gradient is 1 for every element and mean's is 1 / n") {
  Tensor x = matrix();
  CHECK_THAT(gradient(xg::sum(x), x), Catch::Matchers::Approx(Values(6, 1.0)));
  CHECK_THAT(gradient(xg::mean(x), x), Catch::Matchers::Approx(Values(6, 1.0 / 6)));
  CHECK_THAT(gradient(xg::mean(x, 0), x), Catch::Matchers::Approx(Values(6, 0.5)));
  CHECK_THAT(gradient(xg::mean(x, 1, true), x), Catch::Matchers::Approx(Values(6, 1.0 / 3)));
  CHECK(gradient_tensor(xg::sum(x, 1), x).shape() == Shape{2, 3});
}

TEST_CASE("the gradient along an axis is broadcast back over that axis") {
  Tensor x = matrix();
  // d <sum(x, 0), [1, 2, 3]>/dx = [[1, 2, 3], [1, 2, 3]]
  CHECK_THAT(gradient(xg::sum(x, 0), x, values_of({1, 2, 3}, {3}, xg::float64, false)),
             Catch::Matchers::Approx(Values{1, 2, 3, 1, 2, 3}));
  CHECK_THAT(gradient(xg::sum(x, -1, true), x, values_of({1, 2}, {2, 1}, xg::float64, false)),
             Catch::Matchers::Approx(Values{1, 1, 1, 2, 2, 2}));
  CHECK_THAT(gradient(xg::mean(x, 1), x, values_of({3, 6}, {2}, xg::float64, false)),
             Catch::Matchers::Approx(Values{1, 1, 1, 2, 2, 2}));
}

TEST_CASE("max and min over all elements send the gradient to the extremum") {
  Tensor x = values_of({3, -1, 7, 0}, {2, 2});
  CHECK_THAT(gradient(xg::max(x), x), Catch::Matchers::Approx(Values{0, 0, 1, 0}));
  CHECK_THAT(gradient(xg::min(x), x), Catch::Matchers::Approx(Values{0, 1, 0, 0}));
  CHECK_THAT(gradient(xg::max(x), x, xg::scalar_tensor(5, {.dtype = xg::float64})),
             Catch::Matchers::Approx(Values{0, 0, 5, 0}));
}

TEST_CASE("max and min over all elements split the gradient evenly among ties, as torch") {
  Tensor x = values_of({1, 3, 3, 2, 3, 1}, {2, 3});
  CHECK_THAT(gradient(xg::max(x), x), Catch::Matchers::Approx(Values{0, 1.0 / 3, 1.0 / 3, 0, 1.0 / 3, 0}));
  CHECK_THAT(gradient(xg::min(x), x), Catch::Matchers::Approx(Values{0.5, 0, 0, 0, 0, 0.5}));
  Tensor flat = values_of({4, 4, 4, 4}, {4});
  CHECK_THAT(gradient(xg::max(flat), flat), Catch::Matchers::Approx(Values(4, 0.25)));
}

TEST_CASE("max and min along an axis send the gradient to the first extremum of each slice, as torch") {
  Tensor x = values_of({1, 3, 3, 5, 5, 0}, {2, 3});
  CHECK_THAT(gradient(xg::max(x, 1), x), Catch::Matchers::Approx(Values{0, 1, 0, 1, 0, 0}));
  CHECK_THAT(gradient(xg::max(x, 1, true), x, values_of({2, 7}, {2, 1}, xg::float64, false)),
             Catch::Matchers::Approx(Values{0, 2, 0, 7, 0, 0}));
  Tensor y = values_of({2, 0, 0, 2, 0, 1}, {3, 2});
  // columns (2, 0, 0) and (0, 2, 1): first minimum at rows 1 and 0
  CHECK_THAT(gradient(xg::min(y, 0), y), Catch::Matchers::Approx(Values{0, 1, 1, 0, 0, 0}));
  CHECK_THAT(gradient(xg::min(y, -2, true), y), Catch::Matchers::Approx(Values{0, 1, 1, 0, 0, 0}));
}

// ---- gradcheck and gradgradcheck ----

TEST_CASE("reductions' backward matches central differences",
          "[op:sum][op:sum_axis][op:mean][op:mean_axis][op:max][op:max_axis][op:min][op:min_axis]") {
  // continuous values: ties within 1e-6 (which would straddle a kink) do not occur
  check_each_case(reduction_cases(), 71, Order::first, [](const ReductionCase&) { return random_input({2, 3, 4}); });
}

TEST_CASE("reductions' second derivatives match central differences") {
  check_each_case(reduction_cases(), 72, Order::second, [](const ReductionCase&) { return random_input({2, 3, 4}); });
}

TEST_CASE("reductions of products pass gradgradcheck (non-zero second derivatives)") {
  xg::manual_seed(73);
  Tensor a = random_input({3, 4});
  Tensor b = random_input({3, 4});
  auto fn = [](const std::vector<Tensor>& in) {
    return xg::mean(in[0] * in[1], 1) + xg::max(in[0] * in[0], 1) - xg::sum(xg::min(in[1] * in[0], 0, true));
  };
  CHECK_DERIVATIVES((Inputs{a, b}), fn);
}

TEST_CASE("reductions of 0-d and single-element tensors pass gradcheck") {
  xg::manual_seed(74);
  Tensor s = random_input({});
  Tensor one = random_input({1, 1});
  for (const ReductionCase& c : reduction_cases()) {
    if (c.name.find("axis 0") == std::string::npos && c.name.find("()") == std::string::npos) continue;
    DYNAMIC_SECTION(c.name) {
      const xg::TensorFunction fn = unary_fn(c.fn);
      CHECK_THAT((std::vector<Tensor>{s}), PassesGradcheck(fn));
      CHECK_THAT((std::vector<Tensor>{one}), PassesGradcheck(fn));
    }
  }
}

// ---- errors ----

TEST_CASE("reductions name themselves and the axis when it is out of range") {
  Tensor x = xg::ones({2, 3}, xg::float64);
  const std::vector<std::pair<const char*, std::function<Tensor(int64_t)>>> ops = {
      {"sum", [x](int64_t axis) { return xg::sum(x, axis); }},
      {"mean", [x](int64_t axis) { return xg::mean(x, axis); }},
      {"max", [x](int64_t axis) { return xg::max(x, axis); }},
      {"min", [x](int64_t axis) { return xg::min(x, axis, true); }},
      {"argmax", [x](int64_t axis) { return xg::argmax(x, axis); }},
      {"argmin", [x](int64_t axis) { return xg::argmin(x, axis); }},
  };
  for (const auto& [name, fn] : ops) {
    DYNAMIC_SECTION(name) {
      CHECK_THROWS_AS(fn(2), xg::ShapeError);
      CHECK_THROWS_WITH(fn(2), Contains(name) && Contains("axis 2") && Contains("dimension 2") && Contains("-2 to 1"));
      CHECK_THROWS_WITH(fn(-3), Contains(name) && Contains("axis -3"));
    }
  }
  CHECK_THROWS_WITH(xg::sum(xg::scalar_tensor(1, {.dtype = xg::float64}), 1), Contains("sum") && Contains("axis 1"));
}

TEST_CASE("max and min of an empty tensor throw ShapeError naming the op and the shape") {
  Tensor empty = xg::zeros({0}, xg::float64);
  CHECK_THROWS_AS(xg::max(empty), xg::ShapeError);
  CHECK_THROWS_WITH(xg::max(empty), Contains("max") && Contains("empty") && Contains("[0]"));
  CHECK_THROWS_WITH(xg::min(xg::zeros({2, 0}, xg::float64)), Contains("min") && Contains("[2, 0]"));
}

TEST_CASE("max, min, argmax and argmin along an empty axis throw ShapeError naming the op and the axis") {
  Tensor rows = xg::zeros({0, 3}, xg::float64);
  CHECK_THROWS_AS(xg::max(rows, 0), xg::ShapeError);
  CHECK_THROWS_WITH(xg::max(rows, 0), Contains("max") && Contains("axis 0") && Contains("[0, 3]"));
  CHECK_THROWS_WITH(xg::min(rows, -2, true), Contains("min") && Contains("axis 0"));
  CHECK_THROWS_WITH(xg::argmax(rows, 0), Contains("argmax") && Contains("[0, 3]"));
  CHECK_THROWS_WITH(xg::argmin(xg::zeros({0}, xg::float64), 0), Contains("argmin") && Contains("[0]"));
}

TEST_CASE("mean of an int64 tensor throws DtypeError naming mean, as torch") {
  Tensor labels = xg::from_vector(std::vector<int64_t>{1, 2}, {2});
  CHECK_THROWS_AS(xg::mean(labels), xg::DtypeError);
  CHECK_THROWS_WITH(xg::mean(labels), Contains("mean") && Contains("int64"));
  CHECK_THROWS_WITH(xg::mean(labels, 0), Contains("mean") && Contains("int64"));
}

TEST_CASE("reductions refuse an undefined tensor") {
  CHECK_THROWS_AS(xg::sum(Tensor()), xg::ValueError);
  CHECK_THROWS_WITH(xg::max(Tensor(), 0), Contains("max") && Contains("undefined"));
  CHECK_THROWS_WITH(xg::argmin(Tensor(), 0), Contains("argmin") && Contains("undefined"));
}
