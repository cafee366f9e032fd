// blame: the first op whose backward disagrees, its inputs and (in anomaly mode) where it was created.
// Compiled with -g (tests/CMakeLists.txt): creation sites are read as file:line.
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
  const std::string site = "tests/autograd/blame_test.cpp:" + std::to_string(line);
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
  CHECK_THAT(b.creation_site, Contains("blame_test.cpp:"));
}

TEST_CASE("the README's blame of a model built in anomaly mode", "[.print]") {
  Tensor w = tensor({{0.5, -1.0}, {2.0, 0.25}}, {.dtype = float64, .requires_grad = true}).name("W");
  Tensor x = tensor({1.0, 2.0}, {.dtype = float64}).name("x");
  xg::DetectAnomalyGuard anomaly;
  Tensor h = xg::tanh(xg::matmul(w, x)).name("h");
  Tensor loss = xg::sum(RerunnableBadSquare().forward({h}) * 3.0);
  std::cout << xg::blame(loss).report() << "\n";
}
