// nn::init: torch's formulas for gains, fans and bounds, through the seeded generator.
#include <autograd/error.hpp>
#include <autograd/random.hpp>
#include <nn/init.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numeric>

using namespace xg;
namespace init = xg::nn::init;

namespace {
double stddev(const std::vector<double>& v) {
  const double m = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / v.size());
}
double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}
}  // namespace

TEST_CASE("fans and gains follow torch") {
  Tensor w = zeros({16, 784});
  CHECK(init::calculate_fan_in_and_fan_out(w) == std::pair<int64_t, int64_t>{784, 16});
  CHECK(init::calculate_fan_in_and_fan_out(zeros({8, 3, 5, 5})) == std::pair<int64_t, int64_t>{75, 200});
  CHECK(init::calculate_gain("tanh") == Approx(5.0 / 3.0));
  CHECK(init::calculate_gain("relu") == Approx(std::sqrt(2.0)));
  CHECK(init::calculate_gain("leaky_relu", std::sqrt(5.0)) == Approx(std::sqrt(1.0 / 3.0)));
  CHECK_THROWS_AS(init::calculate_gain("swish"), ValueError);
  CHECK_THROWS_AS(init::calculate_fan_in_and_fan_out(zeros({3})), ShapeError);
}

TEST_CASE("uniform, normal, constant, zeros and ones fill in place") {
  manual_seed(1);
  Tensor t = zeros({200, 100}, float64);
  Tensor alias = t;
  init::uniform_(t, -0.5, 0.5);
  CHECK(max_abs(alias.to_vector()) <= 0.5);
  CHECK(stddev(alias.to_vector()) == Approx(1.0 / std::sqrt(12.0)).epsilon(0.03));
  init::normal_(t, 0.0, 2.0);
  CHECK(stddev(t.to_vector()) == Approx(2.0).epsilon(0.03));
  init::constant_(t, 0.25);
  CHECK(t.to_vector()[7] == 0.25);
  init::ones_(t);
  CHECK(t.sum().item() == 20000.0);
  init::zeros_(t);
  CHECK(t.sum().item() == 0.0);
}

TEST_CASE("xavier and kaiming use torch's bounds and standard deviations") {
  manual_seed(2);
  Tensor w = zeros({300, 500}, float64);
  init::xavier_uniform_(w);
  const double a = std::sqrt(6.0 / 800.0);
  CHECK(max_abs(w.to_vector()) <= a);
  CHECK(max_abs(w.to_vector()) > 0.99 * a);
  init::xavier_normal_(w, 2.0);
  CHECK(stddev(w.to_vector()) == Approx(2.0 * std::sqrt(2.0 / 800.0)).epsilon(0.03));
  init::kaiming_uniform_(w, 0.0, "fan_in", "relu");
  const double bound = std::sqrt(2.0) * std::sqrt(3.0 / 500.0);
  CHECK(max_abs(w.to_vector()) <= bound);
  CHECK(max_abs(w.to_vector()) > 0.99 * bound);
  init::kaiming_normal_(w, 0.0, "fan_out", "relu");
  CHECK(stddev(w.to_vector()) == Approx(std::sqrt(2.0) / std::sqrt(300.0)).epsilon(0.03));
  CHECK_THROWS_AS(init::kaiming_uniform_(w, 0.0, "fan_avg"), ValueError);
}

TEST_CASE("initialisers draw from the seeded generator") {
  Tensor a = zeros({10}), b = zeros({10});
  manual_seed(5);
  init::normal_(a);
  manual_seed(5);
  init::normal_(b);
  CHECK(a.to_vector() == b.to_vector());
}
