// gradcheck / gradgradcheck: passing checks, reports that name the element, and the contract checks.
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

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <algorithm>
#include <functional>
#include <iostream>
#include <stdexcept>

using namespace xg;
using Catch::Contains;
using Catch::StartsWith;

namespace {

// A custom op with a deliberate bug: d(x^2)/dx computed as x instead of 2x.
struct HalfSquareBackward final : Node {
  const char* name() const override { return "bad_square"; }
  Grads backward(const Tensor& g) override { return {g * input(0)}; }
};
Tensor bad_square(const Tensor& x) {
  Tensor out;
  {
    NoGradGuard no_grad;
    out = x * x;
  }
  return Tensor::record<HalfSquareBackward>(out, {x});
}

// A backward that is not reentrant: it returns a different answer each run.
struct CountingBackward final : Node {
  int calls = 0;
  const char* name() const override { return "counting"; }
  Grads backward(const Tensor& g) override { return {g * static_cast<double>(1 + (calls++ > 2 ? 1 : 0))}; }
};

// A backward that ignores grad_output.
struct ConstantBackward final : Node {
  const char* name() const override { return "constant"; }
  Grads backward(const Tensor& g) override { return {ones_like(g)}; }
};

}  // namespace

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

TEST_CASE("gradcheck refuses float32 inputs unless asked to check float64 copies") {
  Tensor x = tensor({0.7}, {.requires_grad = true});  // float32
  auto fn = [](const std::vector<Tensor>& in) { return in[0] * tanh(in[0]); };
  CHECK_THROWS_AS(gradcheck(fn, {x}), DtypeError);
  CHECK_THROWS_WITH(gradcheck(fn, {x}), Contains("float32") && Contains("allow_float32"));
  GradcheckResult r = gradcheck(fn, {x}, {.allow_float32 = true});
  CHECK(r.passed);
  CHECK(r.max_difference < 1e-8);  // float64 copies: torch's float32 check is off by 9.3e-3 here
}

