// Tests of autograd/format: tensors print as torch prints them (torch/_tensor_str.py), with
// xgrad's spelling of the suffixes ("dtype=float64", "requires_grad=true").
#include <autograd/format.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/tensor.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <vector>

namespace {

using xg::Tensor;

std::string printed(const Tensor& t) {
  std::ostringstream os;
  os << t;
  return os.str();
}

Tensor labels(const std::vector<int64_t>& values, const xg::Shape& shape) { return xg::from_vector(values, shape); }

std::vector<int64_t> count(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), int64_t{0});
  return v;
}

// Sets the default dtype for one test and restores float32 after it, even when a check throws.
struct DefaultDtype {
  explicit DefaultDtype(xg::Dtype dtype) { xg::set_default_dtype(dtype); }
  ~DefaultDtype() { xg::set_default_dtype(xg::float32); }
  DefaultDtype(const DefaultDtype&) = delete;
  DefaultDtype& operator=(const DefaultDtype&) = delete;
};

}  // namespace

// ---- number formats ----

TEST_CASE("integer-valued floats print with a trailing point") {
  CHECK(printed(xg::tensor({1, 2, 3})) == "tensor([1., 2., 3.])");
  CHECK(printed(xg::tensor({-1, 2, 10})) == "tensor([-1.,  2., 10.])");
  CHECK(printed(xg::tensor({0, 0})) == "tensor([0., 0.])");
}

TEST_CASE("non-integer floats print fixed with 4 decimals, padded to one width") {
  CHECK(printed(xg::tensor({0.5, 1.2})) == "tensor([0.5000, 1.2000])");
  CHECK(printed(xg::tensor({-0.5, 1.25})) == "tensor([-0.5000,  1.2500])");
  CHECK(printed(xg::tensor({12.5, 0.25, 0})) == "tensor([12.5000,  0.2500,  0.0000])");
}

TEST_CASE("tiny, huge or widely spread floats print in scientific notation") {
  CHECK(printed(xg::tensor({1e-5})) == "tensor([1.0000e-05])");
  CHECK(printed(xg::tensor({1e-5, 1.0})) == "tensor([1.0000e-05, 1.0000e+00])");
  CHECK(printed(xg::tensor({0.5, 1e9})) == "tensor([5.0000e-01, 1.0000e+09])");
  CHECK(printed(xg::tensor({0.001, 2.5})) == "tensor([1.0000e-03, 2.5000e+00])");  // spread > 1000
  CHECK(printed(xg::tensor({1.5e9}, {.dtype = xg::float64})) == "tensor([1.5000e+09], dtype=float64)");
  CHECK(printed(xg::tensor({-2.5e-7, 3.0})) == "tensor([-2.5000e-07,  3.0000e+00])");
}

TEST_CASE("integer-valued floats spanning more than a factor 1000 print in scientific notation as in torch") {
  CHECK(printed(xg::tensor({1, 2000})) == "tensor([1.0000e+00, 2.0000e+03])");
  CHECK(printed(xg::tensor({1e10})) == "tensor([1.0000e+10])");
  CHECK(printed(xg::tensor({1, 1000})) == "tensor([   1., 1000.])");
}

TEST_CASE("nan and inf print as words and do not widen the other entries") {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  CHECK(printed(xg::tensor({1, nan})) == "tensor([1., nan])");
  CHECK(printed(xg::tensor({0.5, inf, -inf})) == "tensor([0.5000,    inf,   -inf])");
  CHECK(printed(xg::tensor({nan, nan})) == "tensor([nan, nan])");
}

TEST_CASE("int64 tensors print their integers without a point") {
  CHECK(printed(labels({1, 2, 3}, {3})) == "tensor([1, 2, 3])");
  CHECK(printed(labels({1, -20, 300}, {3})) == "tensor([  1, -20, 300])");
  CHECK(printed(labels({0, 1, 2, 3}, {2, 2})) == "tensor([[0, 1],\n        [2, 3]])");
}

TEST_CASE("0-d tensors print their value without brackets") {
  CHECK(printed(xg::scalar_tensor(3.5)) == "tensor(3.5000)");
  CHECK(printed(xg::scalar_tensor(3.0)) == "tensor(3.)");
  CHECK(printed(xg::scalar_tensor(1e-6)) == "tensor(1.0000e-06)");
  CHECK(printed(labels({7}, {})) == "tensor(7)");
  CHECK(printed(xg::scalar_tensor(2.0, {.dtype = xg::float64})) == "tensor(2., dtype=float64)");
}

// ---- layout ----

TEST_CASE("a matrix prints one row per line, indented under the first") {
  CHECK(printed(xg::tensor({{1, 2}, {3, 4}})) == "tensor([[1., 2.],\n        [3., 4.]])");
  CHECK(printed(xg::tensor({{0.5, -1}, {3, 4}})) == "tensor([[ 0.5000, -1.0000],\n        [ 3.0000,  4.0000]])");
}

TEST_CASE("a 3-D tensor separates its matrices with a blank line") {
  CHECK(printed(xg::tensor({{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}})) ==
        "tensor([[[1., 2.],\n"
        "         [3., 4.]],\n"
        "\n"
        "        [[5., 6.],\n"
        "         [7., 8.]]])");
}

