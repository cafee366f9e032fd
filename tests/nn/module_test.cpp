// nn::Module: the parameter tree, names, modes, dtype conversion, summary, printing.
#include "support/sanitizers.hpp"

#include <autograd/error.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/random.hpp>
#include <nn/activation.hpp>
#include <nn/linear.hpp>
#include <nn/module.hpp>
#include <nn/sequential.hpp>

#include <sys/resource.h>
#include <unistd.h>
#include <catch2/catch.hpp>
#include <fstream>
#include <stdexcept>

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

// A layer that fails in forward, as a shape mismatch deep inside a user's model would.
struct Throws : nn::Module {
  Tensor forward(const Tensor&) override { throw std::runtime_error("forward failed"); }
  std::string type_name() const override { return "Throws"; }
};

// Caps the process's address space for one scope, `headroom` bytes above what it uses now, so
// that the next large allocation fails (std::bad_alloc) and small ones still succeed.
class AddressSpaceCap {
 public:
  explicit AddressSpaceCap(size_t headroom) {
    REQUIRE(getrlimit(RLIMIT_AS, &saved_) == 0);
    size_t pages = 0;
    std::ifstream("/proc/self/statm") >> pages;  // the first field: the address space in use, in pages
    REQUIRE(pages > 0);
    rlimit cap = saved_;
    cap.rlim_cur = pages * static_cast<size_t>(sysconf(_SC_PAGESIZE)) + headroom;
    REQUIRE((saved_.rlim_max == RLIM_INFINITY || cap.rlim_cur <= saved_.rlim_max));
    REQUIRE(setrlimit(RLIMIT_AS, &cap) == 0);
  }
  ~AddressSpaceCap() { setrlimit(RLIMIT_AS, &saved_); }
  AddressSpaceCap(const AddressSpaceCap&) = delete;
  AddressSpaceCap& operator=(const AddressSpaceCap&) = delete;

