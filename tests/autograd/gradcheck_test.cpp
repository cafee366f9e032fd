// gradcheck / gradgradcheck: passing checks, the failing entry named, the contract checks (reentrancy,
// zero grad_output), kinks, several outputs, and anomaly mode off while they run.
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

TEST_CASE("gradcheck passes a correct function and says how close it was") {
  manual_seed(1);
  Tensor x = randn({3, 4}, float64).requires_grad_();
  Tensor w = randn({4, 2}, float64).requires_grad_();
  GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return tanh(matmul(in[0], in[1])); }, {x, w});
  CHECK(r.passed);
  CHECK(r.entries_checked == 3 * 2 * (12 + 8));
  CHECK(r.entries_failed == 0);
  CHECK(r.max_difference < 1e-8);
  CHECK_THAT(r.report(), Contains("gradcheck passed") && Contains("120 Jacobian entries"));
}

TEST_CASE("gradcheck names the input and element that differ and by how much") {
  Tensor a = tensor({1.0, 2.0}, {.dtype = float64});  // not checked
  Tensor x = tensor({{0.5, -1.5}, {2.0, 3.0}}, {.dtype = float64, .requires_grad = true});
  GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return bad_square(in[1]) * in[0]; }, {a, x});
  REQUIRE_FALSE(r.passed);
  CHECK(r.failure == "Jacobian mismatch");
  CHECK(r.input == 1);
  CHECK(r.input_shape == Shape{2, 2});
  // worst entry: x[1][1] = 3 against output [1, 1] (scaled by a[1] = 2): analytic 6, numerical 12
  CHECK(r.element == Shape{1, 1});
  CHECK(r.output_element == Shape{1, 1});
  CHECK(r.analytic == Approx(6.0));
  CHECK(r.numerical == Approx(12.0).epsilon(1e-8));
  CHECK(r.difference == Approx(6.0).epsilon(1e-6));
  CHECK(r.tolerance == Approx(1e-5 + 1e-3 * 12.0).epsilon(1e-6));
  CHECK(r.entries_failed == 4);
  CHECK(r.entries_checked == 16);
  const std::string report = r.report();
  CHECK_THAT(report, Contains("input 1") && Contains("input[1, 1]") && Contains("analytic   = 6") &&
                         Contains("numerical  = 12") && Contains("4 of 16"));
}

TEST_CASE("gradcheck catches a backward that is not reentrant") {
  Tensor x = tensor({1.0, 2.0}, {.dtype = float64, .requires_grad = true});
  GradcheckResult r = gradcheck(
      [](const std::vector<Tensor>& in) {
        Tensor out;
        {
          NoGradGuard no_grad;
          out = in[0] * 1.0;
        }
        return Tensor::record<CountingBackward>(out, {in[0]});
      },
      {x});
  REQUIRE_FALSE(r.passed);
  CHECK_THAT(r.failure, Contains("not reentrant"));
}

TEST_CASE("gradcheck catches a backward that ignores grad_output") {
  Tensor x = tensor({1.0, 2.0}, {.dtype = float64, .requires_grad = true});
  auto fn = [](const std::vector<Tensor>& in) {
    Tensor out;
    {
      NoGradGuard no_grad;
      out = in[0] * 1.0;
    }
    return Tensor::record<ConstantBackward>(out, {in[0]}).sum();
  };
  GradcheckResult r = gradcheck(fn, {x});
  REQUIRE_FALSE(r.passed);
  CHECK_THAT(r.failure, Contains("zero grad_output"));
}

TEST_CASE("gradcheck needs an input that requires grad and valid tolerances") {
  Tensor x = tensor({1.0}, {.dtype = float64});
  auto fn = [](const std::vector<Tensor>& in) { return in[0] * 2.0; };
  CHECK_THROWS_WITH(gradcheck(fn, {x}), Contains("no input requires grad"));
  x.requires_grad_();
  CHECK_THROWS_AS(gradcheck(fn, {x}, {.eps = 0.0}), ValueError);
}