TEST_CASE("a long row wraps at 80 columns as in torch") {
  std::vector<double> values(30);
  std::iota(values.begin(), values.end(), 0.0);
  CHECK(printed(xg::from_vector(values, {30})) ==
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
        "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
        "        28., 29.])");
}

TEST_CASE("a suffix that would pass 80 columns goes on its own line as in torch") {
  std::vector<double> values(14);
  std::iota(values.begin(), values.end(), 0.0);
  CHECK(printed(xg::from_vector(values, {14}, {.requires_grad = true})) ==
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.],\n"
        "       requires_grad=true)");
  CHECK(printed(xg::tensor({0, 1, 2, 3}, {.requires_grad = true})) == "tensor([0., 1., 2., 3.], requires_grad=true)");
}

TEST_CASE("more than 1000 elements are summarised with ... and 3 items at each edge") {
  SECTION("a long int64 vector") {
    CHECK(printed(labels(count(2000), {2000})) == "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
  }
  SECTION("a long float vector, whose spread asks for scientific notation") {
    std::vector<double> values(2000);
    std::iota(values.begin(), values.end(), 0.0);
    CHECK(printed(xg::from_vector(values, {2000})) ==
          "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
          "        1.9990e+03])");
  }
  SECTION("a matrix: rows and columns") {
    CHECK(printed(labels(count(2000), {40, 50})) ==
          "tensor([[   0,    1,    2,  ...,   47,   48,   49],\n"
          "        [  50,   51,   52,  ...,   97,   98,   99],\n"
          "        [ 100,  101,  102,  ...,  147,  148,  149],\n"
          "        ...,\n"
          "        [1850, 1851, 1852,  ..., 1897, 1898, 1899],\n"
          "        [1900, 1901, 1902,  ..., 1947, 1948, 1949],\n"
          "        [1950, 1951, 1952,  ..., 1997, 1998, 1999]])");
  }
  SECTION("exactly 1000 elements are printed in full") {
    const std::string s = printed(labels(count(1000), {1000}));
    CHECK_THAT(s, !Catch::Contains("..."));
    CHECK_THAT(s, Catch::Contains(" 500,") && Catch::EndsWith("999])"));
  }
}

TEST_CASE("empty tensors print [] with their size unless they are 1-D, as torch") {
  CHECK(printed(xg::zeros({0})) == "tensor([])");
  CHECK(printed(xg::zeros({0, 3})) == "tensor([], size=[0, 3])");
  CHECK(printed(xg::zeros({0}, xg::int64)) == "tensor([], dtype=int64)");
}

// ---- suffixes ----

TEST_CASE("float64 tensors say their dtype when the default dtype is float32") {
  CHECK(printed(xg::tensor({1, 2}, {.dtype = xg::float64})) == "tensor([1., 2.], dtype=float64)");
  CHECK(printed(xg::tensor({1, 2}, {.dtype = xg::float32})) == "tensor([1., 2.])");
}

TEST_CASE("float32 tensors say their dtype when the default dtype is float64") {
  const DefaultDtype float64_default(xg::float64);
  CHECK(printed(xg::tensor({1, 2})) == "tensor([1., 2.])");
  CHECK(printed(xg::tensor({1, 2}, {.dtype = xg::float32})) == "tensor([1., 2.], dtype=float32)");
  CHECK(printed(labels({1, 2}, {2})) == "tensor([1, 2])");
}

TEST_CASE("a leaf that requires grad says so") {
  CHECK(printed(xg::tensor({1, 2}, {.requires_grad = true})) == "tensor([1., 2.], requires_grad=true)");
  CHECK(printed(xg::tensor({1, 2}, {.dtype = xg::float64, .requires_grad = true})) ==
        "tensor([1., 2.], dtype=float64, requires_grad=true)");
}

TEST_CASE("a non-leaf names its grad_fn and not requires_grad, as torch") {
  const Tensor a = xg::tensor({1, 2}, {.requires_grad = true});
  const Tensor b = xg::tensor({3, 4});
  CHECK(printed(a * b) == "tensor([3., 8.], grad_fn=<MulBackward>)");
  const Tensor c = xg::tensor({0.5, 1}, {.dtype = xg::float64, .requires_grad = true});
  CHECK(printed(c * c) == "tensor([0.2500, 1.0000], dtype=float64, grad_fn=<MulBackward>)");
  CHECK(printed((a * b).detach()) == "tensor([3., 8.])");
}

TEST_CASE("fmt::format of a tensor equals its operator<< output") {
  const Tensor a = xg::tensor({{0.5, 1.2}, {3, 4}}, {.requires_grad = true});
  for (const Tensor& t :
       {a, a * a, xg::tensor({1, 2}, {.dtype = xg::float64}), labels({1, 2, 3}, {3}), xg::scalar_tensor(3.5)}) {
    CHECK(fmt::format("{}", t) == printed(t));
    CHECK(xg::to_string(t) == printed(t));
  }
  CHECK(fmt::format("{}", xg::tensor({1, 2})) == "tensor([1., 2.])");
}

TEST_CASE("format_values prints only the nested values") {
  CHECK(xg::format_values(xg::tensor({{0.5, 1.2}})) == "[[0.5000, 1.2000]]");
  CHECK(xg::format_values(xg::scalar_tensor(3.5)) == "3.5000");
}

TEST_CASE("an undefined tensor prints as undefined") { CHECK(printed(Tensor()) == "tensor(undefined)"); }
