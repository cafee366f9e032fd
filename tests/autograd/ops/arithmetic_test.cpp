// Tests of autograd/ops/arithmetic.cpp: forward values, gradients against central differences,
// second derivatives, broadcasting, the operators with scalars, and the errors on misuse.
#include <autograd/broadcast.hpp>
#include <autograd/engine.hpp>
#include <autograd/error.hpp>
#include <autograd/format.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/arithmetic.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/random.hpp>
#include <autograd/tensor.hpp>
#include <autograd/testing.hpp>

#include <array>
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <support/elementwise_cases.hpp>
#include <support/tensors.hpp>

#include <cmath>
#include <utility>
#include <vector>

using namespace xg::test;

namespace {

// ---- the op tables ----

// Every arithmetic unary form (neg, pow, the operators with a scalar), with the inputs where it
// is differentiable.
std::vector<UnaryCase> arithmetic_cases() {
  return {
      {"neg", [](const Tensor& x) { return xg::neg(x); }},
      {"unary minus", [](const Tensor& x) { return -x; }},
      {"pow(x, 2)", [](const Tensor& x) { return xg::pow(x, 2.0); }},
      {"pow(x, 3)", [](const Tensor& x) { return xg::pow(x, 3.0); }},
      {"pow(x, 1)", [](const Tensor& x) { return xg::pow(x, 1.0); }},
      {"pow(x, 0)", [](const Tensor& x) { return xg::pow(x, 0.0); }},
      {"pow(x, 0.5)", [](const Tensor& x) { return xg::pow(x, 0.5); }, Domain::positive},
      {"pow(x, -1.5)", [](const Tensor& x) { return xg::pow(x, -1.5); }, Domain::positive},
      {"pow(2, x)", [](const Tensor& x) { return xg::pow(2.0, x); }},
      {"x + 2", [](const Tensor& x) { return x + 2.0; }},
      {"2 + x", [](const Tensor& x) { return 2.0 + x; }},
      {"x - 2", [](const Tensor& x) { return x - 2.0; }},
      {"2 - x", [](const Tensor& x) { return 2.0 - x; }},
      {"x * 3", [](const Tensor& x) { return x * 3.0; }},
      {"3 * x", [](const Tensor& x) { return 3.0 * x; }},
      {"x / 4", [](const Tensor& x) { return x / 4.0; }},
      {"4 / x", [](const Tensor& x) { return 4.0 / x; }, Domain::nonzero},
      {"Tensor::pow(3)", [](const Tensor& x) { return x.pow(3.0); }},
  };
}

struct BinaryCase {
  const char* name;
  Tensor (*fn)(const Tensor&, const Tensor&);
  Domain a_domain = Domain::real;
  Domain b_domain = Domain::real;
};

std::vector<BinaryCase> binary_cases() {
  return {
      {"add", [](const Tensor& a, const Tensor& b) { return xg::add(a, b); }},
      {"sub", [](const Tensor& a, const Tensor& b) { return xg::sub(a, b); }},
      {"mul", [](const Tensor& a, const Tensor& b) { return xg::mul(a, b); }},
      {"div", [](const Tensor& a, const Tensor& b) { return xg::div(a, b); }, Domain::real, Domain::nonzero},
      {"pow", [](const Tensor& a, const Tensor& b) { return xg::pow(a, b); }, Domain::positive, Domain::real},
  };
}

xg::TensorFunction binary_fn(Tensor (*fn)(const Tensor&, const Tensor&)) {
  return [fn](const std::vector<Tensor>& in) { return fn(in[0], in[1]); };
}

}  // namespace

// ---- forward values ----

