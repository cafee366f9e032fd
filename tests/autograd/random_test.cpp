// The seeded generator: reproducibility and the distributions' moments.
#include <autograd/error.hpp>
#include <autograd/random.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>

using namespace xg;

namespace {
double mean_of(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }
double var_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / (v.size() - 1);
}
}  // namespace

TEST_CASE("the same seed gives the same tensors, another seed others") {
  manual_seed(42);
  const auto a = randn({5}).to_vector();
  const auto b = rand({3}).to_vector();
  manual_seed(42);
  CHECK(randn({5}).to_vector() == a);
  CHECK(rand({3}).to_vector() == b);
  manual_seed(43);
  CHECK(randn({5}).to_vector() != a);
}

TEST_CASE("float32 and float64 draws from one seed agree up to rounding") {
  manual_seed(7);
  const auto f = randn({4}, float32).to_vector();
  manual_seed(7);
  const auto d = randn({4}, float64).to_vector();
  for (size_t i = 0; i < 4; ++i) CHECK(f[i] == Approx(d[i]).epsilon(1e-6));
}

TEST_CASE("randn is standard normal, rand is uniform with 0 <= x < 1") {
  manual_seed(3);
  const auto n = randn({20000}, float64).to_vector();
  CHECK(mean_of(n) == Approx(0.0).margin(0.03));
  CHECK(var_of(n) == Approx(1.0).epsilon(0.03));
  const auto u = rand({20000}, float64).to_vector();
  CHECK(*std::min_element(u.begin(), u.end()) >= 0.0);
  CHECK(*std::max_element(u.begin(), u.end()) < 1.0);
  CHECK(mean_of(u) == Approx(0.5).margin(0.01));
  CHECK(var_of(u) == Approx(1.0 / 12).epsilon(0.03));
}

TEST_CASE("uniform, normal, randint and randperm") {
  manual_seed(5);
  const auto u = uniform({10000}, -2.0, 3.0, {.dtype = float64}).to_vector();
  CHECK(*std::min_element(u.begin(), u.end()) >= -2.0);
  CHECK(*std::max_element(u.begin(), u.end()) < 3.0);
  CHECK(mean_of(normal({10000}, 5.0, 0.5, {.dtype = float64}).to_vector()) == Approx(5.0).margin(0.03));
  const auto r = randint(2, 5, {1000}).to_vector();
  CHECK(*std::min_element(r.begin(), r.end()) == 2.0);
  CHECK(*std::max_element(r.begin(), r.end()) == 4.0);
  auto p = randperm(10).to_vector();
  std::sort(p.begin(), p.end());
  for (int i = 0; i < 10; ++i) CHECK(p[i] == i);
  CHECK_THROWS_AS(uniform({2}, 1.0, 0.0), ValueError);
  CHECK_THROWS_AS(randint(3, 3, {1}), ValueError);
  CHECK_THROWS_AS(randn({-1}), ValueError);
  CHECK(randn({2}, {.requires_grad = true}).requires_grad());
}
