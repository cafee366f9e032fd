// square, rsqrt, log1p, expm1, atan2, maximum, minimum, clamp_min, clamp_max: values and
// gradients from torch 1.13, gradcheck and gradgradcheck, promotion and broadcasting.
#include <autograd/node.hpp>
#include <autograd/ops/arithmetic.hpp>
#include <autograd/ops/pointwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/tensor.hpp>
#include <autograd/testing.hpp>

#include <catch2/catch.hpp>
#include <support/tensors.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

using namespace xg::test;

namespace {
Tensor f64(const Values& v, const Shape& shape, bool requires_grad = true) {
  return xg::from_vector(v, shape, {.dtype = xg::float64, .requires_grad = requires_grad});
}
Values grad_of(const std::function<Tensor(const Tensor&)>& f, Tensor x) {
  x.mutable_grad() = Tensor();
  xg::sum(f(x)).backward();
  return x.grad().to_vector();
}
}  // namespace

TEST_CASE("square, rsqrt, log1p and expm1 give torch's values and gradients",
          "[op:square][op:rsqrt][op:log1p][op:expm1]") {
  const Tensor x = f64({0.25, 1, 4}, {3});
  CHECK_THAT(xg::rsqrt(x).to_vector(), Catch::Matchers::Approx(Values{2, 1, 0.5}));
  CHECK_THAT(xg::log1p(x).to_vector(),
             Catch::Matchers::Approx(Values{0.22314355131420976, 0.6931471805599453, 1.6094379124341003}));
  CHECK_THAT(xg::expm1(x).to_vector(),
             Catch::Matchers::Approx(Values{0.2840254166877415, 1.7182818284590453, 53.598150033144236}));
  CHECK(xg::square(x).to_vector() == Values{0.0625, 1, 16});
  CHECK_THAT(grad_of([](const Tensor& t) { return xg::rsqrt(t); }, x),
             Catch::Matchers::Approx(Values{-4, -0.5, -0.0625}));
  CHECK_THAT(grad_of([](const Tensor& t) { return xg::log1p(t); }, x), Catch::Matchers::Approx(Values{0.8, 0.5, 0.2}));
  CHECK_THAT(grad_of([](const Tensor& t) { return xg::expm1(t); }, x),
             Catch::Matchers::Approx(Values{1.2840254166877414, 2.7182818284590455, 54.598150033144236}));
  CHECK(grad_of([](const Tensor& t) { return xg::square(t); }, x) == Values{0.5, 2, 8});
  // accurate near 0, where log(1 + x) and exp(x) - 1 are off by 1e-7 relative
  CHECK(xg::log1p(f64({1e-10}, {1}, false)).item() == Approx(1e-10).epsilon(1e-9));
  CHECK(xg::expm1(f64({1e-10}, {1}, false)).item() == Approx(1e-10).epsilon(1e-9));
  CHECK(xg::rsqrt(f64({0}, {1}, false)).item() == std::numeric_limits<double>::infinity());
  // torch names: square is recorded as pow, the others by their names
  CHECK(std::string(xg::square(x).grad_fn()->name()) == "pow");
  CHECK(std::string(xg::rsqrt(x).grad_fn()->name()) == "rsqrt");
  // int64 square stays int64, as torch's
  const Tensor ints = xg::from_vector(std::vector<int64_t>{2, 3}, {2});
  CHECK(xg::square(ints).dtype() == xg::int64);
  CHECK(xg::square(ints).to_vector() == Values{4, 9});
  CHECK_THROWS_AS(xg::rsqrt(ints), xg::DtypeError);
  for (auto f : {+[](const Tensor& t) { return xg::rsqrt(t); }, +[](const Tensor& t) { return xg::log1p(t); },
                 +[](const Tensor& t) { return xg::expm1(t); }, +[](const Tensor& t) { return xg::square(t); }}) {
    xg::manual_seed(5);
    CHECK_DERIVATIVES((std::vector<Tensor>{f64((xg::rand({2, 3}, xg::float64) + 0.5).to_vector(), {2, 3})}),
                      [f](const std::vector<Tensor>& in) { return f(in[0]); });
  }
}

