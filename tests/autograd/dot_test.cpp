// to_dot / render_svg: the graph as Graphviz DOT, before and after backward.
#include <autograd/dot.hpp>
#include <autograd/format.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>

#include <unistd.h>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>

using namespace xg;
using Catch::Contains;

namespace {
struct Graph {
  Tensor x = scalar_tensor(2.0, {.dtype = float64}).name("x");
  Tensor w = scalar_tensor(-0.5, {.dtype = float64, .requires_grad = true}).name("w");
  Tensor b = scalar_tensor(0.25, {.dtype = float64, .requires_grad = true}).name("b");
  Tensor y = tanh(w * x + b).name("y");
};
}  // namespace

TEST_CASE("to_dot has one record per tensor, one node per op, edges in data-flow direction") {
  Graph g;
  const std::string dot = to_dot(g.y);
  CHECK_THAT(dot, Catch::StartsWith("digraph xgrad {") && Contains("rankdir=LR"));
  CHECK_THAT(dot, Contains("y | [] | value -0.6351 | grad -"));  // before backward: no grad yet
  CHECK_THAT(dot, Contains("w | [] | value -0.5000 | grad -") && Contains("x | [] | value 2. | grad -"));
  CHECK_THAT(dot, Contains("label=\"tanh\"") && Contains("label=\"add\"") && Contains("label=\"mul\""));
  CHECK_THAT(dot, Contains("t0 [shape=record") && Contains("op0 -> t0;"));  // tanh produces y
  int tensors = 0, ops = 0;
  for (size_t p = dot.find("shape=record"); p != std::string::npos; p = dot.find("shape=record", p + 1)) ++tensors;
  for (size_t p = dot.find("shape=ellipse"); p != std::string::npos; p = dot.find("shape=ellipse", p + 1)) ++ops;
  CHECK(tensors == 6);  // x, w, b, w*x, w*x+b, y
  CHECK(ops == 3);
}

TEST_CASE("after backward the records show the gradients") {
  Graph g;
  g.y.backward();
  const std::string dot = to_dot(g.y);
  const double t = std::tanh(-0.75);
  CHECK_THAT(dot, Contains("w | [] | value -0.5000 | grad " +
                           format_values(scalar_tensor(2.0 * (1 - t * t), {.dtype = float64}))));
  CHECK_THAT(dot,
             Contains("b | [] | value 0.2500 | grad " + format_values(scalar_tensor(1 - t * t, {.dtype = float64}))));
}

TEST_CASE("the DOT text renders with Graphviz when it is installed") {
  Graph g;
  const auto dir = std::filesystem::temp_directory_path() / ("xgrad_dot_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string svg = (dir / "it's a graph.svg").string();  // no shell ever sees this path
  const RenderResult r = render_svg(to_dot(g.y), svg);
  if (std::system("command -v dot >/dev/null 2>&1") == 0) {
    CHECK(r.ok);
    CHECK(std::filesystem::file_size(svg) > 200);
  } else {
    CHECK_FALSE(r.ok);
    CHECK_THAT(r.message, Contains("apt-get install graphviz") && Contains("a graph.svg.dot"));
  }
  CHECK(std::filesystem::exists(svg + ".dot"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("after an ordinary backward the graph is still drawn, freed intermediates marked") {
  Graph g;
  Tensor z = (g.y * 3.0).name("z");  // g.y is held by the test; w * x and w * x + b are not
  z.backward();
  const std::string dot = to_dot(z);
  CHECK_THAT(dot, Contains("z | []") && Contains("label=\"tanh\"") && Contains("label=\"mul\""));
  CHECK_THAT(dot, Contains("w | [] | value -0.5000 | grad ") && Contains("b | [] | value 0.2500 | grad "));
  CHECK_THAT(dot, Contains("freed by backward"));
  CHECK_THAT(dot, Contains("y | [] | value -0.6351"));  // still alive: drawn with its value
}

TEST_CASE("a tensor an in-place op rewrote is drawn as it was for the nodes that read it before") {
  Tensor w = tensor({1.0, 2.0}, {.dtype = float64, .requires_grad = true});
  Tensor x = w * 2.0;
  Tensor z = x + 1.0;
  x.add_(z);  // x's node is now an add of (x before, z); z's node read x before the write
  const std::string dot = to_dot(x);
  CHECK_THAT(dot, Contains("before an in-place write"));
  // the records: x (once), w, and the box of x's earlier values; no edge from x's new node back to x's input
  CHECK(std::count(dot.begin(), dot.end(), '\n') > 5);
}