TEST_CASE("binary element-wise ops compute their values element by element") {
  Tensor a = vec({1, 2, 3}, xg::float64, false);
  Tensor b = vec({4, 5, 6}, xg::float64, false);
  CHECK_THAT(xg::add(a, b).to_vector(), Catch::Matchers::Approx(Values{5, 7, 9}));
  CHECK_THAT(xg::sub(a, b).to_vector(), Catch::Matchers::Approx(Values{-3, -3, -3}));
  CHECK_THAT(xg::mul(a, b).to_vector(), Catch::Matchers::Approx(Values{4, 10, 18}));
  CHECK_THAT(xg::div(a, b).to_vector(), Catch::Matchers::Approx(Values{0.25, 0.4, 0.5}));
  CHECK_THAT(xg::pow(a, b).to_vector(), Catch::Matchers::Approx(Values{1, 32, 729}));
  CHECK_THAT((a + b).to_vector(), Catch::Matchers::Approx(Values{5, 7, 9}));
  CHECK_THAT((a - b).to_vector(), Catch::Matchers::Approx(Values{-3, -3, -3}));
  CHECK_THAT((a * b).to_vector(), Catch::Matchers::Approx(Values{4, 10, 18}));
  CHECK_THAT((a / b).to_vector(), Catch::Matchers::Approx(Values{0.25, 0.4, 0.5}));
}

TEST_CASE("pow with a scalar exponent, a tensor exponent and a scalar base computes powers") {
  Tensor x = vec({1, 2, 3}, xg::float64, false);
  CHECK_THAT(xg::pow(x, 2.0).to_vector(), Catch::Matchers::Approx(Values{1, 4, 9}));
  CHECK_THAT(xg::pow(x, 3.0).to_vector(), Catch::Matchers::Approx(Values{1, 8, 27}));
  CHECK_THAT(xg::pow(x, 0.0).to_vector(), Catch::Matchers::Approx(Values{1, 1, 1}));
  CHECK_THAT(xg::pow(x, -1.0).to_vector(), Catch::Matchers::Approx(Values{1, 0.5, 1.0 / 3}));
  CHECK_THAT(xg::pow(vec({4, 9}), 0.5).to_vector(), Catch::Matchers::Approx(Values{2, 3}));
  CHECK_THAT(x.pow(2.0).to_vector(), Catch::Matchers::Approx(Values{1, 4, 9}));
  CHECK_THAT(xg::pow(vec({2, 3}), vec({3, 2})).to_vector(), Catch::Matchers::Approx(Values{8, 9}));
  CHECK_THAT(x.pow(vec({2, 2, 2})).to_vector(), Catch::Matchers::Approx(Values{1, 4, 9}));
  CHECK_THAT(xg::pow(2.0, vec({0, 1, 3, -1})).to_vector(), Catch::Matchers::Approx(Values{1, 2, 8, 0.5}));
}

TEST_CASE("operators with a scalar on either side compute the same as with a tensor") {
  Tensor x = vec({1, 2, 4}, xg::float64, false);
  CHECK_THAT((x + 2.0).to_vector(), Catch::Matchers::Approx(Values{3, 4, 6}));
  CHECK_THAT((2.0 + x).to_vector(), Catch::Matchers::Approx(Values{3, 4, 6}));
  CHECK_THAT((x - 2.0).to_vector(), Catch::Matchers::Approx(Values{-1, 0, 2}));
  CHECK_THAT((2.0 - x).to_vector(), Catch::Matchers::Approx(Values{1, 0, -2}));
  CHECK_THAT((x * 3.0).to_vector(), Catch::Matchers::Approx(Values{3, 6, 12}));
  CHECK_THAT((3.0 * x).to_vector(), Catch::Matchers::Approx(Values{3, 6, 12}));
  CHECK_THAT((x / 4.0).to_vector(), Catch::Matchers::Approx(Values{0.25, 0.5, 1}));
  CHECK_THAT((4.0 / x).to_vector(), Catch::Matchers::Approx(Values{4, 2, 1}));
}

TEST_CASE("a scalar on the left of + and * records the same node as on the right, as torch") {
  Tensor x = vec({1, 2, 4}, xg::float64, true);
  for (auto [left, right] : {std::pair{2.0 * x, x * 2.0}, std::pair{2.0 + x, x + 2.0}}) {
    REQUIRE(left.grad_fn() != nullptr);
    CHECK(left.grad_fn()->type_name() == right.grad_fn()->type_name());
    CHECK(left.grad_fn()->num_inputs() == 1);  // the scalar stays in the node, no 0-d tensor input
    CHECK(left.grad_fn()->extra_args() == right.grad_fn()->extra_args());
    CHECK(xg::to_string(left) == xg::to_string(right));
  }
  CHECK((2.0 * x).grad_fn()->extra_args() == "2");  // trace and DOT show mul(x, 2) either way
}

