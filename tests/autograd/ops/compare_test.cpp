// Comparisons, logical and bitwise ops, isnan/isinf/isfinite, any/all, nonzero: values from torch
// 1.13 (python3-torch), bool results that never require grad, promotion of mixed operands.
#include <autograd/format.hpp>
#include <autograd/ops/compare.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/tensor.hpp>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

using Catch::Matchers::Contains;
using xg::Shape;
using xg::Tensor;
using Values = std::vector<double>;

namespace {
const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

Tensor f32(const Values& v, const Shape& shape) { return xg::from_vector(v, shape, {.dtype = xg::float32}); }
Tensor i64(const std::vector<int64_t>& v) { return xg::from_vector(v, {static_cast<int64_t>(v.size())}); }
Tensor mask(const Values& v, const Shape& shape) { return xg::from_vector(v, shape, {.dtype = xg::boolean}); }

// a bool tensor's values as 0/1, after checking that it is one and has no history
Values bools(const Tensor& t) {
  CHECK(t.dtype() == xg::boolean);
  CHECK_FALSE(t.requires_grad());
  return t.to_vector();
}
}  // namespace

TEST_CASE("comparisons broadcast and give torch's bool results, NaN comparing unequal to everything",
          "[op:eq][op:ne][op:lt][op:le][op:gt][op:ge]") {
  // a = [[1, 2, nan], [4, -1, 0]], b = [1, 3, nan] (torch 1.13)
  const Tensor a = f32({1, 2, kNan, 4, -1, 0}, {2, 3}).requires_grad_();
  const Tensor b = f32({1, 3, kNan}, {3});
  CHECK((a == b).shape() == Shape{2, 3});
  CHECK(bools(a == b) == Values{1, 0, 0, 0, 0, 0});
  CHECK(bools(a != b) == Values{0, 1, 1, 1, 1, 1});
  CHECK(bools(a < b) == Values{0, 1, 0, 0, 1, 0});
  CHECK(bools(a <= b) == Values{1, 1, 0, 0, 1, 0});
  CHECK(bools(a > b) == Values{0, 0, 0, 1, 0, 0});
  CHECK(bools(a >= b) == Values{1, 0, 0, 1, 0, 0});
  CHECK(bools(xg::eq(a, b)) == bools(a == b));
  CHECK(bools(xg::ge(a, b)) == bools(a >= b));
  // with a number on either side
  CHECK(bools(a > 0) == Values{1, 1, 0, 1, 0, 0});
  CHECK(bools(0 < a) == Values{1, 1, 0, 1, 0, 0});
  CHECK(bools(2.0 >= a) == Values{1, 1, 0, 0, 1, 1});
  CHECK(bools(xg::ne(a, 2.0)) == Values{1, 0, 1, 1, 1, 1});
  CHECK(bools(xg::lt(a, 2.0)) == Values{1, 0, 0, 0, 1, 1});
  CHECK(bools(xg::le(a, 2.0)) == Values{1, 1, 0, 0, 1, 1});
  CHECK(bools(xg::gt(a, 2.0)) == Values{0, 0, 0, 1, 0, 0});
  // a float32 tensor compares with the number in float32: tensor(0.1) == 0.1 is True in torch
  CHECK(bools(xg::scalar_tensor(0.1, {.dtype = xg::float32}) == 0.1) == Values{1});
  CHECK(bools(xg::scalar_tensor(0.1, {.dtype = xg::float64}) == 0.1) == Values{1});
  // 0-d with 0-d, empty with anything
  CHECK((xg::scalar_tensor(1.0) < xg::scalar_tensor(2.0)).shape() == Shape{});
  CHECK((xg::zeros({0, 3}) == b).shape() == Shape{0, 3});
}

