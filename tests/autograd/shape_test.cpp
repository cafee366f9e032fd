// Shape helpers: formatting, element counts, axis normalisation.
#include <autograd/error.hpp>
#include <autograd/ops/shape.hpp>
#include <autograd/shape.hpp>
#include <autograd/tensor.hpp>

#include <catch2/catch.hpp>

using namespace xg;

TEST_CASE("shapes format as bracketed lists") {
  CHECK(format_shape({3, 4}) == "[3, 4]");
  CHECK(format_shape({}) == "[]");
  CHECK(numel({2, 3, 4}) == 24);
  CHECK(numel({}) == 1);
  CHECK(numel({5, 0}) == 0);
}

TEST_CASE("negative axes count from the end and out-of-range axes name the op") {
  CHECK(normalize_axis(-1, 3, "sum") == 2);
  CHECK(normalize_axis(0, 3, "sum") == 0);
  CHECK(normalize_axis(-1, 0, "sum") == 0);  // a 0-d tensor takes 0 and -1, as torch
  CHECK_THROWS_AS(normalize_axis(3, 3, "sum"), ShapeError);
  CHECK_THROWS_WITH(normalize_axis(-4, 3, "softmax"),
                    Catch::Contains("softmax") && Catch::Contains("axis -4") && Catch::Contains("-3 to 2"));
  CHECK_THROWS_AS(check_sizes({2, -1}, "zeros"), ValueError);
}

TEST_CASE("shapes whose element count or strides overflow int64 are refused before any allocation") {
  // shape_fuzz's finding: [0, 2^62, 4] holds no element, but its strides overflow
  CHECK_THROWS_AS(xg::zeros({0, int64_t{1} << 62, 4}), xg::ValueError);
  CHECK_THROWS_WITH(xg::zeros({0, int64_t{1} << 62, 4}),
                    Catch::Contains("zeros") && Catch::Contains("more elements than int64 can count"));
  CHECK_THROWS_AS(xg::ones({int64_t{1} << 32, int64_t{1} << 32}), xg::ValueError);
  CHECK_THROWS_AS(xg::numel({int64_t{1} << 40, int64_t{1} << 40}), xg::ValueError);
  CHECK_THROWS_AS(xg::view(xg::zeros({0}), {0, int64_t{1} << 62, 4}), xg::ValueError);  // and its second finding
  CHECK(xg::numel({0, 5}) == 0);
}
