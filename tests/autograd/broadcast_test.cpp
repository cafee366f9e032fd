// Tests of autograd/broadcast: the NumPy shape rule, broadcast_to and its reverse sum_to.
#include <autograd/broadcast.hpp>
#include <autograd/error.hpp>
#include <autograd/random.hpp>
#include <autograd/tensor.hpp>
#include <autograd/testing.hpp>

#include <catch2/catch.hpp>

#include <numeric>
#include <vector>

namespace {

using Catch::Matchers::Equals;
using xg::Shape;
using xg::Tensor;
using Inputs = std::vector<Tensor>;

Tensor random64(const Shape& shape) { return xg::randn(shape, {.dtype = xg::float64, .requires_grad = true}); }

// 0, 1, 2, ... laid out as `shape` (float64).
Tensor iota(const Shape& shape) {
  std::vector<double> values(static_cast<size_t>(xg::numel(shape)));
  std::iota(values.begin(), values.end(), 0.0);
  return xg::from_vector(values, shape, {.dtype = xg::float64});
}

}  // namespace

// ---- broadcast_shapes ----

TEST_CASE("broadcast_shapes aligns shapes from the right and stretches sizes of 1") {
  CHECK(xg::broadcast_shapes({3, 1}, {1, 4}) == Shape{3, 4});
  CHECK(xg::broadcast_shapes({2, 3}, {3}) == Shape{2, 3});
  CHECK(xg::broadcast_shapes({3}, {2, 3}) == Shape{2, 3});
  CHECK(xg::broadcast_shapes({5, 1, 4}, {3, 1}) == Shape{5, 3, 4});
  CHECK(xg::broadcast_shapes({}, {2, 3}) == Shape{2, 3});
  CHECK(xg::broadcast_shapes({2, 3}, {}) == Shape{2, 3});
  CHECK(xg::broadcast_shapes({}, {}) == Shape{});
  CHECK(xg::broadcast_shapes({1}, {7}) == Shape{7});
  CHECK(xg::broadcast_shapes({1, 1}, {1}) == Shape{1, 1});
  CHECK(xg::broadcast_shapes({4, 2, 3}, {4, 2, 3}) == Shape{4, 2, 3});
  // a size-0 axis broadcasts against 1 and stays 0, as in NumPy
  CHECK(xg::broadcast_shapes({0}, {1}) == Shape{0});
  CHECK(xg::broadcast_shapes({2, 0}, {2, 1}) == Shape{2, 0});
}

TEST_CASE("broadcast_shapes names both shapes and the op when they do not fit") {
  CHECK_THROWS_AS(xg::broadcast_shapes({3, 4}, {2, 4}), xg::ShapeError);
  CHECK_THROWS_WITH(xg::broadcast_shapes({3, 4}, {2, 4}),
                    Catch::StartsWith("broadcast_shapes: shapes [3, 4] and [2, 4] cannot be broadcast together") &&
                        Catch::Contains("3 vs 2"));
  CHECK_THROWS_WITH(
      xg::broadcast_shapes({2, 3}, {4}, "add"),
      Catch::StartsWith("add: shapes [2, 3] and [4] cannot be broadcast together") && Catch::Contains("3 vs 4"));
  CHECK_THROWS_WITH(xg::broadcast_shapes({5, 2, 3}, {4, 1, 3}, "mul"),
                    Catch::Contains("mul") && Catch::Contains("[5, 2, 3]") && Catch::Contains("[4, 1, 3]"));
  CHECK_THROWS_AS(xg::broadcast_shapes({0}, {2}), xg::ShapeError);
}

// ---- broadcast_to ----

TEST_CASE("broadcast_to repeats a vector along new leading axes") {
  const Tensor y = xg::broadcast_to(xg::tensor({1, 2, 3}), {2, 3});
  CHECK(y.shape() == Shape{2, 3});
  CHECK_THAT(y.to_vector(), Equals(std::vector<double>{1, 2, 3, 1, 2, 3}));
  CHECK(y.dtype() == xg::float32);
}

