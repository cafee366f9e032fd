// Tests of optim/clip_grad: clip_grad_norm_ with norms 2, 1 and inf over several gradients, the
// returned norm, nothing changed below max_norm, clip_grad_value_, and the argument checks.
#include <optim/clip_grad.hpp>

#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/tensor.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using xg::Tensor;
using xg::optim::clip_grad_norm_;
using xg::optim::clip_grad_value_;

namespace {

// A parameter whose gradient is `grad`.
Tensor with_grad(std::vector<double> grad, xg::Dtype dtype = xg::float64) {
  const xg::Shape shape = {static_cast<int64_t>(grad.size())};
  Tensor param = xg::zeros(shape, {.dtype = dtype, .requires_grad = true});
  param.mutable_grad() = xg::from_vector(grad, shape, {.dtype = dtype});
  return param;
}

void check_values(const Tensor& t, const std::vector<double>& expected, double epsilon = 1e-14) {
  const std::vector<double> values = t.to_vector();
  REQUIRE(values.size() == expected.size());
  for (size_t k = 0; k < values.size(); ++k) {
    INFO("element " << k);
    CHECK(values[k] == Approx(expected[k]).epsilon(epsilon));
  }
}

}  // namespace

TEST_CASE("clip_grad_norm_ scales all gradients together to max_norm in the 2-norm") {
  Tensor a = with_grad({3.0, 4.0});
  Tensor b = with_grad({12.0});
  const double total = clip_grad_norm_({a, b}, 6.5);
  CHECK(total == Approx(13.0).epsilon(1e-15));  // sqrt(9 + 16 + 144)
  const double coef = 6.5 / (13.0 + 1e-6);
  check_values(a.grad(), {3.0 * coef, 4.0 * coef});
  check_values(b.grad(), {12.0 * coef});
}

TEST_CASE("clip_grad_norm_ with norm_type INFINITY uses the largest magnitude") {
  Tensor a = with_grad({-3.0, 2.0});
  Tensor b = with_grad({1.0, -0.5});
  const double total = clip_grad_norm_({a, b}, 1.5, INFINITY);
  CHECK(total == 3.0);
  const double coef = 1.5 / (3.0 + 1e-6);
  check_values(a.grad(), {-3.0 * coef, 2.0 * coef});
  check_values(b.grad(), {1.0 * coef, -0.5 * coef});
}

TEST_CASE("clip_grad_norm_ with norm_type 1 sums the magnitudes") {
  Tensor a = with_grad({-1.0, 2.0});
  Tensor b = with_grad({3.0});
  const double total = clip_grad_norm_({a, b}, 3.0, 1.0);
  CHECK(total == Approx(6.0).epsilon(1e-15));
  const double coef = 3.0 / (6.0 + 1e-6);
  check_values(a.grad(), {-coef, 2.0 * coef});
}

TEST_CASE("clip_grad_norm_ leaves gradients below max_norm unchanged and still returns the norm") {
  Tensor a = with_grad({0.3, -0.4});
  const uint32_t version = a.grad().version();
  CHECK(clip_grad_norm_({a}, 1.0) == Approx(0.5).epsilon(1e-15));
  CHECK(a.grad().to_vector() == std::vector<double>{0.3, -0.4});
  CHECK(a.grad().version() == version);
  // exactly at max_norm the 1e-6 keeps the coefficient just below 1, as torch
  Tensor b = with_grad({3.0, 4.0});
  clip_grad_norm_({b}, 5.0);
  check_values(b.grad(), {3.0 * 5.0 / (5.0 + 1e-6), 4.0 * 5.0 / (5.0 + 1e-6)});
}

TEST_CASE("clip_grad_norm_ skips parameters without a gradient and returns 0 when none has one") {
  Tensor none = xg::zeros({2}, {.dtype = xg::float64, .requires_grad = true});
  Tensor a = with_grad({6.0, 8.0});
  CHECK(clip_grad_norm_({none, a}, 5.0) == Approx(10.0));
  CHECK_FALSE(none.grad().defined());
  check_values(a.grad(), {6.0 * 5.0 / (10.0 + 1e-6), 8.0 * 5.0 / (10.0 + 1e-6)});
  CHECK(clip_grad_norm_({none}, 1.0) == 0.0);
  CHECK(clip_grad_norm_({}, 1.0) == 0.0);
}