TEST_CASE("gradcheck does not modify its inputs") {
  Tensor x = tensor({0.25, 0.5}, {.dtype = float64, .requires_grad = true});
  gradcheck([](const std::vector<Tensor>& in) { return exp(in[0]); }, {x});
  CHECK(x.to_vector() == std::vector<double>{0.25, 0.5});
  CHECK(x.version() == 0);
  CHECK_FALSE(x.grad().defined());
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

// ---- reports per (output, input) pair, and the diagnosis of deliberately broken ops ----

namespace {

// Records `out` (computed without recording) with the node NodeT over `inputs`.
template <class NodeT, class... Args>
Tensor record_broken(const std::function<Tensor()>& forward, const std::vector<Tensor>& inputs, Args&&... args) {
  Tensor out;
  {
    NoGradGuard no_grad;
    out = forward();
  }
  return Tensor::record<NodeT>(out, inputs, std::forward<Args>(args)...);
}

// d(x^2)/dx with the sign flipped
struct NegatedSquareBackward final : Node {
  const char* name() const override { return "negated_square"; }
  Grads backward(const Tensor& g) override { return {g * -2.0 * input(0)}; }
};

// y = A x with a backward that multiplies by A instead of A^T
struct TransposedMatvecBackward final : Node {
  explicit TransposedMatvecBackward(Tensor a) : a_(std::move(a)) {}
  Tensor a_;
  const char* name() const override { return "bad_matvec"; }
  Grads backward(const Tensor& g) override { return {matmul(a_, g)}; }
};

// a [3, 2] + b [2] whose backward averages over the broadcast axis instead of summing
struct MeanInsteadOfSumBackward final : Node {
  const char* name() const override { return "bad_add_mean"; }
  Grads backward(const Tensor& g) override { return {g, mean(g, 0)}; }
};

// a [3, 2] + b [2] whose backward passes only the first row of grad_output to b
struct FirstRowOnlyBackward final : Node {
  const char* name() const override { return "bad_add_row"; }
  Grads backward(const Tensor& g) override {
    const Tensor first_row = tensor({{1.0, 1.0}, {0.0, 0.0}, {0.0, 0.0}}, {.dtype = float64});
    return {g, sum(g * first_row, 0)};
  }
};

// a backward that returns zeros (as if it assigned into a buffer that was then dropped)
struct ZeroBackward final : Node {
  const char* name() const override { return "zero_grad_op"; }
  Grads backward(const Tensor& g) override { return {zeros_like(g)}; }
};

// relu whose subgradient at 0 is 3 (outside [0, 1]); right everywhere else
struct BadSubgradientReluBackward final : Node {
  const char* name() const override { return "bad_relu"; }
  Grads backward(const Tensor& g) override {
    std::vector<double> slope = input(0).to_vector();
    for (double& v : slope) v = v > 0 ? 1.0 : (v == 0 ? 3.0 : 0.0);
    return {g * from_vector(slope, input(0).shape(), {.dtype = float64})};
  }
};

// abs with the subgradient 1 at 0 (a valid one: it lies in [-1, 1])
struct AbsRightSlopeBackward final : Node {
  const char* name() const override { return "abs_right"; }
  Grads backward(const Tensor& g) override {
    std::vector<double> slope = input(0).to_vector();
    for (double& v : slope) v = v >= 0 ? 1.0 : -1.0;
    return {g * from_vector(slope, input(0).shape(), {.dtype = float64})};
  }
};

}  // namespace

TEST_CASE("gradcheck reports each input's worst element, errors, tolerance, eps and dtype") {
  Tensor x = tensor({{0.5, -1.5}, {2.0, 3.0}}, {.dtype = float64, .requires_grad = true});
  GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return bad_square(in[0]); }, {x});
  REQUIRE_FALSE(r.passed);
  REQUIRE(r.pairs.size() == 1);
  const PairReport& p = r.pairs[0];
  CHECK(p.input == 0);
  CHECK(p.input_shape == Shape{2, 2});
  CHECK(p.output_shape == Shape{2, 2});
  CHECK(p.dtype == Dtype::float64);
  CHECK(p.element == Shape{1, 1});
  CHECK(p.output_element == Shape{1, 1});
  CHECK(p.analytic == Approx(3.0));
  CHECK(p.numerical == Approx(6.0).epsilon(1e-8));
  CHECK(p.abs_error == Approx(3.0).epsilon(1e-6));
  CHECK(p.rel_error == Approx(0.5).epsilon(1e-6));
  CHECK(p.tolerance == Approx(1e-5 + 1e-3 * 6.0).epsilon(1e-6));
  CHECK(p.entries_checked == 16);
  CHECK(p.entries_failed == 4);
  CHECK_FALSE(p.passed);
  // 16 entries: the Jacobian is kept whole, diagonal 2x analytic, 4x numerical... row-major [out][in]
  REQUIRE(p.analytic_jacobian.size() == 16);
  REQUIRE(p.numerical_jacobian.size() == 16);
  CHECK(p.analytic_jacobian[0] == Approx(0.5));
  CHECK(p.numerical_jacobian[0] == Approx(1.0).epsilon(1e-8));
  CHECK(p.analytic_jacobian[1] == 0.0);
  CHECK(p.analytic_jacobian[15] == Approx(3.0));
  CHECK(p.numerical_jacobian[15] == Approx(6.0).epsilon(1e-8));
  CHECK(r.diagnosis == "analytic is 0.5 x numerical everywhere: a missing factor or a path counted twice");
  CHECK(p.diagnosis == r.diagnosis);
  const std::string report = r.report();
  CHECK_THAT(report, Contains("diagnosis: analytic is 0.5 x numerical everywhere") && Contains("rel err") &&
                         Contains("eps 1e-06, float64") && Contains("4/16") &&
                         Contains("Jacobian d output / d input 0"));
}

TEST_CASE("gradcheck keeps a report for every input, passing ones too") {
  Tensor a = tensor({1.0, 2.0}, {.dtype = float64, .requires_grad = true});
  Tensor x = tensor({0.5, -1.5}, {.dtype = float64, .requires_grad = true});
  GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return bad_square(in[1]) * in[0]; }, {a, x});
  REQUIRE(r.pairs.size() == 2);
  CHECK(r.pairs[0].passed);
  CHECK(r.pairs[0].entries_failed == 0);
  CHECK(r.pairs[0].diagnosis.empty());
  CHECK_FALSE(r.pairs[1].passed);
  CHECK(r.pairs[1].entries_failed == 2);
  CHECK_THAT(r.diagnosis, Contains("analytic is 0.5 x numerical everywhere"));
}