TEST_CASE("operators with a scalar keep the tensor's dtype and shape") {
  Tensor x = xg::ones({2, 3}, xg::float32);
  for (const Tensor& y : {x + 1.0, 1.0 - x, x * 0.5, 2.0 / x}) {
    CHECK(y.dtype() == xg::float32);
    CHECK(y.shape() == Shape{2, 3});
  }
  CHECK((x * 0.5).to_vector()[0] == 0.5);
}

TEST_CASE("numbers follow torch's rules for Python numbers: an integer keeps int64, a float makes it float") {
  Tensor labels = xg::from_vector(std::vector<int64_t>{1, 2, 3}, {3});
  // torch: labels * 0.5 = [0.5, 1.0, 1.5] float32; labels / 2 too; labels * 2 stays int64
  CHECK((labels * 0.5).dtype() == xg::float32);
  CHECK((labels * 0.5).to_vector() == Values{0.5, 1, 1.5});
  CHECK((labels / 2).to_vector() == Values{0.5, 1, 1.5});
  CHECK((labels / 2).dtype() == xg::float32);
  CHECK((7 / xg::from_vector(std::vector<int64_t>{2, 4}, {2})).to_vector() == Values{3.5, 1.75});
  CHECK((labels * 2).dtype() == xg::int64);
  CHECK((labels * 2).to_vector() == Values{2, 4, 6});
  CHECK((labels - 1).to_vector() == Values{0, 1, 2});
  CHECK((labels * 2.0).dtype() == xg::float32);  // a Python float, as torch
  CHECK((labels + 0.5).to_vector() == Values{1.5, 2.5, 3.5});
  CHECK((0.5 - labels).to_vector() == Values{-0.5, -1.5, -2.5});
  const Tensor mask = xg::from_vector({1, 0}, {2}, {.dtype = xg::boolean});
  CHECK((mask * 3).dtype() == xg::int64);
  CHECK((mask * 3).to_vector() == Values{3, 0});
  CHECK((mask * 2.5).dtype() == xg::float32);
  CHECK((mask + true).dtype() == xg::boolean);
  // a floating tensor keeps its dtype whatever the number (a double does not widen float32)
  CHECK((xg::ones({2}, xg::float32) * 2.5).dtype() == xg::float32);
  CHECK((xg::ones({2}, xg::float32) + 1).dtype() == xg::float32);
  CHECK((xg::ones({2}, xg::float64) / 4).dtype() == xg::float64);
  // torch refuses subtraction with bools, and so does xgrad
  CHECK_THROWS_AS(mask - 1, xg::DtypeError);
  CHECK_THROWS_WITH(1.0 - mask, Contains("sub") && Contains("bool"));
  CHECK_THROWS_AS(xg::ones({2}) - true, xg::DtypeError);
  // in place: the result must convert to the tensor's dtype (torch's can_cast)
  Tensor counts = labels.clone();
  counts += 1;
  counts *= 2;
  CHECK(counts.dtype() == xg::int64);
  CHECK(counts.to_vector() == Values{4, 6, 8});
  CHECK_THROWS_AS(counts += 0.5, xg::DtypeError);  // torch: result type Float can't be cast to Long
  CHECK_THROWS_WITH(counts.div_(2), Contains("div_") && Contains("float32") && Contains("int64"));
  CHECK_THROWS_WITH(counts.mul_(xg::ones({3})), Contains("mul_") && Contains("can't be cast"));
  CHECK(counts.to_vector() == Values{4, 6, 8});  // unchanged
  Tensor f = xg::tensor({1.5, 2.5});
  f += xg::from_vector(std::vector<int64_t>{1, 2}, {2});
  CHECK(f.dtype() == xg::float32);
  CHECK(f.to_vector() == Values{2.5, 4.5});
  f.add_(xg::ones({2}, xg::float64));  // float64 into float32: allowed, rounded to float32
  CHECK(f.dtype() == xg::float32);
  CHECK(f.to_vector() == Values{3.5, 5.5});
  // alpha with integers stays exact (torch: [16777217].sub_([1], alpha=2) = [16777215]), and a
  // fractional alpha is refused, as torch's
  Tensor big = xg::from_vector(std::vector<int64_t>{16777217}, {1});
  big.sub_(xg::from_vector(std::vector<int64_t>{1}, {1}), 2.0);
  CHECK(big.data_ptr<int64_t>()[0] == 16777215);
  Tensor wide = xg::zeros({1}, xg::float64);
  wide.add_(xg::from_vector(std::vector<int64_t>{33554433}, {1}), 2.0);  // torch: 67108866
  CHECK(wide.item() == 67108866.0);
  CHECK_THROWS_AS(big.add_(big.clone(), 0.5), xg::DtypeError);
  CHECK(big.data_ptr<int64_t>()[0] == 16777215);
  // an integer factor beyond 2^53 multiplies exactly (torch: [1].mul_(2**53 + 1))
  Tensor one = xg::from_vector(std::vector<int64_t>{1}, {1});
  one.mul_((int64_t{1} << 53) + 1);
  CHECK(one.data_ptr<int64_t>()[0] == (int64_t{1} << 53) + 1);
  // masks add as or, in place too (torch: [T, F].add_([T, T]) = [T, T])
  Tensor m = xg::from_vector({1, 0}, {2}, {.dtype = xg::boolean});
  m += xg::from_vector({1, 1}, {2}, {.dtype = xg::boolean});
  CHECK(m.dtype() == xg::boolean);
  CHECK(m.to_vector() == Values{1, 1});
}

