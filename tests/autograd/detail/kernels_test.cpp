// The op files' shared kernels: axis splits, hand-written reductions, checks.
#include <autograd/detail/kernels.hpp>
#include <autograd/error.hpp>

#include <catch2/catch.hpp>
#include <cmath>

using namespace xg;

TEST_CASE("an axis splits a shape into outer x n x inner") {
  const auto s = detail::split_at(std::vector<size_t>{2, 3, 4}, 1);
  CHECK(s.outer == 2);
  CHECK(s.n == 3);
  CHECK(s.inner == 4);
  const auto first = detail::split_at(std::vector<size_t>{5}, 0);
  CHECK(first.outer == 1);
  CHECK(first.n == 5);
  CHECK(first.inner == 1);
}

TEST_CASE("sum_all adds every value, the tail included") {
  std::vector<double> v(19);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i + 1);
  CHECK(detail::sum_all(v.data(), v.size()) == 190.0);
  CHECK(detail::sum_all(v.data(), 0) == 0.0);
}

TEST_CASE("sum_along and extremum_along reduce one axis, keeping it") {
  Array<double> a = {{{1, 5}, {3, 2}, {0, 7}}, {{4, 4}, {9, -1}, {2, 2}}};  // [2, 3, 2]
  Array<double> s = detail::sum_along(a, 1);
  REQUIRE(s.dimension() == 3);
  CHECK(s.shape(1) == 1);
  CHECK(s(0, 0, 0) == 4.0);
  CHECK(s(1, 0, 1) == 5.0);
  auto [best, index] = detail::extremum_along(a, 1, true);
  CHECK(best(0, 0, 1) == 7.0);
  CHECK(index(0, 0, 1) == 2);
  CHECK(index(1, 0, 1) == 0);  // the first of the tied 4 and... the max 4 at k = 0
  auto [low, low_index] = detail::extremum_along(a, 2, false);
  CHECK(low(1, 1, 0) == -1.0);
  CHECK(low_index(1, 1, 0) == 1);
}

TEST_CASE("extremum_along takes the first of tied values and propagates NaN") {
  Array<double> t = {2.0, 5.0, 5.0, 1.0};
  CHECK(detail::extremum_along(t, 0, true).second(0) == 1);
  Array<double> n = {2.0, NAN, 9.0};
  auto [m, i] = detail::extremum_along(n, 0, true);
  CHECK(std::isnan(m(0)));
  CHECK(i(0) == 1);
}

TEST_CASE("the shared checks name the op") {
  CHECK_THROWS_WITH(detail::check_same_dtype(ones({1}), ones({1}, float64), "mul"),
                    Catch::Contains("mul") && Catch::Contains("float32") && Catch::Contains("float64"));
  CHECK_THROWS_AS(detail::check_defined(Tensor(), "exp"), ValueError);
  CHECK(detail::scalar_like(ones({2}, float64), 2.5).dtype() == float64);
  CHECK(detail::scalar_like(ones({2}, float64), 2.5).dim() == 0);
}
