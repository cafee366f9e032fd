// Engine semantics: accumulation, retain_graph, freed graphs, the functional grad(), hooks,
// higher-order gradients, deep graphs and the backward contract.
#include <autograd/engine.hpp>
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/linalg.hpp>
#include <autograd/ops/reduce.hpp>

#include <catch2/catch.hpp>

using namespace xg;
using Catch::Contains;

namespace {
Tensor scalar(double v) { return scalar_tensor(v, {.dtype = float64, .requires_grad = true}); }
}  // namespace

TEST_CASE("a tensor used twice accumulates both gradients (diamond)") {
  Tensor x = scalar(3.0);
  Tensor a = x * 2.0;  // da/dx = 2
  Tensor b = x * x;    // db/dx = 2x = 6
  Tensor y = a + b;    // both paths meet again
  y.backward();
  CHECK(x.grad().item() == Approx(8.0));
}

TEST_CASE("gradients accumulate across two backward calls") {
  Tensor x = scalar(2.0);
  (x * x).backward();
  CHECK(x.grad().item() == Approx(4.0));
  (x * 3.0).backward();
  CHECK(x.grad().item() == Approx(7.0));
  x.mutable_grad() = Tensor();  // zero_grad(set_to_none) as optimizers do
  (x * 3.0).backward();
  CHECK(x.grad().item() == Approx(3.0));
}

TEST_CASE("retain_graph allows a second backward through the same graph") {
  Tensor x = scalar(1.5);
  Tensor y = tanh(x) * x;
  y.backward({}, {.retain_graph = true});
  const double first = x.grad().item();
  y.backward();
  CHECK(x.grad().item() == Approx(2 * first));
}

TEST_CASE("a second backward through a freed graph names the node") {
  Tensor x = scalar(0.5);
  Tensor y = tanh(x).name("h") * 2.0;
  y.backward();
  CHECK_THROWS_AS(y.backward(), GraphError);
  CHECK_THROWS_WITH(y.backward(), Contains("MulBackward") && Contains("second time") && Contains("retain_graph"));
  // nothing was accumulated by the failed calls
  CHECK(x.grad().item() == Approx(2 * (1 - std::tanh(0.5) * std::tanh(0.5))));
}

TEST_CASE("backward of a non-scalar needs an explicit gradient of its shape") {
  Tensor x = tensor({1.0, 2.0, 3.0}, {.dtype = float64, .requires_grad = true});
  Tensor y = x * x;
  CHECK_THROWS_WITH(y.backward(), Contains("implicitly created only for one-element outputs") && Contains("[3]"));
  CHECK_THROWS_AS(y.backward(tensor({1.0, 1.0}, {.dtype = float64})), ShapeError);
  CHECK_THROWS_AS(y.backward(tensor({1.0, 1.0, 1.0})), DtypeError);  // float32 gradient for float64 y
  y.backward(tensor({1.0, 0.5, 0.0}, {.dtype = float64}));
  CHECK(x.grad().to_vector() == std::vector<double>{2.0, 2.0, 0.0});
}

TEST_CASE("backward on a tensor that does not require grad is an error") {
  Tensor x = tensor({1.0});
  CHECK_THROWS_WITH((x * 2.0).backward(), Contains("does not require grad"));
}

TEST_CASE("backward on a leaf accumulates ones into it") {
  Tensor x = scalar(4.0);
  x.backward();
  CHECK(x.grad().item() == 1.0);
}

TEST_CASE("no_grad records nothing") {
  Tensor x = scalar(1.0);
  Tensor y;
  {
    NoGradGuard no_grad;
    CHECK_FALSE(is_grad_enabled());
    y = tanh(x) * 3.0;
  }
  CHECK(is_grad_enabled());
  CHECK_FALSE(y.requires_grad());
  CHECK(y.grad_fn() == nullptr);
  CHECK(y.item() == Approx(3 * std::tanh(1.0)));
}