TEST_CASE("atan2 gives the angle of (b, a) and torch's gradients, broadcasting", "[op:atan2]") {
  // torch: a = [[1, -2]], b = [[3], [-1]]
  Tensor a = f64({1, -2}, {1, 2});
  Tensor b = f64({3, -1}, {2, 1});
  Tensor y = xg::atan2(a, b);
  CHECK(y.shape() == Shape{2, 2});
  CHECK_THAT(y.to_vector(), Catch::Matchers::Approx(Values{0.3217505543966422, -0.5880026035475675, 2.356194490192345,
                                                           -2.0344439357957027}));
  xg::sum(y).backward();
  CHECK_THAT(a.grad().to_vector(), Catch::Matchers::Approx(Values{-0.2, 0.03076923076923077}));
  CHECK_THAT(b.grad().to_vector(), Catch::Matchers::Approx(Values{0.05384615384615385, -0.1}));
  // the quadrants, as std::atan2
  const Tensor quadrants = xg::atan2(f64({1, -1, 0}, {3}, false), f64({-1, -1, 0}, {3}, false));
  CHECK_THAT(quadrants.to_vector(), Catch::Matchers::Approx(Values{3 * M_PI / 4, -3 * M_PI / 4, 0}));
  // float32 with float64 promotes, the gradients coming back in each dtype
  Tensor a32 = xg::tensor({1.0}, {.dtype = xg::float32, .requires_grad = true});
  Tensor out = xg::atan2(a32, f64({2}, {1}));
  CHECK(out.dtype() == xg::float64);
  xg::sum(out).backward();
  CHECK(a32.grad().dtype() == xg::float32);
  xg::manual_seed(6);
  CHECK_DERIVATIVES(
      (std::vector<Tensor>{random_input({2, 3}), f64((xg::rand({3}, xg::float64) + 0.5).to_vector(), {3})}),
      [](const std::vector<Tensor>& in) { return xg::atan2(in[0], in[1]); });
}

TEST_CASE("maximum and minimum pick element-wise, split the gradient at ties and propagate NaN as torch",
          "[op:maximum][op:minimum]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // torch: a = [1, 2, 3, nan], b = [3, 2, 1, 0]
  Tensor a = f64({1, 2, 3, nan}, {4});
  Tensor b = f64({3, 2, 1, 0}, {4});
  Tensor hi = xg::maximum(a, b);
  const Values hv = hi.to_vector();
  CHECK(Values(hv.begin(), hv.begin() + 3) == Values{3, 2, 3});
  CHECK(std::isnan(hv[3]));
  xg::sum(hi).backward();
  CHECK(a.grad().to_vector() == Values{0, 0.5, 1, 1});
  CHECK(b.grad().to_vector() == Values{1, 0.5, 0, 1});
  a.mutable_grad() = Tensor();
  b.mutable_grad() = Tensor();
  Tensor lo = xg::minimum(a, b);
  const Values lv = lo.to_vector();
  CHECK(Values(lv.begin(), lv.begin() + 3) == Values{1, 2, 1});
  CHECK(std::isnan(lv[3]));
  xg::sum(lo).backward();
  CHECK(a.grad().to_vector() == Values{1, 0.5, 0, 1});
  CHECK(b.grad().to_vector() == Values{0, 0.5, 1, 1});
  // int64 with float32 promotes to float32 (torch); broadcasting
  const Tensor m = xg::maximum(xg::from_vector(std::vector<int64_t>{1, 5}, {2}), xg::tensor({2.5, 1.0}));
  CHECK(m.dtype() == xg::float32);
  CHECK(m.to_vector() == Values{2.5, 5});
  CHECK(xg::minimum(f64({1, 2, 3}, {3, 1}, false), f64({2, 2}, {2}, false)).shape() == Shape{3, 2});
  xg::manual_seed(7);
  CHECK_DERIVATIVES((std::vector<Tensor>{random_input({2, 3}), random_input({3})}),
                    [](const std::vector<Tensor>& in) { return xg::maximum(in[0], in[1]); });
  CHECK_DERIVATIVES((std::vector<Tensor>{random_input({2, 3}), random_input({3})}),
                    [](const std::vector<Tensor>& in) { return xg::minimum(in[0], in[1]); });
}

TEST_CASE("clamp_min and clamp_max bound one side", "[op:clamp_min]") {
  CHECK(xg::clamp_min(xg::tensor({-1.0, 0.5, 2.0}), 0.0).to_vector() == Values{0, 0.5, 2});
  CHECK(xg::clamp_max(xg::tensor({-1.0, 0.5, 2.0}), 1.0).to_vector() == Values{-1, 0.5, 1});
  Tensor x = f64({-1, 0.5, 2}, {3});
  xg::sum(xg::clamp_min(x, 0.0) + xg::clamp_max(x, 1.0)).backward();
  CHECK(x.grad().to_vector() == Values{1, 2, 1});
}