TEST_CASE("binary ops broadcast their inputs with NumPy rules") {
  Tensor column = vec({1, 2, 3}, xg::float64, false).reshape({3, 1});
  Tensor row = vec({10, 20, 30, 40}, xg::float64, false).reshape({1, 4});
  Tensor sum = column + row;
  CHECK(sum.shape() == Shape{3, 4});
  CHECK_THAT(sum.to_vector(), Catch::Matchers::Approx(Values{11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43}));
  Tensor scaled = xg::scalar_tensor(2, {.dtype = xg::float64}) * xg::ones({2, 2}, xg::float64);
  CHECK(scaled.shape() == Shape{2, 2});
  CHECK_THAT(scaled.to_vector(), Catch::Matchers::Approx(Values{2, 2, 2, 2}));
  Tensor vector_minus_cube = vec({1, 2}, xg::float64, false) - xg::zeros({3, 1, 2}, xg::float64);
  CHECK(vector_minus_cube.shape() == Shape{3, 1, 2});
}

// ---- gradients by hand ----

TEST_CASE("binary ops have the textbook gradients at a point") {
  Tensor a = vec({2});
  Tensor b = vec({4});
  CHECK_THAT(gradient(xg::add(a, b), a), Catch::Matchers::Approx(Values{1}));
  CHECK_THAT(gradient(xg::add(a, b), b), Catch::Matchers::Approx(Values{1}));
  CHECK_THAT(gradient(xg::sub(a, b), b), Catch::Matchers::Approx(Values{-1}));
  CHECK_THAT(gradient(xg::mul(a, b), a), Catch::Matchers::Approx(Values{4}));
  CHECK_THAT(gradient(xg::mul(a, b), b), Catch::Matchers::Approx(Values{2}));
  CHECK_THAT(gradient(xg::div(a, b), a), Catch::Matchers::Approx(Values{0.25}));
  CHECK_THAT(gradient(xg::div(a, b), b), Catch::Matchers::Approx(Values{-0.125}));
  // d a^b/da = b a^(b-1) = 4 * 8, d a^b/db = a^b ln a = 16 ln 2
  CHECK_THAT(gradient(xg::pow(a, b), a), Catch::Matchers::Approx(Values{32}));
  CHECK_THAT(gradient(xg::pow(a, b), b), Catch::Matchers::Approx(Values{16 * M_LN2}));
}

TEST_CASE("a tensor used on both sides of mul accumulates both gradients") {
  Tensor x = vec({3, -1});
  (x * x).backward(xg::ones_like(x));
  CHECK_THAT(x.grad().to_vector(), Catch::Matchers::Approx(Values{6, -2}));
}

TEST_CASE("broadcast gradients are summed back to each input's shape") {
  Tensor column = vec({1, 2, 3}).reshape({3, 1}).detach().requires_grad_();
  Tensor row = vec({10, 20, 30, 40}).reshape({1, 4}).detach().requires_grad_();
  const std::vector<Tensor> grads = xg::grad({column * row}, {column, row}, {xg::ones({3, 4}, xg::float64)});
  CHECK(grads[0].shape() == Shape{3, 1});
  CHECK(grads[1].shape() == Shape{1, 4});
  CHECK_THAT(grads[0].to_vector(), Catch::Matchers::Approx(Values{100, 100, 100}));
  CHECK_THAT(grads[1].to_vector(), Catch::Matchers::Approx(Values{6, 6, 6, 6}));
}