TEST_CASE("an output independent of the inputs has a zero Jacobian, checked") {
  Tensor x = tensor({1.0, 2.0}, {.dtype = float64, .requires_grad = true});
  GradcheckResult r = gradcheck([](const std::vector<Tensor>&) { return ones({2}, float64); }, {x});
  CHECK(r.passed);
}

TEST_CASE("gradgradcheck passes twice-differentiable functions") {
  manual_seed(2);
  Tensor x = randn({2, 3}, float64).requires_grad_();
  Tensor w = randn({3, 2}, float64).requires_grad_();
  GradcheckResult r =
      gradgradcheck([](const std::vector<Tensor>& in) { return sigmoid(matmul(in[0], in[1])) * in[0].sum(); }, {x, w});
  CHECK(r.passed);
}

TEST_CASE("gradgradcheck finds a wrong second derivative that gradcheck cannot see") {
  // first derivative right (through the mul node), second wrong: a custom node whose backward
  // is correct in value but built from a constant, so it has no derivative of its own
  struct FrozenBackward final : Node {
    const char* name() const override { return "frozen_square"; }
    Grads backward(const Tensor& g) override { return {g * 2.0 * input(0).detach()}; }
  };
  auto fn = [](const std::vector<Tensor>& in) {
    Tensor out;
    {
      NoGradGuard no_grad;
      out = in[0] * in[0];
    }
    return Tensor::record<FrozenBackward>(out, {in[0]});
  };
  Tensor x = tensor({0.5, 1.5}, {.dtype = float64, .requires_grad = true});
  CHECK(gradcheck(fn, {x}).passed);
  GradcheckResult r = gradgradcheck(fn, {x});
  CHECK_FALSE(r.passed);
  CHECK(r.input == 0);
}

TEST_CASE("the Catch2 matcher reports the gradcheck text on failure") {
  Tensor x = tensor({1.0, -2.0}, {.dtype = float64, .requires_grad = true});
  CHECK_THAT((std::vector<Tensor>{x}),
             testing::PassesGradcheck([](const std::vector<Tensor>& in) { return in[0] * in[0]; }));
  CHECK_THAT((std::vector<Tensor>{x}),
             !testing::PassesGradcheck([](const std::vector<Tensor>& in) { return bad_square(in[0]); }));
  auto matcher = testing::PassesGradcheck([](const std::vector<Tensor>& in) { return bad_square(in[0]); });
  CHECK_FALSE(matcher.match({x}));
  CHECK_THAT(matcher.describe(), Contains("passes gradcheck") && Contains("Jacobian mismatch"));
  CHECK_THAT((std::vector<Tensor>{x}),
             testing::PassesGradgradcheck([](const std::vector<Tensor>& in) { return sin(in[0]); }));
}

TEST_CASE("kinks: relu, abs and clamp at their kinks pass, with the one-sided slopes reported") {
  Tensor x = tensor({-1.0, 0.0, 2.0}, {.dtype = float64, .requires_grad = true});
  GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return relu(in[0]); }, {x});
  CHECK(r.passed);
  REQUIRE(r.pairs.size() == 1);
  REQUIRE(r.pairs[0].kinks.size() == 1);
  const KinkReport& k = r.pairs[0].kinks[0];
  CHECK(k.element == Shape{1});
  CHECK(k.output_element == Shape{1});
  CHECK(k.value == 0.0);
  CHECK(k.left == 0.0);
  CHECK(k.right == Approx(1.0).epsilon(1e-6));
  CHECK(k.analytic == 0.0);
  CHECK(k.between);
  CHECK(r.max_difference < 1e-8);  // the passed kink is not counted as a difference
  CHECK_THAT(r.report(), Contains("gradcheck passed") &&
                             Contains("input 0 at [1] = 0 is a kink of the function: left slope 0, right slope 1, "
                                      "analytic 0 lies between them"));

  Tensor y = tensor({0.0, 1.5}, {.dtype = float64, .requires_grad = true});
  GradcheckResult ra = gradcheck([](const std::vector<Tensor>& in) { return abs(in[0]); }, {y});
  CHECK(ra.passed);  // the central difference at 0 is 0 = sign(0): no mismatch, so no kink to explain
  CHECK(ra.pairs[0].kinks.empty());
  // abs with the subgradient 1 at 0 (as x * sign-with-sign(0)=1 would give) still lies in [-1, 1]
  GradcheckResult ra1 = gradcheck(
      [](const std::vector<Tensor>& in) {
        return record_broken<AbsRightSlopeBackward>([&] { return abs(in[0]); }, {in[0]});
      },
      {y});
  CHECK(ra1.passed);
  REQUIRE(ra1.pairs[0].kinks.size() == 1);
  CHECK(ra1.pairs[0].kinks[0].left == Approx(-1.0).epsilon(1e-6));
  CHECK(ra1.pairs[0].kinks[0].right == Approx(1.0).epsilon(1e-6));
  CHECK(ra1.pairs[0].kinks[0].analytic == 1.0);

  Tensor z = tensor({0.0, 0.5, 1.0}, {.dtype = float64, .requires_grad = true});
  GradcheckResult rc = gradcheck([](const std::vector<Tensor>& in) { return clamp(in[0], 0.0, 1.0); }, {z});
  CHECK(rc.passed);
  REQUIRE(rc.pairs[0].kinks.size() == 2);
  CHECK(rc.pairs[0].kinks[0].element == Shape{0});
  CHECK(rc.pairs[0].kinks[1].element == Shape{2});
  CHECK(rc.pairs[0].kinks[1].left == Approx(1.0).epsilon(1e-6));
  CHECK(rc.pairs[0].kinks[1].right == 0.0);
}