TEST_CASE("comparisons of mixed dtypes compare in their common dtype (torch's result_type)") {
  const Tensor i = i64({1, 2, 3});
  CHECK(bools(i > 1.5) == Values{0, 1, 1});
  CHECK(bools(i == 2) == Values{0, 1, 0});
  // a floating number with an int64 tensor compares in float32, an integer in int64 (torch):
  // tensor([16777217]) == 16777216.0 is True (both round to 2^24), == 16777216 is False
  CHECK(bools(i64({16777217}) == 16777216.0) == Values{1});
  CHECK(bools(i64({16777217}) == 16777216) == Values{0});
  CHECK(bools(i64({int64_t{1} << 62}) == (int64_t{1} << 62)) == Values{1});
  CHECK(bools(i == f32({1, 2.5, 3}, {3})) == Values{1, 0, 1});
  CHECK(bools(mask({1, 0}, {2}) == 1) == Values{1, 0});
  CHECK(bools(mask({1, 0}, {2}) == i64({1, 1})) == Values{1, 0});
  // torch.result_type for the pairs the comparisons meet
  CHECK(xg::result_type(i, xg::scalar_tensor(1.5, {.dtype = xg::float32})) == xg::float32);
  CHECK(xg::result_type(xg::ones({1}, xg::float32), xg::scalar_tensor(1, {.dtype = xg::float64})) == xg::float32);
  CHECK(xg::result_type(i, xg::scalar_tensor(1, {.dtype = xg::float64})) == xg::float64);
  CHECK(xg::result_type(mask({1}, {1}), xg::scalar_tensor(1, {.dtype = xg::int64})) == xg::int64);
  CHECK(xg::result_type(xg::scalar_tensor(1, {.dtype = xg::int64}), xg::scalar_tensor(1, {.dtype = xg::float64})) ==
        xg::float64);
  CHECK(xg::result_type(xg::ones({2}, xg::float32), xg::ones({2}, xg::float64)) == xg::float64);
  CHECK(xg::promote_types(xg::boolean, xg::int64) == xg::int64);
  CHECK(xg::promote_types(xg::int64, xg::float32) == xg::float32);
  CHECK(xg::promote_types(xg::float64, xg::float32) == xg::float64);
}

TEST_CASE("comparisons name themselves and both shapes when they cannot broadcast") {
  CHECK_THROWS_AS(xg::zeros({2, 3}) < xg::zeros({2}), xg::ShapeError);
  CHECK_THROWS_WITH(xg::zeros({2, 3}) < xg::zeros({2}), Contains("lt") && Contains("[2, 3]") && Contains("[2]"));
  CHECK_THROWS_WITH(xg::eq(Tensor(), 1.0), Contains("undefined"));
}

TEST_CASE("isclose, allclose and equal follow torch's tolerances, NaN and infinities", "[op:isclose]") {
  const Tensor a = xg::tensor({1, 1e-9, kNan, kInf, 1.0}, {.dtype = xg::float64});
  const Tensor b = xg::tensor({1 + 1e-6, 0, kNan, kInf, 1.1}, {.dtype = xg::float64});
  CHECK(bools(xg::isclose(a, b)) == Values{1, 1, 0, 1, 0});
  CHECK(bools(xg::isclose(a, b, 1e-5, 1e-8, true)) == Values{1, 1, 1, 1, 0});
  CHECK(bools(xg::isclose(a, b, 0.2)) == Values{1, 1, 0, 1, 1});
  CHECK(xg::allclose(xg::tensor({1.0, 2.0}), xg::tensor({1.0, 2.00001})));
  CHECK_FALSE(xg::allclose(xg::tensor({1.0, 2.0}), xg::tensor({1.0, 2.1})));
  CHECK(xg::equal(xg::tensor({1.0, 2.0}), xg::tensor({1.0, 2.0})));
  CHECK_FALSE(xg::equal(xg::tensor({1.0, 2.0}), xg::tensor({1.0, 2.0, 3.0})));  // shapes differ
  CHECK_FALSE(xg::equal(xg::tensor({kNan}), xg::tensor({kNan})));
  CHECK(xg::equal(i64({1, 2}), xg::tensor({1.0, 2.0})));  // compared in the common dtype
  CHECK_THROWS_AS(xg::isclose(a, b, -1.0), xg::ValueError);
  // |a - b| overflowing to inf is not close (torch: isclose([3e38], [-3e38], rtol=2) is False)
  CHECK(bools(xg::isclose(f32({3e38}, {1}), f32({-3e38}, {1}), 2.0)) == Values{0});
  // torch refuses mixed dtypes here ("Float did not match Double")
  CHECK_THROWS_AS(xg::isclose(xg::ones({2}), xg::ones({2}, xg::float64)), xg::DtypeError);
  CHECK(bools(xg::isclose(i64({1, 2}), i64({1, 3}))) == Values{1, 0});
}