TEST_CASE("pow with exponent 0 has a zero gradient, even at 0") {
  Tensor x = vec({0, 2});
  CHECK_THAT(gradient(xg::pow(x, 0.0), x), Catch::Matchers::Approx(Values{0, 0}));
}

TEST_CASE("pow's gradient with respect to the exponent is 0 where the base is 0, not NaN") {
  Tensor base = vec({0, 0, 2});
  Tensor exponent = vec({2, 0, 3});
  const std::vector<Tensor> grads = xg::grad({xg::pow(base, exponent)}, {base, exponent}, {xg::ones({3}, xg::float64)});
  CHECK_THAT(grads[1].to_vector(), Catch::Matchers::Approx(Values{0, 0, 8 * M_LN2}));
}

TEST_CASE("pow's gradient with respect to the base is 0 where the exponent is 0, even at base 0, as torch") {
  // b a^(b-1) would be 0 * 0^-1 = 0 * inf = NaN at a = b = 0; torch masks the exponent-0 entries
  Tensor base = vec({0, 0, 2});
  Tensor exponent = vec({2, 0, 3}, xg::float64, false);
  CHECK_THAT(gradient(xg::pow(base, exponent), base), Catch::Matchers::Approx(Values{0, 0, 12}));
}

// ---- gradcheck and gradgradcheck ----

TEST_CASE("unary element-wise ops' backward matches central differences",
          "[op:neg][op:add_scalar][op:sub_scalar][op:mul_scalar][op:div_scalar][op:scalar_sub][op:scalar_div]"
          "[op:pow_int][op:pow_real][op:pow_base]") {
  check_unary_cases(arithmetic_cases(), Order::first);
}

TEST_CASE("unary element-wise ops' second derivatives match central differences") {
  check_unary_cases(arithmetic_cases(), Order::second);
}

TEST_CASE("binary element-wise ops' backward matches central differences",
          "[op:add][op:sub][op:mul][op:div][op:pow_tensor]") {
  for (const BinaryCase& c : binary_cases()) {
    DYNAMIC_SECTION(c.name) {
      xg::manual_seed(21);
      Tensor a = input_in(c.a_domain, {2, 3});
      Tensor b = input_in(c.b_domain, {2, 3});
      CHECK_DERIVATIVES((Inputs{a, b}), binary_fn(c.fn));
    }
  }
}

TEST_CASE("binary element-wise ops' gradients are checked when only one input requires grad") {
  for (const BinaryCase& c : binary_cases()) {
    DYNAMIC_SECTION(c.name) {
      xg::manual_seed(22);
      Tensor a = input_in(c.a_domain, {4});
      Tensor b = input_in(c.b_domain, {4});
      Tensor a_constant = a.detach();
      Tensor b_constant = b.detach();
      CHECK_THAT((std::vector<Tensor>{a, b_constant}), PassesGradcheck(binary_fn(c.fn)));
      CHECK_THAT((std::vector<Tensor>{a_constant, b}), PassesGradcheck(binary_fn(c.fn)));
    }
  }
}

TEST_CASE("binary element-wise ops' broadcast gradients match central differences") {
  const std::vector<std::pair<Shape, Shape>> shape_pairs = {
      {{3, 1}, {1, 4}}, {{4}, {2, 3, 4}}, {{2, 3, 4}, {4}}, {{}, {3, 4}}, {{3, 4}, {}}, {{2, 1, 3}, {4, 1}},
  };
  for (const BinaryCase& c : binary_cases()) {
    DYNAMIC_SECTION(c.name) {
      for (const auto& [shape_a, shape_b] : shape_pairs) {
        INFO(xg::format_shape(shape_a) << " with " << xg::format_shape(shape_b));
        xg::manual_seed(23);
        Tensor a = input_in(c.a_domain, shape_a);
        Tensor b = input_in(c.b_domain, shape_b);
        CHECK(c.fn(a, b).shape() == xg::broadcast_shapes(shape_a, shape_b));
        CHECK_THAT((std::vector<Tensor>{a, b}), PassesGradcheck(binary_fn(c.fn)));
      }
    }
  }
}

