// check_op: every case of a correct op, skipped broadcast cases, the failing cases of broken ops.
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

TEST_CASE("check_op passes a correct op on every case, broadcast included") {
  auto fn = [](const std::vector<Tensor>& in) { return in[0] * tanh(in[1]); };
  CheckOpResult r = check_op(fn, {{3, 2}, {3, 2}});  // [2, 3, 2] * [3, 2] and [3, 2] * [2, 3, 2]
  CHECK(r.passed);
  REQUIRE(r.cases.size() == 7);
  CHECK(r.cases[0].name == "gradcheck");
  CHECK(r.cases[1].name == "gradgradcheck");
  CHECK(r.cases[2].name == "zero grad_output");
  CHECK(r.cases[3].name == "reentrancy");
  CHECK(r.cases[4].name == "strided inputs");
  CHECK(r.cases[5].name == "broadcast input 0");
  CHECK(r.cases[6].name == "broadcast input 1");
  for (const CheckOpCase& c : r.cases) {
    CHECK(c.passed);
    CHECK_FALSE(c.skipped);
  }
  CHECK_THAT(r.report(), StartsWith("check_op passed:") && Contains("broadcast input 1    ok"));
  CHECK_THAT(TensorFunction(fn), testing::PassesCheckOp({{3, 2}, {3, 2}}));
  // with b [2], b with a leading axis [2, 2] does not broadcast against a [3, 2]: skipped
  CheckOpResult r2 = check_op(fn, {{3, 2}, {2}});
  CHECK(r2.passed);
  CHECK_FALSE(r2.cases[5].skipped);
  CHECK(r2.cases[6].skipped);
}

TEST_CASE("check_op's strided case catches an op that reads its input's buffer as if it were row-major") {
  // what a kernel that forgets strides does: numel() values from data_ptr, in storage order
  auto fn = [](const std::vector<Tensor>& in) {
    const double* p = in[0].data_ptr<double>();
    const Tensor values = from_vector(std::vector<double>(p, p + in[0].numel()), in[0].shape(), {.dtype = float64});
    return in[0] * 0.0 + values;
  };
  CheckOpResult r = check_op(fn, {{2, 3}});
  CHECK_FALSE(r.passed);
  CHECK(r.cases[4].name == "strided inputs");
  CHECK_FALSE(r.cases[4].passed);
  CHECK_THAT(r.cases[4].report, StartsWith("the result element 1: ") && Contains("from strided ones"));
}

TEST_CASE("check_op skips the broadcast case of an input the op does not broadcast") {
  auto fn = [](const std::vector<Tensor>& in) {
    if (in[0].dim() != 1) throw ShapeError("vector_op: expected a vector");
    return exp(in[0]);
  };
  CheckOpResult r = check_op(fn, {{3}});
  CHECK(r.passed);
  REQUIRE(r.cases.size() == 6);
  CHECK(r.cases[5].skipped);
  CHECK_THAT(r.report(), Contains("broadcast input 0    skipped (fn does not broadcast it)"));
}

TEST_CASE("check_op names the failing cases of broken ops") {
  CheckOpResult r = check_op([](const std::vector<Tensor>& in) { return bad_square(in[0]); }, {{2, 2}});
  CHECK_FALSE(r.passed);
  CHECK_FALSE(r.cases[0].passed);
  CHECK(r.cases[2].passed);  // zero grad_output
  CHECK(r.cases[3].passed);  // reentrancy
  CHECK(r.cases[4].passed);  // strided inputs: wrong, but alike for both layouts
  CHECK_FALSE(r.cases[5].passed);
  CHECK_THAT(r.report(), Contains("gradcheck            FAILED") && Contains("analytic is 0.5 x numerical everywhere"));

  // grad_output ignored: the zero-grad-output case fails
  CheckOpResult constant = check_op(
      [](const std::vector<Tensor>& in) {
        return record_broken<ConstantBackward>([&] { return in[0] * 1.0; }, {in[0]});
      },
      {{2}});
  CHECK_FALSE(constant.cases[2].passed);
  CHECK_THAT(constant.cases[2].report, StartsWith("a zero grad_output gave gradient 1 at input 0"));

  // a backward that counts its calls is not reentrant
  struct CountingUpBackward final : Node {
    int calls = 0;
    const char* name() const override { return "counting_up"; }
    Grads backward(const Tensor& g) override { return {g * static_cast<double>(++calls)}; }
  };
  CheckOpResult counting = check_op(
      [](const std::vector<Tensor>& in) {
        return record_broken<CountingUpBackward>([&] { return in[0] * 1.0; }, {in[0]});
      },
      {{2}});
  CHECK_FALSE(counting.cases[3].passed);
  CHECK_THAT(counting.cases[3].report, Contains("first backward") && Contains("second"));
  // a backward that throws on the broadcast shapes fails that case with the error, not the sweep
  CheckOpResult mean_bias = check_op(
      [](const std::vector<Tensor>& in) {
        return record_broken<MeanInsteadOfSumBackward>([&] { return in[0] + in[1]; }, {in[0], in[1]});
      },
      {{3, 2}, {2}});
  CHECK_FALSE(mean_bias.passed);
  CHECK_THAT(mean_bias.cases[0].report, Contains("gradient not summed over axis 0: analytic is 1/3 of numerical"));
  CHECK(mean_bias.cases[5].name == "broadcast input 0");
  CHECK_FALSE(mean_bias.cases[5].passed);
  CHECK_THAT(mean_bias.cases[5].report, StartsWith("threw: BadAddMeanBackward: backward returned a gradient of shape"));
  CHECK(mean_bias.cases[6].skipped);
  auto matcher = testing::PassesCheckOp({{2}});
  CHECK_FALSE(matcher.match([](const std::vector<Tensor>& in) { return bad_square(in[0]); }));
  CHECK_THAT(matcher.describe(), StartsWith("passes check_op\ncheck_op failed:"));
}

TEST_CASE("check_op reports a std::exception from the op as a failed case instead of ending the sweep") {
  const auto r = xg::check_op([](const std::vector<Tensor>&) -> Tensor { throw std::runtime_error("boom"); }, {{2}});
  CHECK_FALSE(r.passed);
  CHECK_THAT(r.report(), Contains("boom"));
}