TEST_CASE("kinks: a subgradient outside the one-sided slopes still fails, diagnosed") {
  Tensor x = tensor({-1.0, 0.0, 2.0}, {.dtype = float64, .requires_grad = true});
  GradcheckResult r = gradcheck(
      [](const std::vector<Tensor>& in) {
        return record_broken<BadSubgradientReluBackward>([&] { return relu(in[0]); }, {in[0]});
      },
      {x});
  REQUIRE_FALSE(r.passed);
  CHECK(r.entries_failed == 1);
  CHECK(r.element == Shape{1});
  REQUIRE(r.pairs[0].kinks.size() == 1);
  CHECK_FALSE(r.pairs[0].kinks[0].between);
  CHECK(r.diagnosis ==
        "the error is only at kinks of the function: input 0 at [1] = 0 has left slope 0, right slope 1, but "
        "analytic 3 lies outside them (a wrong subgradient)");
}

TEST_CASE("kinks: a large second derivative is not mistaken for a kink") {
  // f = 1000 x^2 at 0: the one-sided slopes are -1e-3 and 1e-3 (eps f''), but they halve with
  // the step, so a wrong analytic 5e-4 between them still fails
  struct OffsetSquareBackward final : Node {
    const char* name() const override { return "offset_square"; }
    Grads backward(const Tensor& g) override { return {g * (input(0) * 2000.0 + 5e-4)}; }
  };
  Tensor x = tensor({0.0}, {.dtype = float64, .requires_grad = true});
  GradcheckResult r = gradcheck(
      [](const std::vector<Tensor>& in) {
        return record_broken<OffsetSquareBackward>([&] { return in[0] * in[0] * 1000.0; }, {in[0]});
      },
      {x});
  CHECK_FALSE(r.passed);
  CHECK(r.pairs[0].kinks.empty());
  CHECK(r.analytic == Approx(5e-4));
}

TEST_CASE("gradcheck of a function with several outputs checks every (output, input) pair") {
  Tensor x = tensor({0.3, -0.7, 1.1}, {.dtype = float64, .requires_grad = true});
  Tensor y = tensor({2.0, 0.5, -1.0}, {.dtype = float64, .requires_grad = true});
  const TensorsFunction fn = [](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{xg::sin(in[0]), xg::sum(in[0] * in[1])};
  };
  const GradcheckResult r = xg::gradcheck(fn, {x, y});
  CHECK(r.passed);
  REQUIRE(r.pairs.size() == 4);  // (input 0, output 0), (input 0, output 1), (input 1, output 0), (input 1, output 1)
  CHECK(r.pairs[1].input == 0);
  CHECK(r.pairs[1].output == 1);
  CHECK(r.pairs[1].output_shape == Shape{});
  CHECK(r.entries_checked == 3 * 3 + 3 * 1 + 3 * 3 + 3 * 1);
  // output 0 does not depend on y: that pair's Jacobian is zero, and checked as such
  CHECK(r.pairs[2].numerical == 0.0);
  CHECK(r.pairs[2].analytic == 0.0);
  CHECK(xg::gradgradcheck(fn, {x, y}).passed);
}

