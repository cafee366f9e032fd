// nn::Module: the parameter tree, names, modes, dtype conversion, summary, printing.
#include <autograd/error.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <nn/activation.hpp>
#include <nn/linear.hpp>
#include <nn/module.hpp>
#include <nn/sequential.hpp>

#include <catch2/catch.hpp>

using namespace xg;
using Catch::Contains;

namespace {
// A model written the way users write theirs: registered children and a parameter of its own.
struct TwoLayer : nn::Module {
  std::shared_ptr<nn::Linear> hidden = register_module("hidden", std::make_shared<nn::Linear>(2, 4));
  std::shared_ptr<nn::Linear> out = register_module("out", std::make_shared<nn::Linear>(4, 1));
  Tensor scale = register_parameter("scale", ones({1}));
  Tensor forward(const Tensor& x) override { return (*out)(sigmoid((*hidden)(x))) * scale; }
  std::string type_name() const override { return "TwoLayer"; }
};
}  // namespace

TEST_CASE("named_parameters walks the tree with dotted names in registration order") {
  TwoLayer m;
  std::vector<std::string> names;
  for (const auto& [name, p] : m.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"scale", "hidden.weight", "hidden.bias", "out.weight", "out.bias"});
  CHECK(m.named_parameters(false).size() == 1);
  CHECK(m.parameters().size() == 5);
  CHECK(m.children().size() == 2);
  CHECK(m.named_children()[1].first == "out");
  CHECK(m.parameter_count() == 1 + 8 + 4 + 4 + 1);
  for (const Tensor& p : m.parameters()) CHECK(p.requires_grad());
}

TEST_CASE("parameters are the module's own tensors, not copies") {
  TwoLayer m;
  CHECK(m.parameters()[1].is_same(m.hidden->weight));
}

TEST_CASE("zero_grad resets every gradient, to none by default or to zeros") {
  TwoLayer m;
  m(ones({3, 2})).sum().backward();
  for (const Tensor& p : m.parameters()) REQUIRE(p.grad().defined());
  m.zero_grad(false);
  for (const Tensor& p : m.parameters()) CHECK(p.grad().to_vector() == std::vector<double>(p.numel(), 0.0));
  m.zero_grad();
  for (const Tensor& p : m.parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("train and eval switch the whole tree") {
  TwoLayer m;
  CHECK(m.is_training());
  m.eval();
  CHECK_FALSE(m.is_training());
  CHECK_FALSE(m.hidden->is_training());
  m.train();
  CHECK(m.out->is_training());
}

TEST_CASE("to(dtype) converts parameters in place, so handles held elsewhere follow") {
  TwoLayer m;
  Tensor held = m.hidden->weight;
  const auto before = held.to_vector();
  m.to(float64);
  CHECK(held.dtype() == float64);
  CHECK(held.requires_grad());
  const auto after = held.to_vector();
  for (size_t i = 0; i < before.size(); ++i) CHECK(after[i] == Approx(before[i]));
  CHECK(m(ones({1, 2}, float64)).dtype() == float64);
  CHECK_THROWS_AS(m.to(int64), DtypeError);
}

TEST_CASE("registering twice, or a dotted name, is an error") {
  struct Bad : nn::Module {
    Tensor forward(const Tensor& x) override { return x; }
    std::string type_name() const override { return "Bad"; }
    void twice() {
      register_parameter("w", ones({1}));
      register_parameter("w", ones({1}));
    }
    void dotted() { register_parameter("a.b", ones({1})); }
  };
  Bad b;
  CHECK_THROWS_WITH(b.twice(), Contains("'w' is already a parameter"));
  CHECK_THROWS_AS(b.dotted(), ValueError);
}

TEST_CASE("the summary of a 2-4-1 network reports its 17 parameters") {
  nn::Sequential net(nn::Linear(2, 4), nn::Sigmoid(), nn::Linear(4, 1), nn::Sigmoid());
  const std::string s = net.summary({1, 2});
  CHECK_THAT(s, Contains("0 (Linear)") && Contains("[1, 4]") && Contains("1 (Sigmoid)") && Contains("[1, 1]") &&
                    Contains("Total parameters: 17"));
  CHECK(net.parameter_count() == 17);
  CHECK(net.is_training());  // summary runs in eval mode and restores the mode
}

TEST_CASE("modules print like torch") {
  nn::Sequential net(nn::Linear(2, 4), nn::LeakyReLU(0.2), nn::Linear(4, 1, false));
  CHECK(nn::to_string(net) ==
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=4, bias=True)\n"
        "  (1): LeakyReLU(negative_slope=0.2)\n"
        "  (2): Linear(in_features=4, out_features=1, bias=False)\n"
        ")");
}