TEST_CASE("logical ops take any dtype as truth values and return bool",
          "[op:logical_and][op:logical_or][op:logical_xor][op:logical_not]") {
  const Tensor x = xg::tensor({0, 1, 2, 0});
  const Tensor y = xg::from_vector(std::vector<int64_t>{1, 1, 0, 0}, {4});
  CHECK(bools(xg::logical_and(x, y)) == Values{0, 1, 0, 0});
  CHECK(bools(xg::logical_or(x, y)) == Values{1, 1, 1, 0});
  CHECK(bools(xg::logical_xor(x, y)) == Values{1, 0, 1, 0});  // torch: [True, False, True, False]
  CHECK(bools(xg::logical_not(x)) == Values{1, 0, 0, 1});
  // broadcast: [2, 1] with [3]
  CHECK(xg::logical_and(mask({1, 0}, {2, 1}), mask({1, 0, 1}, {3})).shape() == Shape{2, 3});
  CHECK(bools(xg::logical_and(mask({1, 0}, {2, 1}), mask({1, 0, 1}, {3}))) == Values{1, 0, 1, 0, 0, 0});
  CHECK(bools(xg::logical_not(xg::tensor({kNan}))) == Values{0});  // NaN is true, as in torch
}

TEST_CASE("bitwise ops combine masks and int64 values as torch's & | ^ ~",
          "[op:bitwise_and][op:bitwise_or][op:bitwise_xor][op:bitwise_not]") {
  const Tensor p = mask({1, 0, 1}, {3}), q = mask({1, 1, 0}, {3});
  CHECK(bools(p & q) == Values{1, 0, 0});
  CHECK(bools(p | q) == Values{1, 1, 1});
  CHECK(bools(p ^ q) == Values{0, 1, 1});
  CHECK(bools(~p) == Values{0, 1, 0});
  CHECK(bools(xg::bitwise_not(p)) == Values{0, 1, 0});
  CHECK(bools(xg::bitwise_and(p, q)) == Values{1, 0, 0});
  // int64: [5, 6] & [3, 3] = [1, 2]; ~[5, -1] = [-6, 0]; bool | int64 promotes: [1, 0] | [2, 4] = [3, 4]
  const Tensor ia = i64({5, 6}) & i64({3, 3});
  CHECK(ia.dtype() == xg::int64);
  CHECK(ia.to_vector() == Values{1, 2});
  CHECK((~i64({5, -1})).to_vector() == Values{-6, 0});
  CHECK((mask({1, 0}, {2}) | i64({2, 4})).to_vector() == Values{3, 4});
  CHECK(xg::bitwise_or(i64({1}), i64({2})).to_vector() == Values{3});
  CHECK(xg::bitwise_xor(i64({6}), i64({3})).to_vector() == Values{5});
  // x > 0 & x < 1, as a user writes a range mask
  const Tensor x = xg::tensor({-0.5, 0.5, 1.5});
  CHECK(bools((x > 0) & (x < 1)) == Values{0, 1, 0});
  // torch: "bitwise_and_cpu" not implemented for 'Float'
  CHECK_THROWS_AS(x & x, xg::DtypeError);
  CHECK_THROWS_WITH(~x, Contains("bitwise_not") && Contains("float32"));
}

TEST_CASE("isnan, isinf and isfinite test each value, and integers are finite", "[op:isnan][op:isinf][op:isfinite]") {
  const Tensor f = xg::tensor({1, kInf, -kInf, kNan});
  CHECK(bools(xg::isnan(f)) == Values{0, 0, 0, 1});
  CHECK(bools(xg::isinf(f)) == Values{0, 1, 1, 0});
  CHECK(bools(xg::isfinite(f)) == Values{1, 0, 0, 0});
  CHECK(bools(xg::isfinite(i64({1, 2}))) == Values{1, 1});
  CHECK(bools(xg::isnan(i64({1, 2}))) == Values{0, 0});
  CHECK(bools(xg::isinf(mask({1}, {1}))) == Values{0});
  CHECK(xg::isnan(xg::zeros({2, 0})).shape() == Shape{2, 0});
}

