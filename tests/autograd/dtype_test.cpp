// Dtypes and the one dispatch helper.
#include <autograd/dtype.hpp>
#include <autograd/error.hpp>

#include <catch2/catch.hpp>
#include <string>

using namespace xg;

TEST_CASE("dtypes have torch's names") {
  CHECK(std::string(dtype_name(float32)) == "float32");
  CHECK(std::string(dtype_name(float64)) == "float64");
  CHECK(std::string(dtype_name(int64)) == "int64");
  CHECK(is_floating(float32));
  CHECK_FALSE(is_floating(int64));
  CHECK(dtype_of<double>() == float64);
}

TEST_CASE("dispatch calls the lambda with the element type") {
  auto size_of = [](auto tag) { return sizeof(tag); };
  CHECK(dispatch(float32, "op", size_of) == 4);
  CHECK(dispatch(float64, "op", size_of) == 8);
  CHECK(dispatch<false>(int64, "op", size_of) == 8);
  CHECK_THROWS_AS(dispatch(int64, "exp", size_of), DtypeError);
  CHECK_THROWS_WITH(dispatch(int64, "exp", size_of), Catch::Contains("exp") && Catch::Contains("int64"));
}