TEST_CASE("detach cuts the graph") {
  Tensor x = scalar(2.0);
  Tensor d = (x * x).detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.is_leaf());
  Tensor y = x * d;  // d is a constant 4
  y.backward();
  CHECK(x.grad().item() == Approx(4.0));
}

TEST_CASE("hooks see the gradient and may replace it") {
  Tensor x = scalar(1.0);
  double seen_leaf = 0, seen_inner = 0;
  x.register_hook([&](const Tensor& g) { seen_leaf = g.item(); });
  Tensor h = x * 3.0;
  h.register_hook([&](const Tensor& g) {
    seen_inner = g.item();
    return g * 10.0;  // replaces dL/dh
  });
  Tensor y = h * 2.0;
  y.backward();
  CHECK(seen_inner == Approx(2.0));
  CHECK(seen_leaf == Approx(60.0));  // hooks on a leaf see the total gradient, once
  CHECK(x.grad().item() == Approx(60.0));
}

TEST_CASE("a leaf hook runs once with the total over all uses") {
  Tensor x = scalar(1.0);
  int calls = 0;
  x.register_hook([&](const Tensor&) { ++calls; });
  (x * 2.0 + x * 3.0 + x).backward();
  CHECK(calls == 1);
  CHECK(x.grad().item() == Approx(6.0));
}

TEST_CASE("retain_grad keeps a non-leaf gradient, others stay empty") {
  Tensor x = scalar(2.0);
  Tensor h = x * x;
  Tensor k = h * 1.0;
  h.retain_grad();
  (k * 5.0).backward();
  CHECK(h.grad().item() == Approx(5.0));
  CHECK_FALSE(k.grad().defined());
  CHECK(x.grad().item() == Approx(20.0));
}

TEST_CASE("grad() returns gradients without touching .grad()") {
  Tensor x = scalar(3.0);
  Tensor w = scalar(-1.0);
  Tensor y = x * x * w;
  std::vector<Tensor> g = grad({y}, {x, w});
  CHECK(g[0].item() == Approx(-6.0));
  CHECK(g[1].item() == Approx(9.0));
  CHECK_FALSE(x.grad().defined());
  CHECK_FALSE(w.grad().defined());
}

TEST_CASE("grad() with respect to an intermediate tensor") {
  Tensor x = scalar(0.3);
  Tensor h = tanh(x);
  Tensor y = h * h * 4.0;
  std::vector<Tensor> g = grad({y}, {h, x});
  CHECK(g[0].item() == Approx(8.0 * std::tanh(0.3)));
  CHECK(g[1].item() == Approx(8.0 * std::tanh(0.3) * (1 - std::tanh(0.3) * std::tanh(0.3))));
}

TEST_CASE("grad() of an unused input is an error unless allow_unused") {
  Tensor x = scalar(1.0);
  Tensor unused = scalar(2.0);
  Tensor y = x * 2.0;
  CHECK_THROWS_WITH(grad({y}, {x, unused}, {}, {.retain_graph = true}),
                    Contains("input 1") && Contains("allow_unused"));
  std::vector<Tensor> g = grad({y}, {x, unused}, {}, {.allow_unused = true});
  CHECK(g[0].item() == Approx(2.0));
  CHECK_FALSE(g[1].defined());
  CHECK_THROWS_WITH(grad({x * 2.0}, {tensor({1.0})}), Contains("does not require grad"));
}

TEST_CASE("backward of several roots in one pass") {
  Tensor x = scalar(2.0);
  xg::backward({x * 3.0, x * x});
  CHECK(x.grad().item() == Approx(7.0));
}

TEST_CASE("second derivative of x^3 is 6x") {
  for (double v : {-1.5, 0.0, 2.0}) {
    Tensor x = scalar(v);
    Tensor y = x * x * x;
    Tensor dy = grad({y}, {x}, {}, {.create_graph = true})[0];
    CHECK(dy.item() == Approx(3 * v * v));
    CHECK(dy.requires_grad());
    Tensor d2y = grad({dy}, {x})[0];
    CHECK(d2y.item() == Approx(6 * v).margin(1e-12));
  }
}