TEST_CASE("with several outputs, kinks, reentrancy and zero grad_output are found at the second output") {
  Tensor x = tensor({0.0, 1.5}, {.dtype = float64, .requires_grad = true});
  // a wrong subgradient at the kink of output 1
  const GradcheckResult kink = xg::gradcheck(
      [](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{xg::tanh(in[0]),
                                   record_broken<BadSubgradientReluBackward>([&] { return xg::relu(in[0]); }, {in[0]})};
      },
      {x});
  REQUIRE_FALSE(kink.passed);
  CHECK(kink.output == 1);
  REQUIRE(kink.pairs.size() == 2);
  REQUIRE(kink.pairs[1].kinks.size() == 1);
  CHECK(kink.pairs[1].kinks[0].element == Shape{0});
  CHECK(kink.pairs[1].kinks[0].output_element == Shape{0});
  CHECK_THAT(kink.diagnosis, Contains("only at kinks"));
  // a valid subgradient at the kink of output 1 passes, and the report names the output
  const GradcheckResult valid = xg::gradcheck(
      [](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{xg::tanh(in[0]), xg::relu(in[0])};
      },
      {x});
  CHECK(valid.passed);
  CHECK_THAT(valid.report(), Contains("is a kink of the function (output 1 at [0])"));
  // a backward that is not reentrant, in output 1 only
  const GradcheckResult reentrant = xg::gradcheck(
      [](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{xg::sin(in[0]),
                                   record_broken<CountingBackward>([&] { return in[0] * 1.0; }, {in[0]})};
      },
      {x});
  REQUIRE_FALSE(reentrant.passed);
  CHECK_THAT(reentrant.failure, StartsWith("backward is not reentrant"));
  CHECK(reentrant.output == 1);
  // a backward that ignores grad_output, in output 1 only: under the sum its ones are the right
  // Jacobian, so only the zero grad_output check can see it
  const GradcheckResult zero = xg::gradcheck(
      [](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{xg::sin(in[0]),
                                   xg::sum(record_broken<ConstantBackward>([&] { return in[0] * 1.0; }, {in[0]}))};
      },
      {x});
  REQUIRE_FALSE(zero.passed);
  CHECK(zero.failure == "non-zero gradient for a zero grad_output");
}

namespace {
// The README's example, verbatim: y = x + b with x [3, 2], b [2]; the bug: the bias gradient
// is averaged, not summed
struct BiasAddBackward final : xg::Node {
  const char* name() const override { return "bias_add"; }
  xg::Grads backward(const xg::Tensor& grad_output) override {
    return {grad_output, xg::mean(grad_output, 0)};  // should be xg::sum(grad_output, 0)
  }
};
xg::Tensor bias_add(const xg::Tensor& x, const xg::Tensor& b) {
  xg::Tensor out;
  {
    xg::NoGradGuard no_grad;
    out = x + b;
  }
  return xg::Tensor::record<BiasAddBackward>(out, {x, b});
}
}  // namespace

TEST_CASE("the README's broken bias_add: report and check_op", "[.print]") {
  xg::Tensor x = xg::tensor({{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}}, {.dtype = xg::float64, .requires_grad = true});
  xg::Tensor b = xg::tensor({1.0, -1.0}, {.dtype = xg::float64, .requires_grad = true});
  auto fn = [](const std::vector<xg::Tensor>& in) { return bias_add(in[0], in[1]); };
  xg::GradcheckResult r = xg::gradcheck(fn, {x, b});
  std::cout << r.report() << "\n";
  std::cout << "----\n" << xg::check_op(fn, {{3, 2}, {2}}).report() << "\n";
}
