// Guards the compiler workaround in autograd/CMakeLists.txt: GCC 12 at -O3 -march=native on an
// AVX-512 machine (SLP vectoriser, 512-bit vectors) filled this 8-element constant with 3s.
// Built with the same public flags as every xgrad user.
#include <catch2/catch.hpp>
#include <functional>
#include <vector>

namespace {
using Values = std::vector<double>;
struct Case {
  const char* name;
  Values expected;
  std::function<Values()> make;
};
__attribute__((noinline)) Values make_values() { return Values{3, 4, 5, 6}; }
}  // namespace

TEST_CASE("constant initialisers keep their zeros under xgrad's compiler flags") {
  std::vector<Case> cases = {
      {"a", Values{1, 1, 0, 0}, [] { return make_values(); }},
      {"b", {0.5, 0.5, 0, 0}, [] { return make_values(); }},
      {"c", {1, 1, 1, 0}, [] { return make_values(); }},
      {"d", {3, 3, 0, 0, 0, 0, 0, 0}, [] { return make_values(); }},
  };
  CHECK(cases[0].expected == Values{1, 1, 0, 0});
  CHECK(cases[1].expected[2] == 0.0);
  CHECK(cases[2].expected[3] == 0.0);
  REQUIRE(cases[3].expected.size() == 8);
  for (size_t i = 2; i < 8; ++i) CHECK(cases[3].expected[i] == 0.0);
}