TEST_CASE("clip_grad_norm_ clips float32 gradients in float32") {
  Tensor a = with_grad({3.0, 4.0}, xg::float32);
  CHECK(clip_grad_norm_({a}, 1.0) == Approx(5.0));
  CHECK(a.grad().dtype() == xg::float32);
  check_values(a.grad(), {0.6, 0.8}, 1e-6);
}

TEST_CASE("clip_grad_norm_ clips a gradient that is itself part of a graph") {
  // a gradient built with create_graph requires grad; clipping must not need grad mode off
  Tensor x = xg::tensor({2.0}, {.dtype = xg::float64, .requires_grad = true});
  (x * x * x).sum().backward({}, {.create_graph = true});  // grad 3x² = 12
  REQUIRE(x.grad().requires_grad());
  CHECK(clip_grad_norm_({x}, 6.0) == Approx(12.0));
  CHECK(x.grad().item() == Approx(6.0 * 12.0 / (12.0 + 1e-6)));
  CHECK(xg::is_grad_enabled());
  x.mutable_grad() = Tensor();  // create_graph's cycle leaf -> grad -> history -> leaf (README)
}

TEST_CASE("clip_grad_norm_ reports a non-finite norm when asked and scales by it otherwise") {
  Tensor a = with_grad({NAN, 1.0});
  Tensor b = with_grad({2.0});
  CHECK_THROWS_AS(clip_grad_norm_({a, b}, 1.0, 2.0, true), xg::ValueError);
  CHECK_THROWS_WITH(clip_grad_norm_({a, b}, 1.0, 2.0, true),
                    Catch::Contains("clip_grad_norm_") && Catch::Contains("non-finite") && Catch::Contains("nan"));
  CHECK(b.grad().item() == 2.0);  // the check comes before any gradient changes
  CHECK(std::isnan(clip_grad_norm_({a, b}, 1.0)));
  CHECK(std::isnan(b.grad().item()));  // torch's behaviour without error_if_nonfinite
}

TEST_CASE("clip_grad_norm_ refuses a negative max_norm or a norm_type that is not positive") {
  Tensor a = with_grad({1.0});
  CHECK_THROWS_WITH(clip_grad_norm_({a}, -1.0), Catch::Contains("clip_grad_norm_") &&
                                                    Catch::Contains("max_norm = -1") &&
                                                    Catch::Contains("max_norm >= 0"));
  CHECK_THROWS_WITH(clip_grad_norm_({a}, 1.0, 0.0), Catch::Contains("norm_type = 0") && Catch::Contains("INFINITY"));
  CHECK_THROWS_WITH(clip_grad_norm_({a, Tensor()}, 1.0), Catch::Contains("parameter 1 is undefined"));
  CHECK(a.grad().item() == 1.0);
}

TEST_CASE("clip_grad_value_ clamps every gradient element to [-clip_value, clip_value]") {
  Tensor a = with_grad({-3.0, 0.2, 0.7});
  Tensor b = with_grad({5.0});
  Tensor none = xg::zeros({1}, {.dtype = xg::float64, .requires_grad = true});
  const uint32_t version = a.grad().version();
  clip_grad_value_({a, none, b}, 0.5);
  CHECK(a.grad().to_vector() == std::vector<double>{-0.5, 0.2, 0.5});
  CHECK(b.grad().to_vector() == std::vector<double>{0.5});
  CHECK(a.grad().version() > version);
  CHECK_FALSE(none.grad().defined());
  CHECK_THROWS_WITH(clip_grad_value_({a}, -0.1), Catch::Contains("clip_grad_value_") &&
                                                     Catch::Contains("clip_value = -0.1") &&
                                                     Catch::Contains("clip_value >= 0"));
}