TEST_CASE("diagnosis: sign flipped") {
  Tensor x = tensor({0.5, -1.5, 2.0}, {.dtype = float64, .requires_grad = true});
  GradcheckResult r = gradcheck(
      [](const std::vector<Tensor>& in) {
        return record_broken<NegatedSquareBackward>([&] { return in[0] * in[0]; }, {in[0]});
      },
      {x});
  REQUIRE_FALSE(r.passed);
  CHECK(r.diagnosis == "sign flipped: analytic is -1 x numerical everywhere");
  CHECK_THAT(r.report(), Contains("diagnosis: sign flipped"));
}

TEST_CASE("diagnosis: Jacobian transposed") {
  const Tensor a = tensor({{1.0, 2.0, 0.0}, {-1.0, 0.5, 3.0}, {4.0, 0.0, -2.0}}, {.dtype = float64});
  Tensor x = tensor({{0.3}, {-0.7}, {1.1}}, {.dtype = float64, .requires_grad = true});
  GradcheckResult r = gradcheck(
      [&a](const std::vector<Tensor>& in) {
        return record_broken<TransposedMatvecBackward>([&] { return matmul(a, in[0]); }, {in[0]}, a);
      },
      {x});
  REQUIRE_FALSE(r.passed);
  CHECK_THAT(r.diagnosis, Contains("Jacobian transposed: analytic[i][j] equals numerical[j][i]"));
}

TEST_CASE("diagnosis: gradient of a broadcast input averaged, not summed") {
  Tensor a = tensor({{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}}, {.dtype = float64, .requires_grad = true});
  Tensor b = tensor({1.0, -1.0}, {.dtype = float64, .requires_grad = true});
  GradcheckResult r = gradcheck(
      [](const std::vector<Tensor>& in) {
        return record_broken<MeanInsteadOfSumBackward>([&] { return in[0] + in[1]; }, {in[0], in[1]});
      },
      {a, b});
  REQUIRE_FALSE(r.passed);
  REQUIRE(r.pairs.size() == 2);
  CHECK(r.pairs[0].passed);
  CHECK(r.pairs[1].input == 1);
  CHECK(r.diagnosis ==
        "gradient not summed over axis 0: analytic is 1/3 of numerical, as if averaged instead of summed over the "
        "broadcast axis");
}

TEST_CASE("diagnosis: only one slice of a broadcast input's gradient") {
  Tensor a = tensor({{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}}, {.dtype = float64, .requires_grad = true});
  Tensor b = tensor({1.0, -1.0}, {.dtype = float64, .requires_grad = true});
  GradcheckResult r = gradcheck(
      [](const std::vector<Tensor>& in) {
        return record_broken<FirstRowOnlyBackward>([&] { return in[0] + in[1]; }, {in[0], in[1]});
      },
      {a, b});
  REQUIRE_FALSE(r.passed);
  CHECK(r.pairs[1].entries_failed == 4);
  CHECK_THAT(r.diagnosis, StartsWith("gradient not summed over axis 0: the entries of the broadcast axis are wrong"));
}

