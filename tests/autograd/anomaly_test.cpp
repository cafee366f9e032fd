// Anomaly mode: its per-thread flag, and NaN/Inf caught in forward and in backward, named by op,
// inputs and the line of the program that created the op (creation sites: creation_site_test.cpp).
#include <autograd/anomaly.hpp>
#include <autograd/engine.hpp>
#include <autograd/error.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <nn/linear.hpp>

#include <catch2/catch.hpp>
#include <iostream>
#include <string>
#include <thread>

using namespace xg;
using Catch::Contains;

namespace {
// "anomaly_test.cpp:<line>": this file is compiled with -g (tests/CMakeLists.txt) so that
// creation sites resolve to lines.
std::string here(int line) { return "tests/autograd/anomaly_test.cpp:" + std::to_string(line); }
}  // namespace

TEST_CASE("anomaly mode is off by default, per thread, and restored by the guard") {
  CHECK_FALSE(is_anomaly_enabled());
  {
    DetectAnomalyGuard outer;
    CHECK(is_anomaly_enabled());
    bool other_thread = true;
    std::thread t([&] { other_thread = is_anomaly_enabled(); });
    t.join();
    CHECK_FALSE(other_thread);
    {
      DetectAnomalyGuard inner;
      CHECK(is_anomaly_enabled());
    }
    CHECK(is_anomaly_enabled());
  }
  CHECK_FALSE(is_anomaly_enabled());
}

TEST_CASE("outside anomaly mode no creation site is recorded and NaN passes silently") {
  Tensor x = tensor({-1.0, 4.0}, {.dtype = float64, .requires_grad = true});
  Tensor y = xg::log(x);
  CHECK(y.grad_fn()->creation_site() == nullptr);
  CHECK(std::isnan(y.to_vector()[0]));
}

TEST_CASE("anomaly mode: a forward op producing NaN throws, naming the op, its inputs and the line") {
  DetectAnomalyGuard anomaly;
  Tensor x = tensor({-1.0, 4.0}, {.dtype = float64, .requires_grad = true}).name("x");
  int line = 0;
  try {
    line = __LINE__ + 1;
    (void)xg::log(x);
    FAIL("log of a negative number did not throw in anomaly mode");
  } catch (const AnomalyError& e) {
    CHECK_THAT(e.what(), Contains("'log' (LogBackward) produced 1 NaN value in its output [2] (first at [0])") &&
                             Contains("from finite inputs (x [2])") && Contains(here(line)));
  }
  // an input that already holds NaN is named as such
  Tensor n = tensor({std::nan(""), 1.0}, {.dtype = float64, .requires_grad = true}).name("n");
  CHECK_THROWS_WITH(xg::exp(n), Contains("'exp'") && Contains("from non-finite inputs (n [2])"));
  // without a gradient to record, nothing is checked: anomaly mode watches the graph
  Tensor plain = tensor({-1.0}, {.dtype = float64});
  CHECK_NOTHROW(xg::log(plain));
  // infinities are legitimate forward results (log(0), a -inf mask before softmax)
  Tensor zero = tensor({0.0, 1.0}, {.dtype = float64, .requires_grad = true});
  CHECK(std::isinf(xg::log(zero).to_vector()[0]));
}

TEST_CASE("anomaly mode: a backward returning Inf throws, naming the node, the input and the line") {
  Tensor x = tensor({0.0, 4.0}, {.dtype = float64, .requires_grad = true}).name("x");
  Tensor loss;
  int line = 0;
  {
    DetectAnomalyGuard anomaly;
    line = __LINE__ + 1;
    Tensor r = xg::sqrt(x).name("r");  // finite forward, d sqrt(x)/dx = inf at 0
    loss = xg::sum(r * 2.0);
    try {
      loss.backward();
      FAIL("the infinite gradient of sqrt at 0 did not throw in anomaly mode");
    } catch (const AnomalyError& e) {
      CHECK_THAT(e.what(), Contains("the backward of 'sqrt' (SqrtBackward) returned 1 NaN/Inf value in the gradient "
                                    "for input 0 (x [2]) (first at [0]: inf), from a finite grad_output") &&
                               Contains(here(line)));
    }
    CHECK_FALSE(x.grad().defined());  // nothing was written to the leaf
  }
  // the same graph outside anomaly mode: torch's behaviour, an inf in .grad()
  Tensor y = xg::sum(xg::sqrt(x));
  y.backward();
  CHECK(std::isinf(x.grad().to_vector()[0]));
}

TEST_CASE("anomaly mode names an op recorded outside it as having no creation site") {
  Tensor x = tensor({0.0}, {.dtype = float64, .requires_grad = true});
  Tensor r = xg::sqrt(x);  // recorded outside the guard
  DetectAnomalyGuard anomaly;
  CHECK_THROWS_WITH(xg::sum(r).backward(), Contains("SqrtBackward") && Contains("creation site not recorded"));
}

TEST_CASE("anomaly mode with create_graph: the backward's own ops are recorded with sites, and checked") {
  DetectAnomalyGuard anomaly;
  Tensor x = tensor({0.5, 1.5}, {.dtype = float64, .requires_grad = true});
  Tensor y = xg::sum(xg::tanh(x) * x);
  const std::vector<Tensor> g = xg::grad({y}, {x}, {}, {.create_graph = true});
  REQUIRE(g[0].grad_fn() != nullptr);
  CHECK(g[0].grad_fn()->creation_site() != nullptr);  // recorded during backward, in anomaly mode
  const std::vector<Tensor> h = xg::grad({xg::sum(g[0])}, {x});
  // d/dx (tanh x + x (1 - tanh^2 x)) = 2 (1 - tanh^2 x) - 2 x tanh x (1 - tanh^2 x)
  const double t = std::tanh(0.5);
  CHECK(h[0].to_vector()[0] == Approx(2 * (1 - t * t) - 2 * 0.5 * t * (1 - t * t)));
}

// README "Hunting NaN and Inf" shows this message; tests/check_readme_outputs.py compares the two.
TEST_CASE("the README's anomaly message", "[.print]") {
  Tensor x = tensor({0.0, 4.0}, {.dtype = float64, .requires_grad = true}).name("x");
  DetectAnomalyGuard anomaly;
  Tensor loss = xg::sum(xg::sqrt(x) * 2.0);
  try {
    loss.backward();
  } catch (const AnomalyError& e) {
    std::cout << e.what() << "\n";
  }
}