TEST_CASE("broadcast_to repeats along axes of size 1") {
  const Tensor column = xg::broadcast_to(xg::tensor({{1}, {2}, {3}}), {3, 4});
  CHECK(column.shape() == Shape{3, 4});
  CHECK_THAT(column.to_vector(), Equals(std::vector<double>{1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3}));
  const Tensor middle = xg::broadcast_to(iota({2, 1, 2}), {3, 2, 2, 2});
  CHECK(middle.shape() == Shape{3, 2, 2, 2});
  const std::vector<double> once{0, 1, 0, 1, 2, 3, 2, 3};
  std::vector<double> expected;
  for (int i = 0; i < 3; ++i) expected.insert(expected.end(), once.begin(), once.end());
  CHECK_THAT(middle.to_vector(), Equals(expected));
}

TEST_CASE("broadcast_to fills a shape with a 0-d tensor and keeps int64") {
  const Tensor y = xg::broadcast_to(xg::scalar_tensor(2.5), {2, 2});
  CHECK(y.shape() == Shape{2, 2});
  CHECK_THAT(y.to_vector(), Equals(std::vector<double>{2.5, 2.5, 2.5, 2.5}));
  const Tensor labels = xg::broadcast_to(xg::from_vector(std::vector<int64_t>{4, 5}, {2}), {2, 2});
  CHECK(labels.dtype() == xg::int64);
  CHECK_THAT(labels.to_vector(), Equals(std::vector<double>{4, 5, 4, 5}));
}

TEST_CASE("broadcast_to of a tensor's own shape returns the same tensor") {
  const Tensor x = iota({2, 3});
  CHECK(xg::broadcast_to(x, {2, 3}).is_same(x));
}

TEST_CASE("broadcast_to refuses shapes the tensor cannot be broadcast to") {
  CHECK_THROWS_AS(xg::broadcast_to(iota({3}), {2, 2}), xg::ShapeError);
  CHECK_THROWS_WITH(xg::broadcast_to(iota({3}), {2, 2}),
                    Catch::Contains("broadcast_to") && Catch::Contains("[3]") && Catch::Contains("[2, 2]"));
  // fits the rule, but only by growing the tensor's target: [2, 3] cannot shrink to [3]
  CHECK_THROWS_WITH(xg::broadcast_to(iota({2, 3}), {3}),
                    Catch::Contains("broadcast_to") && Catch::Contains("[2, 3]") && Catch::Contains("[3]"));
  CHECK_THROWS_AS(xg::broadcast_to(iota({2, 1}), {1, 3}), xg::ShapeError);
  CHECK_THROWS_AS(xg::broadcast_to(iota({3}), {-1, 3}), xg::ValueError);
}

TEST_CASE("broadcast_to backward sums the gradient over the copies", "[op:broadcast_to]") {
  const Tensor x = xg::tensor({{1}, {2}}, {.dtype = xg::float64, .requires_grad = true});
  xg::broadcast_to(x, {3, 2, 4}).backward(xg::ones({3, 2, 4}, xg::float64));
  CHECK(x.grad().shape() == Shape{2, 1});
  CHECK_THAT(x.grad().to_vector(), Equals(std::vector<double>{12, 12}));
  xg::manual_seed(1);
  struct Case {
    Shape from, to;
  };
  for (const Case& c : std::vector<Case>{{{3}, {2, 3}}, {{3, 1}, {3, 4}}, {{}, {2, 3}}, {{2, 1, 3}, {4, 2, 5, 3}}}) {
    DYNAMIC_SECTION(xg::format_shape(c.from) << " to " << xg::format_shape(c.to)) {
      const Shape to = c.to;
      const xg::TensorFunction fn = [to](const Inputs& in) { return xg::broadcast_to(in[0], to); };
      const Inputs in{random64(c.from)};
      CHECK_THAT(in, xg::testing::PassesGradcheck(fn));
      CHECK_THAT(in, xg::testing::PassesGradgradcheck(fn));
    }
  }
}

// ---- sum_to ----

TEST_CASE("sum_to sums away leading axes") {
  const Tensor y = xg::sum_to(iota({2, 3}), {3});
  CHECK(y.shape() == Shape{3});
  CHECK_THAT(y.to_vector(), Equals(std::vector<double>{3, 5, 7}));
  const Tensor z = xg::sum_to(iota({2, 2, 3}), {3});
  CHECK_THAT(z.to_vector(), Equals(std::vector<double>{18, 22, 26}));
}