TEST_CASE("diagnosis: zero analytic gradient") {
  Tensor x = tensor({0.5, -1.5}, {.dtype = float64, .requires_grad = true});
  GradcheckResult r = gradcheck(
      [](const std::vector<Tensor>& in) { return record_broken<ZeroBackward>([&] { return in[0] * 3.0; }, {in[0]}); },
      {x});
  REQUIRE_FALSE(r.passed);
  CHECK(r.diagnosis ==
        "the analytic gradient is 0 where the numerical one is not (2 entries): a disconnected graph, or assignment "
        "instead of accumulation");
  // a graph cut by detach gives the same diagnosis
  GradcheckResult cut = gradcheck([](const std::vector<Tensor>& in) { return exp(in[0].detach()) * 2.0; }, {x});
  REQUIRE_FALSE(cut.passed);
  CHECK_THAT(cut.diagnosis, StartsWith("the analytic gradient is 0 where the numerical one is not"));
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

TEST_CASE("float32 parameters are checked as float64 and restored exactly") {
  manual_seed(3);
  Tensor w = randn({3, 2}).requires_grad_();  // float32
  Tensor b = randn({2}).requires_grad_();
  Tensor x = randn({4, 3}).requires_grad_();
  const std::vector<double> w_before = w.to_vector(), b_before = b.to_vector();
  std::vector<Dtype> seen;
  auto model = [&](const std::vector<Tensor>& in) {
    seen.push_back(w.dtype());
    return tanh(matmul(in[0], w) + b);
  };
  GradcheckResult r = gradcheck(model, {x}, {.allow_float32 = true, .parameters = {w, b}});
  CHECK(r.passed);
  CHECK(r.max_difference < 1e-8);
  REQUIRE(r.pairs.size() == 1);
  CHECK(r.pairs[0].dtype == Dtype::float32);
  CHECK_THAT(r.report(), Contains("float32 inputs checked as float64 copies"));
  REQUIRE_FALSE(seen.empty());
  CHECK(std::all_of(seen.begin(), seen.end(), [](Dtype d) { return d == Dtype::float64; }));
  CHECK(w.dtype() == Dtype::float32);
  CHECK(b.dtype() == Dtype::float32);
  CHECK(w.to_vector() == w_before);
  CHECK(b.to_vector() == b_before);
  CHECK_FALSE(w.grad().defined());
  CHECK(gradgradcheck(model, {x}, {.allow_float32 = true, .parameters = {w, b}}).passed);
  CHECK(w.dtype() == Dtype::float32);

  // restored when fn throws, too
  auto throwing = [&](const std::vector<Tensor>& in) -> Tensor {
    if (w.dtype() == Dtype::float64) throw std::runtime_error("boom");
    return in[0];
  };
  CHECK_THROWS_WITH(gradcheck(throwing, {x}, {.allow_float32 = true, .parameters = {w, b}}), "boom");
  CHECK(w.dtype() == Dtype::float32);
  CHECK(w.to_vector() == w_before);
  CHECK(b.to_vector() == b_before);
}

TEST_CASE("a float32 nn::Linear model is checked through its parameters") {
  manual_seed(5);
  nn::Linear model(3, 2);  // float32
  REQUIRE(model.weight.dtype() == Dtype::float32);
  const std::vector<double> weight_before = model.weight.to_vector();
  Tensor x = randn({4, 3}).requires_grad_();
  auto fn = [&](const std::vector<Tensor>& in) { return tanh(model.forward(in[0])); };
  GradcheckResult r = gradcheck(fn, {x}, {.allow_float32 = true, .parameters = model.parameters()});
  CHECK(r.passed);
  CHECK(r.max_difference < 1e-8);
  CHECK(model.weight.dtype() == Dtype::float32);
  CHECK(model.bias.dtype() == Dtype::float32);
  CHECK(model.weight.to_vector() == weight_before);
}

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

TEST_CASE("check_op passes a correct op on every case, broadcast included") {
  auto fn = [](const std::vector<Tensor>& in) { return in[0] * tanh(in[1]); };
  CheckOpResult r = check_op(fn, {{3, 2}, {3, 2}});  // [2, 3, 2] * [3, 2] and [3, 2] * [2, 3, 2]
  CHECK(r.passed);
  REQUIRE(r.cases.size() == 6);
  CHECK(r.cases[0].name == "gradcheck");
  CHECK(r.cases[1].name == "gradgradcheck");
  CHECK(r.cases[2].name == "zero grad_output");
  CHECK(r.cases[3].name == "reentrancy");
  CHECK(r.cases[4].name == "broadcast input 0");
  CHECK(r.cases[5].name == "broadcast input 1");
  for (const CheckOpCase& c : r.cases) {
    CHECK(c.passed);
    CHECK_FALSE(c.skipped);
  }
  CHECK_THAT(r.report(), StartsWith("check_op passed:") && Contains("broadcast input 1    ok"));
  CHECK_THAT(TensorFunction(fn), testing::PassesCheckOp({{3, 2}, {3, 2}}));
  // with b [2], b with a leading axis [2, 2] does not broadcast against a [3, 2]: skipped
  CheckOpResult r2 = check_op(fn, {{3, 2}, {2}});
  CHECK(r2.passed);
  CHECK_FALSE(r2.cases[4].skipped);
  CHECK(r2.cases[5].skipped);
}

TEST_CASE("check_op skips the broadcast case of an input the op does not broadcast") {
  auto fn = [](const std::vector<Tensor>& in) {
    if (in[0].dim() != 1) throw ShapeError("vector_op: expected a vector");
    return exp(in[0]);
  };
  CheckOpResult r = check_op(fn, {{3}});
  CHECK(r.passed);
  REQUIRE(r.cases.size() == 5);
  CHECK(r.cases[4].skipped);
  CHECK_THAT(r.report(), Contains("broadcast input 0    skipped (fn does not broadcast it)"));
}

TEST_CASE("check_op names the failing cases of broken ops") {
  CheckOpResult r = check_op([](const std::vector<Tensor>& in) { return bad_square(in[0]); }, {{2, 2}});
  CHECK_FALSE(r.passed);
  CHECK_FALSE(r.cases[0].passed);
  CHECK(r.cases[2].passed);  // zero grad_output
  CHECK(r.cases[3].passed);  // reentrancy
  CHECK_FALSE(r.cases[4].passed);
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
  CHECK(mean_bias.cases[4].name == "broadcast input 0");
  CHECK_FALSE(mean_bias.cases[4].passed);
  CHECK_THAT(mean_bias.cases[4].report, StartsWith("threw: BadAddMeanBackward: backward returned a gradient of shape"));
  CHECK(mean_bias.cases[5].skipped);
  auto matcher = testing::PassesCheckOp({{2}});
  CHECK_FALSE(matcher.match([](const std::vector<Tensor>& in) { return bad_square(in[0]); }));
  CHECK_THAT(matcher.describe(), StartsWith("passes check_op\ncheck_op failed:"));
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

TEST_CASE("print the reports of broken ops", "[.print]") {
  {
    Tensor x = tensor({{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}}, {.dtype = float64, .requires_grad = true});
    Tensor b = tensor({1.0, -1.0}, {.dtype = float64, .requires_grad = true});
    fmt::print("{}\n\n",
               gradcheck(
                   [](const std::vector<Tensor>& in) {
                     return record_broken<MeanInsteadOfSumBackward>([&] { return in[0] + in[1]; }, {in[0], in[1]});
                   },
                   {x, b})
                   .report());
    fmt::print("{}\n\n",
               check_op(
                   [](const std::vector<Tensor>& in) {
                     return record_broken<MeanInsteadOfSumBackward>([&] { return in[0] + in[1]; }, {in[0], in[1]});
                   },
                   {{3, 2}, {2}})
                   .report());
  }
  Tensor x = tensor({{0.5, -1.5}, {2.0, 3.0}}, {.dtype = float64, .requires_grad = true});
  fmt::print("{}\n\n", gradcheck([](const std::vector<Tensor>& in) { return bad_square(in[0]); }, {x}).report());
  Tensor a = tensor({{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}}, {.dtype = float64, .requires_grad = true});
  Tensor b = tensor({1.0, -1.0}, {.dtype = float64, .requires_grad = true});
  fmt::print("{}\n\n", gradcheck(
                           [](const std::vector<Tensor>& in) {
                             return record_broken<FirstRowOnlyBackward>([&] { return in[0] + in[1]; }, {in[0], in[1]});
                           },
                           {a, b})
                           .report());
  Tensor r = tensor({-1.0, 0.0, 2.0}, {.dtype = float64, .requires_grad = true});
  fmt::print("{}\n\n", gradcheck(
                           [](const std::vector<Tensor>& in) {
                             return record_broken<BadSubgradientReluBackward>([&] { return relu(in[0]); }, {in[0]});
                           },
                           {r})
                           .report());
  fmt::print("{}\n\n", gradcheck([](const std::vector<Tensor>& in) { return relu(in[0]); }, {r}).report());
  const Tensor m = tensor({{1.0, 2.0, 0.0}, {-1.0, 0.5, 3.0}, {4.0, 0.0, -2.0}}, {.dtype = float64});
  Tensor v = tensor({{0.3}, {-0.7}, {1.1}}, {.dtype = float64, .requires_grad = true});
  fmt::print("{}\n\n", gradcheck(
                           [&m](const std::vector<Tensor>& in) {
                             return record_broken<TransposedMatvecBackward>([&] { return matmul(m, in[0]); }, {in[0]},
                                                                            m);
                           },
                           {v})
                           .report());
}

namespace {
// A custom op that can be re-run (forward) but whose backward forgets the factor 2 of d(x^2)/dx.
struct RerunnableBadSquare final : xg::Node {
  const char* name() const override { return "bad_square"; }
  xg::Tensor forward(const std::vector<xg::Tensor>& in) const override {
    xg::Tensor out;
    {
      xg::NoGradGuard no_grad;
      out = in[0] * in[0];
    }
    return xg::Tensor::record<RerunnableBadSquare>(out, {in[0]});
  }
  xg::Grads backward(const xg::Tensor& g) override { return {g * input(0)}; }
};
}  // namespace

TEST_CASE("blame names the first recorded op whose backward disagrees, with its inputs") {
  xg::manual_seed(21);
  Tensor w = xg::randn({3, 3}, xg::float64).requires_grad_().name("W");
  Tensor x = xg::randn({3}, xg::float64).name("x");
  Tensor h = xg::tanh(xg::matmul(w, x)).name("h");
  Tensor bad = RerunnableBadSquare().forward({h}).name("h2");
  Tensor loss = xg::sum(bad * 3.0);
  const xg::BlameResult r = xg::blame(loss);
  REQUIRE(r.found);
  CHECK(r.op == "bad_square");
  CHECK(r.node_type == "BadSquareBackward");
  CHECK(r.inputs == std::vector<std::string>{"h"});
  CHECK(r.nodes_checked >= 3);  // matmul, tanh and bad_square at least (the ops before it passed)
  CHECK(r.position == 4);       // matmul (gemm, then the reshape dropping the 1-D axis), tanh, bad_square
  CHECK(r.graph_ops == 6);      // ... then mul and sum
  CHECK_THAT(r.report(), Contains("'bad_square' (BadSquareBackward, op 4 of 6 in recording order), on inputs (h)") &&
                             Contains("0.5 x numerical"));
  CHECK(r.check.diagnosis.find("0.5 x numerical") != std::string::npos);
}

TEST_CASE("blame names where the failing op was created when the graph was built in anomaly mode") {
  Tensor w = tensor({{0.5, -1.0}, {2.0, 0.25}}, {.dtype = float64, .requires_grad = true}).name("W");
  Tensor x = tensor({1.0, 2.0}, {.dtype = float64}).name("x");
  Tensor loss;
  int line = 0;
  {
    xg::DetectAnomalyGuard anomaly;
    Tensor h = xg::tanh(xg::matmul(w, x)).name("h");
    line = __LINE__ + 1;
    Tensor bad = RerunnableBadSquare().forward({h});
    loss = xg::sum(bad);
  }
  const xg::BlameResult r = xg::blame(loss);
  REQUIRE(r.found);
  CHECK(r.op == "bad_square");
  const std::string site = "tests/autograd/gradcheck_test.cpp:" + std::to_string(line);
  CHECK_THAT(r.creation_site, Contains(site));
  CHECK_THAT(r.report(), Contains("created at:") && Contains(site));
  // built outside anomaly mode, the report says how to get the site
  Tensor plain = xg::sum(RerunnableBadSquare().forward({xg::tanh(xg::matmul(w, x))}));
  CHECK_THAT(xg::blame(plain).report(), Contains("not recorded (build the graph under xg::DetectAnomalyGuard"));
}

TEST_CASE("blame passes a correct graph and lists what it could not re-run") {
  Tensor w = tensor({{0.5, -1.0}, {2.0, 0.25}}, {.dtype = float64, .requires_grad = true});
  Tensor x = tensor({1.0, 2.0}, {.dtype = float64});
  Tensor custom = bad_square(xg::sigmoid(xg::matmul(w, x)));  // a custom node without forward()
  const xg::BlameResult r = xg::blame(xg::sum(custom));
  CHECK_FALSE(r.found);
  CHECK(r.not_rerunnable == std::vector<std::string>{"bad_square"});
  CHECK_THAT(r.report(),
             Contains("agree with central differences") && Contains("not checked") && Contains("bad_square"));
}

TEST_CASE("keep_float32 checks a float32 function in float32 with Stan's step and the realised step") {
  // torch's example f(x) = x tanh x at 0.7: float32 with eps 1e-6 is off by 9.3e-3
  Tensor x = xg::tensor({0.7, -1.3, 2.5}, {.requires_grad = true});  // float32
  auto fn = [](const std::vector<Tensor>& in) { return in[0] * xg::tanh(in[0]); };
  const GradcheckResult r = xg::gradcheck(fn, {x}, {.keep_float32 = true});
  CHECK(r.passed);
  CHECK(r.max_difference < 1e-3);
  CHECK_THAT(r.step_note, Contains("Stan's step") && Contains("realised steps"));
  CHECK_THAT(r.report(), Contains("float32 kept"));
  // the realised step differs from 2h in float32: h = cbrt(eps32) * max(1, |x|) is ~4.9e-3 at 0.7
  const double h = std::cbrt(static_cast<double>(std::numeric_limits<float>::epsilon()));
  CHECK(h == Approx(4.9e-3).epsilon(0.01));
  // a broken float32 op still fails in this mode
  const GradcheckResult bad =
      xg::gradcheck([](const std::vector<Tensor>& in) { return bad_square(in[0]); }, {x}, {.keep_float32 = true});
  CHECK_FALSE(bad.passed);
  CHECK(bad.diagnosis.find("0.5 x numerical") != std::string::npos);
}

TEST_CASE("a keep_float32 report says how the differences were taken, not eps in float64") {
  Tensor x = xg::tensor({0.7, -1.3}, {.requires_grad = true});
  const GradcheckResult r =
      xg::gradcheck([](const std::vector<Tensor>& in) { return xg::tanh(in[0]); }, {x}, {.keep_float32 = true});
  CHECK(r.passed);
  CHECK_THAT(r.report(), Contains("float32 kept") && !Contains("eps 1e-06, float64"));
}

TEST_CASE("check_op reports a std::exception from the op as a failed case instead of ending the sweep") {
  const auto r = xg::check_op([](const std::vector<Tensor>&) -> Tensor { throw std::runtime_error("boom"); }, {{2}});
  CHECK_FALSE(r.passed);
  CHECK_THAT(r.report(), Contains("boom"));
}

// ---- functions with several outputs; steps per pair; fast mode in float32 ----

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

TEST_CASE("with several outputs the report names the failing output and pair") {
  Tensor x = tensor({{0.5, -1.5}, {2.0, 3.0}}, {.dtype = float64, .requires_grad = true});
  const GradcheckResult r = xg::gradcheck(
      [](const std::vector<Tensor>& in) {
        return std::vector<Tensor>{xg::tanh(in[0]), bad_square(in[0])};
      },
      {x});
  REQUIRE_FALSE(r.passed);
  REQUIRE(r.pairs.size() == 2);
  CHECK(r.pairs[0].passed);
  CHECK_FALSE(r.pairs[1].passed);
  CHECK(r.output == 1);
  CHECK(r.input == 0);
  CHECK(r.element == Shape{1, 1});
  CHECK(r.output_element == Shape{1, 1});
  CHECK_THAT(r.diagnosis, StartsWith("analytic is 0.5 x numerical everywhere"));
  const std::string text = r.report();
  CHECK_THAT(text, Contains("for input 0 (shape [2, 2]), output 1") && Contains("output ") &&
                       Contains("Jacobian d output 1 / d input 0"));
  // a different number of outputs for perturbed inputs is an error, not garbage
  int calls = 0;
  CHECK_THROWS_AS(xg::gradcheck(
                      [&calls](const std::vector<Tensor>& in) {
                        return ++calls == 1 ? std::vector<Tensor>{in[0], in[0]} : std::vector<Tensor>{in[0]};
                      },
                      {x}),
                  ValueError);
}

TEST_CASE("the report gives each pair's step: eps in float64, Stan's realised steps in float32") {
  Tensor a = tensor({0.5, -2.0}, {.dtype = float64, .requires_grad = true});
  Tensor b = tensor({0.7, 3.0}, {.requires_grad = true});  // float32, |x| up to 3 scales Stan's step
  const GradcheckResult r =
      xg::gradcheck([](const std::vector<Tensor>& in) { return xg::tanh(in[0]) * xg::tanh(in[1].to(float64)); }, {a, b},
                    {.keep_float32 = true});
  REQUIRE(r.pairs.size() == 2);
  CHECK(r.pairs[0].step_min == 1e-6);
  CHECK(r.pairs[0].step_max == 1e-6);
  CHECK_THAT(r.pairs[0].step_note, Contains("eps 1e-06"));
  const double h = std::cbrt(static_cast<double>(std::numeric_limits<float>::epsilon()));
  CHECK(r.pairs[1].step_min == Approx(h).epsilon(1e-3));      // at 0.7: max(1, |x|) = 1
  CHECK(r.pairs[1].step_max == Approx(3 * h).epsilon(1e-3));  // at 3.0
  CHECK_THAT(r.pairs[1].step_note, Contains("Stan's step"));
  // a failing report shows the column: Stan's range for a float32 input
  const GradcheckResult bad =
      xg::gradcheck([](const std::vector<Tensor>& in) { return bad_square(in[0]); }, {b}, {.keep_float32 = true});
  REQUIRE_FALSE(bad.passed);
  CHECK_THAT(bad.report(), Contains(fmt::format(" {:.2g}..{:.2g} ", bad.pairs[0].step_min, bad.pairs[0].step_max)));
  CHECK(bad.pairs[0].step_min == Approx(h).epsilon(1e-3));
  CHECK(bad.pairs[0].step_max == Approx(3 * h).epsilon(1e-3));
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

TEST_CASE("diagnosis: a ratio that fits both a missing factor and an unsummed broadcast axis names both") {
  // b [2] broadcast over an axis of size 2: averaging and a missing factor 2 look the same
  Tensor a = tensor({{1.0, 2.0}, {3.0, 4.0}}, {.dtype = float64, .requires_grad = true});
  Tensor b = tensor({0.5, -0.5}, {.dtype = float64, .requires_grad = true});
  const GradcheckResult r = gradcheck(
      [](const std::vector<Tensor>& in) {
        return record_broken<MeanInsteadOfSumBackward>([&] { return in[0] + in[1]; }, {in[0], in[1]});
      },
      {a, b});
  REQUIRE_FALSE(r.passed);
  CHECK_THAT(r.diagnosis, Contains("gradient not summed over axis 0") && Contains("or a factor 2 missing everywhere"));
}

TEST_CASE("the README's blame of a model built in anomaly mode", "[.print]") {
  Tensor w = tensor({{0.5, -1.0}, {2.0, 0.25}}, {.dtype = float64, .requires_grad = true}).name("W");
  Tensor x = tensor({1.0, 2.0}, {.dtype = float64}).name("x");
  xg::DetectAnomalyGuard anomaly;
  Tensor h = xg::tanh(xg::matmul(w, x)).name("h");
  Tensor loss = xg::sum(RerunnableBadSquare().forward({h}) * 3.0);
  std::cout << xg::blame(loss).report() << "\n";
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

TEST_CASE("gradcheck and blame inside anomaly mode report instead of throwing AnomalyError") {
  xg::DetectAnomalyGuard anomaly;
  // d sqrt(x)/dx is inf at 0: anomaly mode would throw on that gradient; gradcheck reports it
  Tensor x = tensor({0.0, 4.0}, {.dtype = float64, .requires_grad = true});
  GradcheckResult r;
  REQUIRE_NOTHROW(r = xg::gradcheck([](const std::vector<Tensor>& in) { return xg::sqrt(in[0]); }, {x}));
  CHECK_FALSE(r.passed);
  CHECK(xg::is_anomaly_enabled());  // and the guard's mode is back afterwards
  Tensor w = tensor({{0.5, -1.0}, {2.0, 0.25}}, {.dtype = float64, .requires_grad = true});
  Tensor loss =
      xg::sum(RerunnableBadSquare().forward({xg::tanh(xg::matmul(w, tensor({1.0, 2.0}, {.dtype = float64})))}));
  const xg::BlameResult b = xg::blame(loss);
  CHECK(b.found);
  CHECK_THAT(b.creation_site, Contains("gradcheck_test.cpp:"));
}
