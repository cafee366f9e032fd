// nn::init: torch's formulas for gains, fans and bounds, through the seeded generator.
#include <autograd/error.hpp>
#include <autograd/random.hpp>
#include <nn/init.hpp>
#include <nn/linear.hpp>

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

TEST_CASE("fans of a tensor with a zero-sized dim are computed without dividing by zero") {
  CHECK(init::calculate_fan_in_and_fan_out(zeros({0, 4})) == std::pair<int64_t, int64_t>{4, 0});
  CHECK(init::calculate_fan_in_and_fan_out(zeros({4, 0})) == std::pair<int64_t, int64_t>{0, 4});
  CHECK(init::calculate_fan_in_and_fan_out(zeros({0, 3, 5})) == std::pair<int64_t, int64_t>{15, 0});
  CHECK(init::calculate_fan_in_and_fan_out(zeros({8, 3, 0, 5})) == std::pair<int64_t, int64_t>{0, 0});
}

TEST_CASE("xavier and kaiming refuse a zero fan they would divide by, naming it") {
  CHECK_THROWS_WITH(init::kaiming_uniform_(zeros({4, 0})),
                    Catch::Contains("kaiming_uniform_") && Catch::Contains("fan_in") && Catch::Contains("[4, 0]"));
  CHECK_THROWS_WITH(init::kaiming_normal_(zeros({0, 4}), 0.0, "fan_out"),
                    Catch::Contains("kaiming_normal_") && Catch::Contains("fan_out"));
  CHECK_THROWS_AS(init::xavier_uniform_(zeros({0, 0})), ValueError);
  CHECK_THROWS_WITH(init::xavier_normal_(zeros({0, 0, 2})), Catch::Contains("fan_in + fan_out"));
  // where the fan used is not zero, an empty tensor is simply left empty (torch: a no-op)
  Tensor empty = zeros({0, 4});
  CHECK(init::kaiming_uniform_(empty).numel() == 0);
  CHECK(init::xavier_uniform_(empty).shape() == Shape{0, 4});
}

TEST_CASE("initialisers take any handle, a temporary too, and return it") {
  manual_seed(4);
  nn::Linear layer(3, 2);
  Tensor returned = init::constant_(layer.parameters()[0], 0.5);  // the weight, through a temporary vector
  CHECK(returned.is_same(layer.weight));
  CHECK(layer.weight.to_vector() == std::vector<double>(6, 0.5));
  init::uniform_(layer.parameters()[1], 2.0, 3.0);
  for (double b : layer.bias.to_vector()) CHECK((b >= 2.0 && b <= 3.0));
  CHECK(init::zeros_(init::ones_(zeros({2}))).to_vector() == std::vector<double>{0, 0});
}

TEST_CASE("initialisers draw from the seeded generator") {
  Tensor a = zeros({10}), b = zeros({10});
  manual_seed(5);
  init::normal_(a);
  manual_seed(5);
  init::normal_(b);
  CHECK(a.to_vector() == b.to_vector());
}
