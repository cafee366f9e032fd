// Creation sites: the file and line of the user's call that recorded an op (a layer's ops too),
// captured and resolved on several threads at once.
#include <autograd/anomaly.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>
#include <nn/linear.hpp>

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

using namespace xg;
using Catch::Contains;

namespace {
// "creation_site_test.cpp:<line>": this file is compiled with -g (tests/CMakeLists.txt) so that
// creation sites resolve to lines.
std::string here(int line) { return "tests/autograd/creation_site_test.cpp:" + std::to_string(line); }
}  // namespace

TEST_CASE("anomaly mode records where each op was created: the file and line of the call") {
  DetectAnomalyGuard anomaly;
  Tensor x = tensor({0.5, 2.0}, {.dtype = float64, .requires_grad = true});
  const int line = __LINE__ + 1;
  Tensor y = xg::tanh(x);
  const CreationSite* site = y.grad_fn()->creation_site();
  REQUIRE(site != nullptr);
  CHECK_THAT(site->where(), Contains(here(line)));
  CHECK_THAT(site->describe(), Contains(here(line)));
  // the frames start inside xgrad (Tensor::attach) and reach this test further out
  const std::vector<std::string> frames = site->frames();
  REQUIRE(frames.size() >= 2);
  bool found = false;
  for (const std::string& f : frames) found = found || f.find(here(line)) != std::string::npos;
  CHECK(found);
  // an operator records its site too (a * b cannot take a source_location argument)
  const int op_line = __LINE__ + 1;
  Tensor z = x * y;
  CHECK_THAT(z.grad_fn()->creation_site()->where(), Contains(here(op_line)));
}

TEST_CASE("a layer's ops name the layer and the user's line that called it") {
  DetectAnomalyGuard anomaly;
  nn::Linear layer(3, 2);
  Tensor x = xg::ones({4, 3});
  const int line = __LINE__ + 1;
  Tensor y = layer.forward(x);
  const std::string text = y.grad_fn()->creation_site()->describe("", 6);
  CHECK_THAT(text, Contains("Linear::forward") && Contains(here(line)));
}

TEST_CASE("creation sites are captured and resolved on two threads at once") {
  std::vector<std::string> sites(2);
  const auto work = [&sites](int k) {
    DetectAnomalyGuard anomaly;
    Tensor x = tensor({0.5}, {.dtype = float64, .requires_grad = true});
    for (int i = 0; i < 200; ++i) {
      Tensor y = xg::sin(x) * 2.0;
      sites[static_cast<size_t>(k)] = y.grad_fn()->creation_site()->where();
    }
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  CHECK_THAT(sites[0], Contains("tests/autograd/creation_site_test.cpp:"));
  CHECK(sites[0] == sites[1]);  // the same line of code, seen from both threads
}