TEST_CASE("binary element-wise ops' broadcast second derivatives match central differences") {
  for (const BinaryCase& c : binary_cases()) {
    DYNAMIC_SECTION(c.name) {
      xg::manual_seed(24);
      Tensor a = input_in(c.a_domain, {3, 1});
      Tensor b = input_in(c.b_domain, {1, 4});
      CHECK_THAT((std::vector<Tensor>{a, b}), PassesGradgradcheck(binary_fn(c.fn)));
      Tensor s = input_in(c.a_domain, {});
      Tensor m = input_in(c.b_domain, {2, 3});
      CHECK_THAT((std::vector<Tensor>{s, m}), PassesGradgradcheck(binary_fn(c.fn)));
    }
  }
}

// ---- errors ----

TEST_CASE("binary ops name themselves and both shapes when the shapes cannot broadcast") {
  Tensor a = xg::ones({2, 3}, xg::float64);
  Tensor b = xg::ones({4}, xg::float64);
  for (const BinaryCase& c : binary_cases()) {
    DYNAMIC_SECTION(c.name) {
      CHECK_THROWS_AS(c.fn(a, b), xg::ShapeError);
      CHECK_THROWS_WITH(c.fn(a, b), Contains(c.name) && Contains("[2, 3]") && Contains("[4]"));
    }
  }
}

TEST_CASE("operators report the op behind them when the shapes cannot broadcast") {
  Tensor a = xg::ones({3}, xg::float64);
  Tensor b = xg::ones({2}, xg::float64);
  CHECK_THROWS_WITH(a + b, Contains("add") && Contains("[3]") && Contains("[2]"));
  CHECK_THROWS_WITH(a - b, Contains("sub"));
  CHECK_THROWS_WITH(a * b, Contains("mul"));
  CHECK_THROWS_WITH(a / b, Contains("div"));
}