TEST_CASE("second derivative of tanh is not silently zero") {
  // d2/dx2 tanh(x) = -2 tanh(x) (1 - tanh(x)^2): breaks if a node saved its output as raw data
  Tensor x = scalar(0.7);
  Tensor dy = grad({tanh(x)}, {x}, {}, {.create_graph = true})[0];
  Tensor d2y = grad({dy}, {x})[0];
  const double t = std::tanh(0.7);
  CHECK(d2y.item() == Approx(-2 * t * (1 - t * t)));
}

TEST_CASE("Hessian-vector product through backward with create_graph") {
  // f(x) = sum(x^2 * x_0) ... use f(x) = 0.5 x^T A x with symmetric A: H = A, Hv = A v
  Tensor A = tensor({{2.0, 1.0}, {1.0, 3.0}}, {.dtype = float64});
  Tensor x = tensor({0.5, -1.0}, {.dtype = float64, .requires_grad = true});
  Tensor v = tensor({1.0, 2.0}, {.dtype = float64});
  Tensor f = matmul(x, matmul(A, x)) * 0.5;
  Tensor g = grad({f}, {x}, {}, {.create_graph = true})[0];  // A x
  CHECK(g.to_vector() == std::vector<double>{0.0, -2.5});
  Tensor hv = grad({(g * v).sum()}, {x})[0];
  CHECK(hv.to_vector() == std::vector<double>{4.0, 7.0});
}

TEST_CASE("backward with create_graph accumulates a differentiable .grad()") {
  Tensor x = scalar(2.0);
  (x * x * x).backward({}, {.create_graph = true});
  REQUIRE(x.grad().requires_grad());
  Tensor g2 = grad({x.grad()}, {x})[0];
  CHECK(g2.item() == Approx(12.0));
}

TEST_CASE("a 1,000,000-node chain is built, differentiated and destroyed without stack overflow") {
  const int64_t before = Node::live_count();
  {
    Tensor x = scalar_tensor(0.0, {.requires_grad = true});
    Tensor y = x;
    for (int i = 0; i < 1'000'000; ++i) y = y + 1.0;
    CHECK(Node::live_count() - before == 1'000'000);
    CHECK(y.item() == 1'000'000.0);
    y.backward();
    CHECK(x.grad().item() == 1.0);
  }
  CHECK(Node::live_count() == before);
  {
    // never differentiated: teardown alone is the usual culprit
    Tensor x = scalar_tensor(1.0, {.requires_grad = true});
    Tensor y = x;
    for (int i = 0; i < 1'000'000; ++i) y = y * 1.0;
  }
  CHECK(Node::live_count() == before);
}

TEST_CASE("no node outlives its tensors, with or without retain_graph") {
  const int64_t before = Node::live_count();
  for (bool retain : {false, true}) {
    {
      Tensor w = tensor({{0.1, 0.2}, {0.3, 0.4}}, {.dtype = float64, .requires_grad = true});
      Tensor x = tensor({1.0, -1.0}, {.dtype = float64});
      Tensor h = tanh(matmul(w, x));
      h.retain_grad();
      h.register_hook([](const Tensor& g) { return g; });
      Tensor loss = (h * h).sum();
      CHECK(Node::live_count() > before);
      loss.backward({}, {.retain_graph = retain});
      if (retain) grad({loss}, {w}, {}, {.create_graph = true});
    }
    CHECK(Node::live_count() == before);
  }
}

namespace {
// A deliberately broken custom op: its backward returns two gradients for one input.
struct TwoGradsBackward final : Node {
  const char* name() const override { return "broken"; }
  Grads backward(const Tensor& g) override { return {g, g}; }
};
// Another: returns a gradient of the wrong shape.
struct WrongShapeBackward final : Node {
  const char* name() const override { return "misshapen"; }
  Grads backward(const Tensor&) override { return {zeros({5}, float64)}; }
};
}  // namespace

