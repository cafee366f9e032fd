// gradcheck's report: each (output, input) pair's worst element, errors and step, and the diagnoses of
// deliberately broken ops.
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

TEST_CASE("a keep_float32 report says how the differences were taken, not eps in float64") {
  Tensor x = xg::tensor({0.7, -1.3}, {.requires_grad = true});
  const GradcheckResult r =
      xg::gradcheck([](const std::vector<Tensor>& in) { return xg::tanh(in[0]); }, {x}, {.keep_float32 = true});
  CHECK(r.passed);
  CHECK_THAT(r.report(), Contains("float32 kept") && !Contains("eps 1e-06, float64"));
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
