#include <autograd/tensor.hpp>
#include <catch2/catch.hpp>
TEST_CASE("placeholder") { CHECK(xg::ones({2}).numel() == 2); }