TEST_CASE("the engine enforces the backward contract and names the node") {
  Tensor x = tensor({1.0, 2.0}, {.dtype = float64, .requires_grad = true});
  Tensor y = Tensor::record<TwoGradsBackward>(x.detach(), {x});
  CHECK(y.grad_fn()->type_name() == "BrokenBackward");
  CHECK_THROWS_WITH(y.sum().backward(),
                    Contains("BrokenBackward") && Contains("incorrect number of gradients (expected 1, got 2)"));
  Tensor z = Tensor::record<WrongShapeBackward>(x.detach(), {x});
  CHECK_THROWS_WITH(z.sum().backward(), Contains("MisshapenBackward") && Contains("[5]") && Contains("[2]"));
  CHECK_FALSE(x.grad().defined());  // a failed backward leaves .grad() untouched
}

TEST_CASE("modifying a saved input in place is caught at backward") {
  Tensor w = tensor({1.0, 2.0}, {.dtype = float64, .requires_grad = true});
  Tensor x = tensor({3.0, 4.0}, {.dtype = float64});
  Tensor y = (w * x).sum();
  x.mul_(2.0);  // MulBackward saved x: its gradient for w would be computed from the new values
  CHECK(x.version() == 1);
  CHECK_THROWS_WITH(y.backward(), Contains("MulBackward") && Contains("modified in place") && Contains("version 1"));
}

TEST_CASE("in-place updates of a leaf that requires grad need no_grad") {
  Tensor w = tensor({1.0, 2.0}, {.dtype = float64, .requires_grad = true});
  CHECK_THROWS_WITH(w.add_(ones({2}, float64)), Contains("add_") && Contains("NoGradGuard"));
  {
    NoGradGuard no_grad;
    w.add_(ones({2}, float64), -0.5);
  }
  CHECK(w.to_vector() == std::vector<double>{0.5, 1.5});
  CHECK(w.requires_grad());
}