 private:
  rlimit saved_{};
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

TEST_CASE("zero_grad without set_to_none zeroes a gradient built with create_graph, dropping its history") {
  TwoLayer m;
  m(ones({3, 2})).sum().backward({}, {.create_graph = true});
  const Tensor& weight_grad = m.hidden->weight.grad();
  REQUIRE(weight_grad.requires_grad());
  REQUIRE(weight_grad.grad_fn());
  m.zero_grad(false);
  for (const Tensor& p : m.parameters()) {
    CHECK(p.grad().to_vector() == std::vector<double>(p.numel(), 0.0));
    CHECK_FALSE(p.grad().requires_grad());
    CHECK_FALSE(p.grad().grad_fn());
  }
  // the zeros are a plain tensor again: the next backward accumulates into them
  m(ones({3, 2})).sum().backward();
  CHECK(m.scale.grad().defined());
  CHECK_FALSE(m.scale.grad().requires_grad());
  for (auto& p : m.parameters()) p.mutable_grad() = Tensor();  // break the create_graph cycle
}

TEST_CASE("a tensor shared by two places is one parameter, under its first name, as in torch") {
  manual_seed(3);
  auto layer = std::make_shared<nn::Linear>(3, 3);
  nn::Sequential net(layer, nn::Tanh(), layer);  // one layer applied twice: tied weights
  std::vector<std::string> names;
  for (const auto& [name, p] : net.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias"});
  CHECK(net.parameters().size() == 2);
  CHECK(net.parameters()[0].is_same(layer->weight));
  CHECK(net.parameter_count() == 12);  // 9 + 3, counted once

  nn::Linear single(2, 2);
  single.register_parameter("tied", single.weight);  // the same tensor under a second name
  CHECK(single.named_parameters().size() == 2);
  CHECK(single.named_parameters()[0].first == "weight");
  CHECK(single.named_parameters(false).size() == 2);
  CHECK(single.parameter_count() == 6);
}

TEST_CASE("modules are built from outside with the public register functions, as in LibTorch") {
  nn::Sequential net;
  auto hidden = net.register_module("hidden", std::make_shared<nn::Linear>(2, 3));
  Tensor temperature = net.register_parameter("temperature", full({1}, 2.0));
  net.add_child("act", std::make_shared<nn::Tanh>());
  std::vector<std::string> names;
  for (const auto& [name, p] : net.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"temperature", "hidden.weight", "hidden.bias"});
  CHECK(temperature.requires_grad());
  CHECK(net.named_children()[1].first == "act");
  CHECK(hidden.get() == net.named_children()[0].second.get());
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

TEST_CASE("to(dtype) that fails part-way converts no parameter at all") {
  // a small parameter converted first, then one whose float64 copy (128 MiB) cannot be allocated
  struct SmallThenLarge : nn::Module {
    Tensor small = register_parameter("small", ones({3}));
    Tensor large = register_parameter("large", zeros({int64_t{1} << 24}));
    Tensor forward(const Tensor& x) override { return x; }
    std::string type_name() const override { return "SmallThenLarge"; }
  };
  SmallThenLarge m;
  Tensor small_held = m.small;
  if (XGRAD_TEST_SANITIZED) {
    WARN("skipped under a sanitizer: its shadow memory leaves no address space to cap");
    return;
  }
  {
    AddressSpaceCap cap(size_t{32} << 20);
    CHECK_THROWS_AS(m.to(float64), std::bad_alloc);
  }
  CHECK(small_held.dtype() == float32);
  CHECK(m.large.dtype() == float32);
  CHECK(small_held.to_vector() == std::vector<double>{1, 1, 1});
  m.to(float64);  // with memory to spare, the conversion goes through
  CHECK(small_held.dtype() == float64);
  CHECK(m.large.dtype() == float64);
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

TEST_CASE("the summary of Sequential shows each child's output shape, fed the previous one") {
  nn::Sequential net(nn::Linear(2, 4), nn::Sigmoid(), nn::Linear(4, 1), nn::Sigmoid());
  CHECK(net.summary({3, 2}) ==
        "Layer (type)            Output shape            Params\n"
        "------------------------------------------------------\n"
        "0 (Linear)              [3, 4]                      12\n"
        "1 (Sigmoid)             [3, 4]                       0\n"
        "2 (Linear)              [3, 1]                       5\n"
        "3 (Sigmoid)             [3, 1]                       0\n"
        "------------------------------------------------------\n"
        "Total parameters: 17\n");
}

TEST_CASE("the summary of a custom module shows its output, its children's counts and its own parameters") {
  // TwoLayer's forward applies its children in its own way (and scales), so only the module's
  // output shape is known; the rows 12 + 5 + 1 add up to the total
  TwoLayer m;
  CHECK(m.summary({3, 2}) ==
        "Layer (type)            Output shape            Params\n"
        "------------------------------------------------------\n"
        "TwoLayer                [3, 1]                       -\n"
        "  hidden (Linear)       -                           12\n"
        "  out (Linear)          -                            5\n"
        "(own)                   -                            1\n"
        "------------------------------------------------------\n"
        "Total parameters: 18\n");
}

TEST_CASE("the summary counts a shared layer once, so the rows add up to the total") {
  auto layer = std::make_shared<nn::Linear>(3, 3);
  nn::Sequential net(layer, nn::Tanh(), layer);
  const std::string s = net.summary({1, 3});
  CHECK_THAT(s, Contains("0 (Linear)              [1, 3]                      12\n") &&
                    Contains("2 (Linear)              [1, 3]                       0\n") &&
                    Contains("Total parameters: 12"));
}

TEST_CASE("summary restores each module's own mode, also when forward throws") {
  nn::Sequential net(nn::Linear(2, 2), nn::Dropout(0.5), nn::Linear(2, 2));
  net[1]->eval();  // the user froze one child; the others train
  net.summary({1, 2});
  CHECK(net.is_training());
  CHECK(net[0]->is_training());
  CHECK_FALSE(net[1]->is_training());
  CHECK(net[2]->is_training());

  nn::Sequential failing(nn::Linear(2, 2), Throws(), nn::Dropout(0.5));
  CHECK_THROWS_WITH(failing.summary({1, 2}), "forward failed");
  CHECK(failing.is_training());
  CHECK(failing[0]->is_training());
  CHECK(failing[2]->is_training());
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
