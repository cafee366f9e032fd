// xg::TraceGuard: the printed forward and backward of a fixed tiny graph, against a checked-in
// expected text (tests/autograd/data/trace_expected.txt).
#include <autograd/engine.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/trace.hpp>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

using namespace xg;
using Catch::Contains;

namespace {
Tensor param(double v, const char* name) {
  return scalar_tensor(v, {.dtype = float64, .requires_grad = true}).name(name);
}
std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("trace prints the forward ops and every chain-rule step of the one-hidden-neuron network") {
  // x -> mu1 = w_i x + b_i -> h = sigmoid(mu1) -> mu2 = w_o h + b_o -> O = sigmoid(mu2) -> E = (O - y)^2
  Tensor x = scalar_tensor(0.5, {.dtype = float64}).name("x");
  Tensor y = scalar_tensor(1.0, {.dtype = float64}).name("y");
  Tensor w_i = param(0.8, "w_i"), b_i = param(0.1, "b_i"), w_o = param(-1.2, "w_o"), b_o = param(0.3, "b_o");
  std::ostringstream out;
  {
    TraceGuard trace(out);
    Tensor mu1 = (w_i * x + b_i).name("mu1");
    Tensor h = sigmoid(mu1).name("h");
    Tensor mu2 = (w_o * h + b_o).name("mu2");
    Tensor o = sigmoid(mu2).name("O");
    Tensor e = pow(o - y, 2.0).name("E");
    e.backward();
  }
  const std::string path = XGRAD_TESTS_DIR "/autograd/data/trace_expected.txt";
  if (std::getenv("XGRAD_UPDATE_EXPECTED") != nullptr) std::ofstream(path) << out.str();  // after a deliberate change
  const std::string expected = read_file(path);
  REQUIRE_FALSE(expected.empty());
  CHECK(out.str() == expected);
}

TEST_CASE("trace shows accumulation when a tensor is used twice") {
  Tensor x = param(3.0, "x");
  std::ostringstream out;
  {
    TraceGuard trace(out);
    (x * x).name("y").backward();
  }
  CHECK_THAT(out.str(), Contains("grad(x) = grad(y) * dy/dx = 1. * 3. = 3.") &&
                            Contains("grad(x) += grad(y) * dy/dx = 1. * 3. = 3.") && Contains("grad(x) = 6."));
}

TEST_CASE("trace summarises large tensors and stops when the guard ends") {
  std::ostringstream out;
  Tensor w = ones({20, 30}, {.dtype = float64, .requires_grad = true}).name("W");
  {
    TraceGuard trace(out);
    sum(w * 2.0).backward();
  }
  CHECK_THAT(out.str(), Contains("[20, 30] min 2 max 2 norm 48.99") && Contains("grad(W)"));
  const std::string before = out.str();
  sum(w * 3.0).backward();
  CHECK(out.str() == before);
}

TEST_CASE("describe_values prints small tensors whole and large ones as a summary") {
  CHECK(describe_values(tensor({1.5, 2.0})) == "[1.5000, 2.0000]");
  CHECK(describe_values(tensor(0.25)) == "0.2500");
  CHECK(describe_values(full({3, 4}, -1.0), 6) == "[3, 4] min -1 max -1 norm 3.464");
  CHECK(describe_values(Tensor()) == "-");
}

TEST_CASE("trace prints a local derivative only where it is one: element-wise, not across a broadcast") {
  Tensor w = tensor({1.0, 2.0, 3.0}, {.dtype = float64, .requires_grad = true}).name("w");
  Tensor b = tensor(0.5, {.dtype = float64, .requires_grad = true}).name("b");
  std::ostringstream out;
  {
    TraceGuard trace(out);
    Tensor y = (w + b).name("y");  // b is broadcast over three elements
    sum(y).backward();
  }
  const std::string s = out.str();
  CHECK_THAT(s, Contains("local       dy/dw = [1., 1., 1.]"));
  CHECK_THAT(s, !Contains("dy/db ="));                  // backward(ones) gives 3 there, not a derivative
  CHECK_THAT(s, Contains("to input    grad(b) = 3."));  // the contribution still shows
}

TEST_CASE("trace puts names with spaces in parentheses") {
  Tensor o = scalar_tensor(0.25, {.dtype = float64, .requires_grad = true}).name("O");
  std::ostringstream out;
  {
    TraceGuard trace(out);
    Tensor d = (o - 1.0).name("O - y");
    pow(d, 2.0).name("E").backward();
  }
  CHECK_THAT(out.str(), Contains("dE/d(O - y) = -1.5000") && Contains("grad((O - y))"));
}

TEST_CASE("trace guards nest, and one destroyed out of order leaves no dangling observer") {
  std::ostringstream a, b;
  auto outer = std::make_unique<TraceGuard>(a);
  auto inner = std::make_unique<TraceGuard>(b);
  outer.reset();  // out of order: the inner tracer stays installed
  Tensor x = scalar_tensor(1.0, {.dtype = float64, .requires_grad = true}).name("x");
  (x * 2.0).backward();
  CHECK_THAT(b.str(), Contains("grad(x) = 2."));
  CHECK(a.str().empty());
  inner.reset();
  std::ostringstream none;
  (x * 3.0).backward();  // no observer left: nothing printed anywhere, no crash
  CHECK(a.str().empty());
}