TEST_CASE("sum_to sums axes where the target has size 1 and keeps them") {
  const Tensor rows = xg::sum_to(iota({2, 3}), {2, 1});
  CHECK(rows.shape() == Shape{2, 1});
  CHECK_THAT(rows.to_vector(), Equals(std::vector<double>{3, 12}));
  const Tensor columns = xg::sum_to(iota({2, 3}), {1, 3});
  CHECK(columns.shape() == Shape{1, 3});
  CHECK_THAT(columns.to_vector(), Equals(std::vector<double>{3, 5, 7}));
  // [2, 3, 4] -> [3, 1]: the leading axis and the last one summed
  const Tensor mixed = xg::sum_to(iota({2, 3, 4}), {3, 1});
  CHECK(mixed.shape() == Shape{3, 1});
  CHECK_THAT(mixed.to_vector(),
             Equals(std::vector<double>{(0 + 1 + 2 + 3) + (12 + 13 + 14 + 15), (4 + 5 + 6 + 7) + (16 + 17 + 18 + 19),
                                        (8 + 9 + 10 + 11) + (20 + 21 + 22 + 23)}));
  const Tensor inner = xg::sum_to(iota({2, 3, 4}), {2, 1, 4});
  CHECK(inner.shape() == Shape{2, 1, 4});
  CHECK_THAT(inner.to_vector(), Equals(std::vector<double>{12, 15, 18, 21, 48, 51, 54, 57}));
}

TEST_CASE("sum_to a 0-d shape sums every element") {
  const Tensor total = xg::sum_to(iota({2, 3}), {});
  CHECK(total.shape() == Shape{});
  CHECK(total.item() == 15.0);
  const Tensor ones = xg::sum_to(iota({2, 3}), {1, 1});
  CHECK(ones.shape() == Shape{1, 1});
  CHECK(ones.item() == 15.0);
}

TEST_CASE("sum_to its own shape returns the same tensor") {
  const Tensor x = iota({2, 3});
  CHECK(xg::sum_to(x, {2, 3}).is_same(x));
}

TEST_CASE("sum_to refuses a shape the tensor does not broadcast from") {
  CHECK_THROWS_AS(xg::sum_to(iota({2, 3}), {4}), xg::ShapeError);
  CHECK_THROWS_WITH(xg::sum_to(iota({2, 3}), {4}),
                    Catch::Contains("sum_to") && Catch::Contains("[2, 3]") && Catch::Contains("[4]"));
  CHECK_THROWS_WITH(xg::sum_to(iota({2, 3}), {2, 2}),
                    Catch::Contains("sum_to") && Catch::Contains("[2, 3]") && Catch::Contains("[2, 2]"));
  CHECK_THROWS_WITH(xg::sum_to(iota({3}), {2, 3}),
                    Catch::Contains("sum_to") && Catch::Contains("[3]") && Catch::Contains("[2, 3]"));
}

TEST_CASE("sum_to backward broadcasts the gradient back", "[op:sum_to]") {
  const Tensor x = iota({2, 3}).requires_grad_();
  xg::sum_to(x, {1, 3}).backward(xg::tensor({{1, 2, 3}}, {.dtype = xg::float64}));
  CHECK_THAT(x.grad().to_vector(), Equals(std::vector<double>{1, 2, 3, 1, 2, 3}));
  xg::manual_seed(2);
  struct Case {
    Shape from, to;
  };
  for (const Case& c : std::vector<Case>{
           {{2, 3}, {3}}, {{2, 3}, {2, 1}}, {{2, 3}, {}}, {{4, 2, 5, 3}, {2, 1, 3}}, {{2, 3, 4}, {3, 1}}}) {
    DYNAMIC_SECTION(xg::format_shape(c.from) << " to " << xg::format_shape(c.to)) {
      const Shape to = c.to;
      const xg::TensorFunction fn = [to](const Inputs& in) { return xg::sum_to(in[0], to); };
      const Inputs in{random64(c.from)};
      CHECK_THAT(in, xg::testing::PassesGradcheck(fn));
      CHECK_THAT(in, xg::testing::PassesGradgradcheck(fn));
    }
  }
}

TEST_CASE("broadcast_to followed by sum_to multiplies by the number of copies") {
  xg::manual_seed(3);
  const Tensor x = xg::randn({2, 1}, xg::float64);
  const Tensor round_trip = xg::sum_to(xg::broadcast_to(x, {3, 2, 4}), {2, 1});
  CHECK(round_trip.shape() == Shape{2, 1});
  const std::vector<double> original = x.to_vector(), summed = round_trip.to_vector();
  CHECK(summed[0] == Approx(12 * original[0]));
  CHECK(summed[1] == Approx(12 * original[1]));
}