TEST_CASE("any and all reduce truth values over everything or along an axis", "[op:any][op:all]") {
  const Tensor x = xg::tensor({{0, 1, 2}, {0, 0, 3}});
  CHECK(bools(xg::any(x)) == Values{1});
  CHECK(xg::any(x).shape() == Shape{});
  CHECK(bools(xg::all(x)) == Values{0});
  CHECK(bools(xg::any(x, 0)) == Values{0, 1, 1});
  CHECK(bools(xg::all(x, 1)) == Values{0, 0});
  CHECK(bools(xg::all(x, -1)) == Values{0, 0});
  CHECK(xg::any(x, 1, true).shape() == Shape{2, 1});
  CHECK(bools(xg::any(x, 1, true)) == Values{1, 1});
  CHECK(bools(xg::all(x > -1, 0)) == Values{1, 1, 1});
  // empty: all() is true, any() false; all along an empty axis is true
  CHECK(bools(xg::all(xg::zeros({0}))) == Values{1});
  CHECK(bools(xg::any(xg::zeros({0}))) == Values{0});
  CHECK(bools(xg::all(xg::zeros({2, 0}), 1)) == Values{1, 1});
  // 0-d, along axis 0 as torch allows
  CHECK(bools(xg::any(xg::scalar_tensor(2.0), 0)) == Values{1});
  CHECK(bools(xg::all(xg::tensor({kNan}))) == Values{1});
  CHECK_THROWS_AS(xg::any(x, 2), xg::ShapeError);
}

TEST_CASE("nonzero lists positions row-major, count_nonzero counts them", "[op:nonzero][op:count_nonzero]") {
  const Tensor x = xg::tensor({{0, 1, 2}, {0, 0, 3}});
  const Tensor nz = xg::nonzero(x);
  CHECK(nz.dtype() == xg::int64);
  CHECK(nz.shape() == Shape{3, 2});
  CHECK(nz.to_vector() == Values{0, 1, 0, 2, 1, 2});  // torch: [[0, 1], [0, 2], [1, 2]]
  CHECK(xg::count_nonzero(x).item() == 3);
  CHECK(xg::count_nonzero(x).dtype() == xg::int64);
  CHECK(xg::nonzero(xg::zeros({2, 2})).shape() == Shape{0, 2});
  CHECK(xg::nonzero(xg::scalar_tensor(5.0)).shape() == Shape{1, 0});
  CHECK(xg::nonzero(mask({0, 1, 1}, {3})).to_vector() == Values{1, 2});
}

TEST_CASE("bool tensors print as torch's and convert to and from other dtypes") {
  const Tensor m = mask({1, 0, 1}, {3});
  CHECK(xg::to_string(m) == "tensor([ True, False,  True])");
  CHECK(xg::to_string(mask({1, 1}, {2})) == "tensor([True, True])");
  CHECK(xg::to_string(xg::scalar_tensor(1, {.dtype = xg::boolean})) == "tensor(True)");
  CHECK(xg::to_string(mask({}, {0})) == "tensor([], dtype=bool)");
  CHECK(xg::dtype_name(xg::boolean) == std::string("bool"));
  CHECK(m.to(xg::float32).to_vector() == Values{1, 0, 1});
  CHECK(m.to(xg::int64).dtype() == xg::int64);
  CHECK(bools(xg::tensor({0.0, 0.5, -2.0}).to(xg::boolean)) == Values{0, 1, 1});  // non-zero is true
  CHECK(bools(xg::full({2}, 3.0, xg::boolean)) == Values{1, 1});
  CHECK(xg::scalar_tensor(1, {.dtype = xg::boolean}).item() == 1.0);
  CHECK(xg::sum(m.to(xg::int64)).item() == 2);
  // sum counts (torch: (x > 0).sum() is an int64 tensor)
  CHECK(xg::sum(m).dtype() == xg::int64);
  CHECK(xg::sum(m).item() == 2);
  CHECK(xg::sum(mask({1, 1, 0, 1}, {2, 2}), 0).to_vector() == Values{1, 2});
  CHECK_THROWS_AS(mask({1}, {1}).requires_grad_(), xg::DtypeError);
  CHECK_THROWS_AS(xg::exp(m), xg::DtypeError);
  CHECK_THROWS_WITH(-m, Contains("neg") && Contains("bool"));
}
