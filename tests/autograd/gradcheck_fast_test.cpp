// gradcheck's fast mode: one random direction per input, the fallback to the full check, float32.
#include <autograd/anomaly.hpp>
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/gradcheck.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/linalg.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/random.hpp>
#include <autograd/testing.hpp>
#include <nn/linear.hpp>
#include <support/broken_ops.hpp>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <algorithm>
#include <functional>
#include <iostream>
#include <stdexcept>

using namespace xg;
using namespace xg::test;
using Catch::Contains;
using Catch::StartsWith;

TEST_CASE("fast mode passes a correct function with one direction per input") {
  manual_seed(4);
  Tensor x = randn({5, 4}, float64).requires_grad_();
  Tensor w = randn({4, 3}, float64).requires_grad_();
  GradcheckResult r =
      gradcheck([](const std::vector<Tensor>& in) { return tanh(matmul(in[0], in[1])); }, {x, w}, {.fast = true});
  CHECK(r.passed);
  CHECK_FALSE(r.fast_fallback);
  CHECK(r.entries_checked == 2);  // one direction per input, not 15 x 32 entries
  CHECK(r.max_difference < 1e-8);
  CHECK_THAT(r.report(), StartsWith("gradcheck passed (fast mode): 2 random directions"));
}

TEST_CASE("fast mode falls back to the full check on a mismatch and says so") {
  Tensor x = tensor({{0.5, -1.5}, {2.0, 3.0}}, {.dtype = float64, .requires_grad = true});
  GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return bad_square(in[0]); }, {x}, {.fast = true});
  REQUIRE_FALSE(r.passed);
  CHECK(r.fast_fallback);
  CHECK_THAT(r.fast_note, StartsWith("fast mode: for input 0 the random direction gave v^T J u") &&
                              Contains("fell back to the full check"));
  // the full check's findings: element, values, diagnosis
  CHECK(r.entries_checked == 16);
  CHECK(r.element == Shape{1, 1});
  CHECK(r.analytic == Approx(3.0));
  CHECK(r.numerical == Approx(6.0).epsilon(1e-8));
  CHECK_THAT(r.diagnosis, StartsWith("analytic is 0.5 x numerical everywhere"));
  CHECK_THAT(r.report(), StartsWith("fast mode: for input 0") && Contains("input[1, 1]"));
}

TEST_CASE("fast mode with keep_float32 perturbs float32 inputs as float32 with Stan's step") {
  manual_seed(8);
  Tensor x = randn({6}).requires_grad_();  // float32
  const auto fn = [](const std::vector<Tensor>& in) { return in[0] * xg::tanh(in[0]); };
  const GradcheckResult r = xg::gradcheck(fn, {x}, {.keep_float32 = true, .fast = true});
  CHECK(r.passed);
  CHECK_FALSE(r.fast_fallback);
  CHECK_THAT(r.report(), Contains("fast mode") && Contains("Stan's step"));
  // a float32 broken op fails in fast mode too, then in the full float32 check
  const GradcheckResult bad = xg::gradcheck([](const std::vector<Tensor>& in) { return bad_square(in[0]); }, {x},
                                            {.keep_float32 = true, .fast = true});
  CHECK_FALSE(bad.passed);
  CHECK(bad.fast_fallback);
  CHECK_THAT(bad.diagnosis, StartsWith("analytic is 0.5 x numerical everywhere"));
  // the fallback's full check stayed in float32 too
  REQUIRE(bad.pairs.size() == 1);
  CHECK(bad.pairs[0].dtype == float32);
  CHECK_THAT(bad.pairs[0].step_note, Contains("Stan's step"));
  CHECK_THAT(bad.step_note, Contains("float32 kept"));
}
