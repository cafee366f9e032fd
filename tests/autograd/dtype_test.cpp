// Dtypes and the one dispatch helper.
#include <autograd/dtype.hpp>
#include <autograd/error.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

using namespace xg;

TEST_CASE("dtypes have torch's names") {
  CHECK(std::string(dtype_name(float32)) == "float32");
  CHECK(std::string(dtype_name(float64)) == "float64");
  CHECK(std::string(dtype_name(int64)) == "int64");
  CHECK(is_floating(float32));
  CHECK_FALSE(is_floating(int64));
  CHECK(std::string(dtype_name(boolean)) == "bool");
  CHECK_FALSE(is_floating(boolean));
  CHECK(dtype_of<double>() == float64);
  CHECK(dtype_of<bool>() == boolean);
}

TEST_CASE("promote_types orders bool, int64, float32, float64 as torch.promote_types") {
  const Dtype order[] = {boolean, int64, float32, float64};
  for (size_t i = 0; i < 4; ++i) {
    for (size_t j = 0; j < 4; ++j) CHECK(promote_types(order[i], order[j]) == order[std::max(i, j)]);
  }
}

TEST_CASE("dispatch calls the lambda with the element type") {
  auto size_of = [](auto tag) { return sizeof(tag); };
  CHECK(dispatch(float32, "op", size_of) == 4);
  CHECK(dispatch(float64, "op", size_of) == 8);
  CHECK(dispatch<Dtypes::numeric>(int64, "op", size_of) == 8);
  CHECK_THROWS_AS(dispatch(int64, "exp", size_of), DtypeError);
  CHECK_THROWS_WITH(dispatch(int64, "exp", size_of), Catch::Contains("exp") && Catch::Contains("int64"));
  // bool only where a kernel says it takes it
  CHECK(dispatch<Dtypes::all>(boolean, "op", size_of) == 1);
  CHECK(dispatch<Dtypes::all>(int64, "op", size_of) == 8);
  CHECK_THROWS_WITH(dispatch(boolean, "exp", size_of), Catch::Contains("exp") && Catch::Contains("bool"));
  CHECK_THROWS_WITH(dispatch<Dtypes::numeric>(boolean, "sum_to", size_of),
                    Catch::Contains("sum_to") && Catch::Contains("not implemented for bool"));
}
