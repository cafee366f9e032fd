// The xtensor bridge: tensors from xt expressions and back.
#include <autograd/error.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/xtensor.hpp>

#include <catch2/catch.hpp>
#include <xtensor/xbuilder.hpp>

using namespace xg;

TEST_CASE("tensor() takes xtensor arrays and expressions, keeping the value type") {
  xt::xarray<double> a{{1.0, 2.0}, {3.0, 4.0}};
  Tensor t = tensor(a, true);
  CHECK(t.dtype() == float64);
  CHECK(t.requires_grad());
  CHECK(t.shape() == Shape{2, 2});
  CHECK(tensor(xt::xarray<float>{1.0f}).dtype() == float32);
  Tensor labels = tensor(xt::xarray<int>{0, 3, 1});
  CHECK(labels.dtype() == int64);
  CHECK(labels.to_vector() == std::vector<double>{0, 3, 1});
  CHECK(tensor(xt::arange<double>(4.0) * 2.0).to_vector() == std::vector<double>{0, 2, 4, 6});
  CHECK_THROWS_AS(tensor(xt::xarray<int64_t>{1}, true), DtypeError);
}

TEST_CASE("data<T>() returns the values as an xarray, converted if asked") {
  Tensor t = tensor({{1.5, 2.5}}, {.dtype = float64});
  xt::xarray<double> d = t.data<double>();
  CHECK(d.shape(0) == 1);
  CHECK(d(0, 1) == 2.5);
  xt::xarray<int64_t> i = t.data<int64_t>();
  CHECK(i(0, 0) == 1);
  xt::xarray<float> f = (t * 2.0).data<float>();
  CHECK(f(0, 1) == 5.0f);
}

TEST_CASE("data<T>() of a strided view gives the view's values in its own row-major order") {
  Tensor t = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, {.dtype = float64});
  xt::xarray<double> d = t.t().data<double>();
  REQUIRE(d.shape(0) == 3);
  CHECK(d(0, 1) == 4.0);
  CHECK(d(2, 0) == 3.0);
}