TEST_CASE("mixed dtypes compute in torch's result_type, for every pair of dtypes and dimension kinds") {
  // generated from torch 1.13: for a (shape [2] or 0-d) and b likewise, torch.result_type(a, b)
  // and the dtypes of a + b, a - b, a * b, a / b ("error": torch raises)
  struct Row {
    xg::Dtype a;
    bool a_0d;
    xg::Dtype b;
    bool b_0d;
    xg::Dtype result;
    std::array<const char*, 4> ops;
  };
  using xg::boolean, xg::int64, xg::float32, xg::float64;
  const Row rows[] = {
      {boolean, false, boolean, false, boolean, {"bool", "error", "bool", "float32"}},
      {boolean, false, boolean, true, boolean, {"bool", "error", "bool", "float32"}},
      {boolean, true, boolean, false, boolean, {"bool", "error", "bool", "float32"}},
      {boolean, true, boolean, true, boolean, {"bool", "error", "bool", "float32"}},
      {boolean, false, int64, false, int64, {"int64", "error", "int64", "float32"}},
      {boolean, false, int64, true, int64, {"int64", "error", "int64", "float32"}},
      {boolean, true, int64, false, int64, {"int64", "error", "int64", "float32"}},
      {boolean, true, int64, true, int64, {"int64", "error", "int64", "float32"}},
      {boolean, false, float32, false, float32, {"float32", "error", "float32", "float32"}},
      {boolean, false, float32, true, float32, {"float32", "error", "float32", "float32"}},
      {boolean, true, float32, false, float32, {"float32", "error", "float32", "float32"}},
      {boolean, true, float32, true, float32, {"float32", "error", "float32", "float32"}},
      {boolean, false, float64, false, float64, {"float64", "error", "float64", "float64"}},
      {boolean, false, float64, true, float64, {"float64", "error", "float64", "float64"}},
      {boolean, true, float64, false, float64, {"float64", "error", "float64", "float64"}},
      {boolean, true, float64, true, float64, {"float64", "error", "float64", "float64"}},
      {int64, false, boolean, false, int64, {"int64", "error", "int64", "float32"}},
      {int64, false, boolean, true, int64, {"int64", "error", "int64", "float32"}},
      {int64, true, boolean, false, int64, {"int64", "error", "int64", "float32"}},
      {int64, true, boolean, true, int64, {"int64", "error", "int64", "float32"}},
      {int64, false, int64, false, int64, {"int64", "int64", "int64", "float32"}},
      {int64, false, int64, true, int64, {"int64", "int64", "int64", "float32"}},
      {int64, true, int64, false, int64, {"int64", "int64", "int64", "float32"}},
      {int64, true, int64, true, int64, {"int64", "int64", "int64", "float32"}},
      {int64, false, float32, false, float32, {"float32", "float32", "float32", "float32"}},
      {int64, false, float32, true, float32, {"float32", "float32", "float32", "float32"}},
      {int64, true, float32, false, float32, {"float32", "float32", "float32", "float32"}},
      {int64, true, float32, true, float32, {"float32", "float32", "float32", "float32"}},
      {int64, false, float64, false, float64, {"float64", "float64", "float64", "float64"}},
      {int64, false, float64, true, float64, {"float64", "float64", "float64", "float64"}},
      {int64, true, float64, false, float64, {"float64", "float64", "float64", "float64"}},
      {int64, true, float64, true, float64, {"float64", "float64", "float64", "float64"}},
      {float32, false, boolean, false, float32, {"float32", "error", "float32", "float32"}},
      {float32, false, boolean, true, float32, {"float32", "error", "float32", "float32"}},
      {float32, true, boolean, false, float32, {"float32", "error", "float32", "float32"}},
      {float32, true, boolean, true, float32, {"float32", "error", "float32", "float32"}},
      {float32, false, int64, false, float32, {"float32", "float32", "float32", "float32"}},
      {float32, false, int64, true, float32, {"float32", "float32", "float32", "float32"}},
      {float32, true, int64, false, float32, {"float32", "float32", "float32", "float32"}},
      {float32, true, int64, true, float32, {"float32", "float32", "float32", "float32"}},
      {float32, false, float32, false, float32, {"float32", "float32", "float32", "float32"}},
      {float32, false, float32, true, float32, {"float32", "float32", "float32", "float32"}},
      {float32, true, float32, false, float32, {"float32", "float32", "float32", "float32"}},
      {float32, true, float32, true, float32, {"float32", "float32", "float32", "float32"}},
      {float32, false, float64, false, float64, {"float64", "float64", "float64", "float64"}},
      {float32, false, float64, true, float32, {"float32", "float32", "float32", "float32"}},
      {float32, true, float64, false, float64, {"float64", "float64", "float64", "float64"}},
      {float32, true, float64, true, float64, {"float64", "float64", "float64", "float64"}},
      {float64, false, boolean, false, float64, {"float64", "error", "float64", "float64"}},
      {float64, false, boolean, true, float64, {"float64", "error", "float64", "float64"}},
      {float64, true, boolean, false, float64, {"float64", "error", "float64", "float64"}},
      {float64, true, boolean, true, float64, {"float64", "error", "float64", "float64"}},
      {float64, false, int64, false, float64, {"float64", "float64", "float64", "float64"}},
      {float64, false, int64, true, float64, {"float64", "float64", "float64", "float64"}},
      {float64, true, int64, false, float64, {"float64", "float64", "float64", "float64"}},
      {float64, true, int64, true, float64, {"float64", "float64", "float64", "float64"}},
      {float64, false, float32, false, float64, {"float64", "float64", "float64", "float64"}},
      {float64, false, float32, true, float64, {"float64", "float64", "float64", "float64"}},
      {float64, true, float32, false, float32, {"float32", "float32", "float32", "float32"}},
      {float64, true, float32, true, float64, {"float64", "float64", "float64", "float64"}},
      {float64, false, float64, false, float64, {"float64", "float64", "float64", "float64"}},
      {float64, false, float64, true, float64, {"float64", "float64", "float64", "float64"}},
      {float64, true, float64, false, float64, {"float64", "float64", "float64", "float64"}},
      {float64, true, float64, true, float64, {"float64", "float64", "float64", "float64"}},
  };
  const std::array<std::function<Tensor(const Tensor&, const Tensor&)>, 4> ops = {
      [](const Tensor& a, const Tensor& b) { return a + b; }, [](const Tensor& a, const Tensor& b) { return a - b; },
      [](const Tensor& a, const Tensor& b) { return a * b; }, [](const Tensor& a, const Tensor& b) { return a / b; }};
  for (const Row& r : rows) {
    const Tensor a = xg::ones(r.a_0d ? Shape{} : Shape{2}, r.a);
    const Tensor b = xg::ones(r.b_0d ? Shape{} : Shape{2}, r.b);
    INFO(xg::dtype_name(r.a) << (r.a_0d ? " 0-d" : " [2]") << " with " << xg::dtype_name(r.b)
                             << (r.b_0d ? " 0-d" : " [2]"));
    CHECK(xg::result_type(a, b) == r.result);
    for (size_t k = 0; k < 4; ++k) {
      INFO("op "
           << "+-*/"[k]);
      if (std::string(r.ops[k]) == "error") {
        CHECK_THROWS_AS(ops[k](a, b), xg::DtypeError);
      } else {
        CHECK(xg::dtype_name(ops[k](a, b).dtype()) == std::string(r.ops[k]));
      }
    }
  }
}