TEST_CASE("gradients of ops on inputs that need none are skipped") {
  Tensor w = tensor({{1.0, 2.0}}, {.dtype = float64, .requires_grad = true});
  Tensor x = tensor({{3.0}, {4.0}}, {.dtype = float64});
  matmul(w, x).sum().backward();
  CHECK(w.grad().to_vector() == std::vector<double>{3.0, 4.0});
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("grad() frees only the nodes it ran") {
  Tensor x = scalar(0.5);
  Tensor h = tanh(x);  // below the requested input: not run by grad({y}, {h})
  Tensor y = h * h;
  CHECK(grad({y}, {h})[0].item() == Approx(2 * std::tanh(0.5)));
  CHECK_FALSE(h.grad_fn()->released());
  (h * 3.0).backward();  // so a later backward through h's history still works
  CHECK(x.grad().item() == Approx(3 * (1 - std::tanh(0.5) * std::tanh(0.5))));
}

TEST_CASE("a gradient passed through to two leaves and the caller is never shared") {
  Tensor a = scalar(1.0);
  Tensor b = scalar(2.0);
  Tensor g = tensor(1.0, {.dtype = float64});
  (a + b).backward(g);  // add passes g through unchanged to both leaves
  CHECK_FALSE(a.grad().is_same(b.grad()));
  CHECK_FALSE(a.grad().is_same(g));
  (a + b).backward(g);  // in-place accumulation into a.grad must not touch b.grad or g
  CHECK(a.grad().item() == 2.0);
  CHECK(b.grad().item() == 2.0);
  CHECK(g.item() == 1.0);
  Tensor kept = a.grad();  // a caller holding .grad(): accumulation goes out of place
  (a * 1.0).backward();
  CHECK(kept.item() == 2.0);
  CHECK(a.grad().item() == 3.0);
}

TEST_CASE("with create_graph, shared gradients are cloned, keeping their history") {
  Tensor a = scalar(1.0);
  Tensor b = scalar(2.0);
  Tensor y = (a + b) * a;  // dy/da = 2a + b = 4, dy/db = a = 1
  y.backward({}, {.create_graph = true});
  CHECK(a.grad().item() == Approx(4.0));
  CHECK(b.grad().item() == Approx(1.0));
  CHECK_FALSE(a.grad().is_same(b.grad()));
  CHECK(grad({a.grad()}, {a})[0].item() == Approx(2.0));
}

TEST_CASE("backward with create_graph makes a cycle through .grad() that resetting it breaks") {
  // leaf -> .grad() -> its recorded history -> leaf: torch has the same cycle and warns about it
  const int64_t before = Node::live_count();
  {
    Tensor x = scalar(1.5);
    (x * x * x).backward({}, {.create_graph = true});
    CHECK(Node::live_count() > before);
    x.mutable_grad() = Tensor();
  }
  CHECK(Node::live_count() == before);
}

TEST_CASE("a hook must keep the gradient's shape and dtype") {
  Tensor x = tensor({1.0, 2.0}, {.dtype = float64, .requires_grad = true});
  x.name("x");
  x.register_hook([](const Tensor&) { return zeros({3}, float64); });
  CHECK_THROWS_WITH((x * 2.0).sum().backward(), Contains("register_hook") && Contains("'x'") && Contains("[3]"));
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("a failed backward writes no retained gradient either") {
  Tensor x = tensor({1.0, 2.0}, {.dtype = float64, .requires_grad = true});
  Tensor h = x * 2.0;
  h.retain_grad();
  struct Throwing final : Node {
    const char* name() const override { return "throwing"; }
    Grads backward(const Tensor&) override { throw ValueError("throwing: deliberately"); }
  };
  Tensor y = Tensor::record<Throwing>(x.detach(), {x});  // runs after h's consumer
  CHECK_THROWS_AS((h.sum() + y.sum()).backward(), ValueError);
  CHECK_FALSE(h.grad().defined());
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("grad() above a part of the graph an earlier backward freed still works") {
  Tensor x = scalar(0.5);
  Tensor h = tanh(x) * 2.0;
  (h * 1.0).backward();                                        // frees h's history (tanh, mul)
  Tensor z = h * h;                                            // a new graph on top of h
  CHECK(grad({z}, {h})[0].item() == Approx(2 * h.item()));     // h's freed history is not needed
  CHECK_THROWS_WITH(grad({z}, {x}), Contains("second time"));  // reaching x needs it: refused upfront
}

TEST_CASE("a released graph keeps its edges and still tears down without recursion") {
  const int64_t before = Node::live_count();
  {
    Tensor x = scalar_tensor(1.0, {.requires_grad = true});
    Tensor y = x;
    for (int i = 0; i < 200'000; ++i) y = y * 1.0;
    y.backward();  // every node released, each keeping its edge to the next
    REQUIRE(y.grad_fn()->released());
    CHECK(y.grad_fn()->edges().size() == 1);  // y * 1.0 keeps the scalar in the node, not as an input
    CHECK(y.grad_fn()->edges()[0].grad_fn != nullptr);
  }
  CHECK(Node::live_count() == before);
}

TEST_CASE("zero_grad resets gradients to none or to zeros without history") {
  Tensor a = scalar(2.0), b = scalar(3.0), untouched = scalar(1.0);
  (a * a * b).backward({}, {.create_graph = true});
  REQUIRE(a.grad().requires_grad());
  xg::zero_grad({a, b, untouched}, false);
  CHECK(a.grad().item() == 0.0);
  CHECK_FALSE(a.grad().requires_grad());  // zeros, not part of any graph
  CHECK(b.grad().item() == 0.0);
  CHECK_FALSE(untouched.grad().defined());  // never had one: stays undefined
  xg::zero_grad({a, b});
  CHECK_FALSE(a.grad().defined());
  CHECK_FALSE(b.grad().defined());
}