TEST_CASE("each gradient comes back in its input's dtype when the dtypes mix") {
  // torch: w (float32) * v (float64): w.grad float32, v.grad float64, both [3, 4]
  Tensor w = xg::tensor({1, 2}, {.dtype = xg::float32, .requires_grad = true});
  Tensor v = xg::tensor({3, 4}, {.dtype = xg::float64, .requires_grad = true});
  Tensor y = w * v;
  CHECK(y.dtype() == xg::float64);
  y.sum().backward();
  CHECK(w.grad().dtype() == xg::float32);
  CHECK(v.grad().dtype() == xg::float64);
  CHECK(w.grad().to_vector() == Values{3, 4});
  CHECK(v.grad().to_vector() == Values{1, 2});
  // through every op, a 0-d float64 with a float32 [2] computing in float32, and where
  for (const BinaryCase& c : binary_cases()) {
    DYNAMIC_SECTION(c.name) {
      Tensor a = xg::tensor({1.5, 2.5}, {.dtype = xg::float32, .requires_grad = true});
      Tensor s = xg::scalar_tensor(1.25, {.dtype = xg::float64, .requires_grad = true});
      Tensor out = c.fn(a, s);
      CHECK(out.dtype() == xg::float32);
      out.sum().backward();
      CHECK(a.grad().dtype() == xg::float32);
      CHECK(s.grad().dtype() == xg::float64);
      CHECK(s.grad().shape() == Shape{});
    }
  }
  Tensor a = xg::tensor({1, 2}, {.dtype = xg::float32, .requires_grad = true});
  Tensor b = xg::tensor({3, 4}, {.dtype = xg::float64, .requires_grad = true});
  Tensor picked = xg::where(xg::tensor({1, 0}, {.dtype = xg::boolean}), a, b);
  CHECK(picked.dtype() == xg::float64);
  CHECK(picked.to_vector() == Values{1, 4});
  picked.sum().backward();
  CHECK(a.grad().dtype() == xg::float32);
  CHECK(a.grad().to_vector() == Values{1, 0});
  CHECK(b.grad().to_vector() == Values{0, 1});
  CHECK_DERIVATIVES((std::vector<Tensor>{xg::tensor({0.5, 1.5}, {.dtype = xg::float64, .requires_grad = true})}),
                    [](const std::vector<Tensor>& in) {
                      return in[0] * xg::from_vector(std::vector<int64_t>{2, 3}, {2}) + in[0] / 4;
                    });
}

TEST_CASE("add, sub, mul and neg work on int64 tensors") {
  Tensor a = xg::from_vector(std::vector<int64_t>{1, 2}, {2});
  Tensor b = xg::from_vector(std::vector<int64_t>{5, -3}, {2});
  CHECK((a + b).dtype() == xg::int64);
  CHECK_THAT((a + b).to_vector(), Catch::Matchers::Approx(Values{6, -1}));
  CHECK_THAT((a - b).to_vector(), Catch::Matchers::Approx(Values{-4, 5}));
  CHECK_THAT((a * b).to_vector(), Catch::Matchers::Approx(Values{5, -6}));
  CHECK_THAT((-b).to_vector(), Catch::Matchers::Approx(Values{-5, 3}));
}
