// Tests of optim/optimizer (through SGD and Adam): param groups, zero_grad both ways, lr access,
// a failed step that changes nothing, and state save/load: the round trip, and every way a file
// can be wrong (missing, corrupt, truncated, wrong shape or dtype, missing or stray entries),
// each leaving the optimizer as it was.
#include <optim/adam.hpp>
#include <optim/optimizer.hpp>
#include <optim/sgd.hpp>

#include <autograd/error.hpp>
#include <autograd/npz.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/tensor.hpp>
#include <nn/activation.hpp>
#include <nn/linear.hpp>
#include <nn/sequential.hpp>

#include <catch2/catch.hpp>
#include <support/temp_dir.hpp>

#include <fmt/format.h>
#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;

using xg::Tensor;
using xg::optim::Adam;
using xg::optim::SGD;

namespace {
using xg::test::TempDir;

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
Tensor parameter(std::vector<double> values) {
  return xg::from_vector(values, {static_cast<int64_t>(values.size())}, {.dtype = xg::float64, .requires_grad = true});
}

void set_grad(Tensor param, std::vector<double> grad) {
  param.mutable_grad() = xg::from_vector(grad, param.shape(), {.dtype = param.dtype()});
}

// Two parameters in two groups with momentum, after two steps: every kind of state present.
struct Trained {
  Tensor w = parameter({1.0, -1.0});
  Tensor b = parameter({0.5});
  SGD sgd{{{.params = {w}, .options = {.lr = 0.1, .momentum = 0.9}},
           {.params = {b}, .options = {.lr = 0.05, .momentum = 0.5}}}};
  Trained() {
    for (int step = 0; step < 2; ++step) {
      set_grad(w, {0.5, -0.25});
      set_grad(b, {1.0});
      sgd.step();
    }
  }
};

// Everything load must leave alone, to compare before and after a failed load.
struct Snapshot {
  std::vector<double> lrs;
  std::map<std::string, std::vector<double>> state;

  explicit Snapshot(const xg::optim::Optimizer& optimizer) {
    for (size_t group = 0; group < optimizer.num_param_groups(); ++group) {
      lrs.push_back(optimizer.lr(group));
      for (size_t index = 0; index < optimizer.params(group).size(); ++index) {
        for (const auto& [name, value] : optimizer.state(group, index)) {
          state[fmt::format("{}.{}.{}", group, index, name)] = value.to_vector();
        }
      }
    }
  }
  bool operator==(const Snapshot&) const = default;
};

std::map<std::string, Tensor> valid_entries(const SGD& sgd, const TempDir& dir) {
  const std::string path = dir.file("valid.npz");
  sgd.save(path);
  return xg::load_npz(path);
}

}  // namespace

// ---- param groups and lr ----

TEST_CASE("param groups keep their own parameters and options, and report them by index") {
  Tensor a = parameter({1.0});
  Tensor b = parameter({2.0, 3.0});
  Tensor c = parameter({4.0});
  SGD sgd({{.params = {a, b}, .options = {.lr = 0.1}}, {.params = {c}, .options = {.lr = 0.01, .momentum = 0.9}}});
  REQUIRE(sgd.num_param_groups() == 2);
  CHECK(sgd.params(0).size() == 2);
  CHECK(sgd.params(0)[1].is_same(b));
  CHECK(sgd.params(1)[0].is_same(c));
  CHECK(sgd.lr(0) == 0.1);
  CHECK(sgd.lr(1) == 0.01);
  CHECK(sgd.param_groups()[1].options.momentum == 0.9);

  Tensor d = parameter({5.0});
  sgd.add_param_group({.params = {d}, .options = {.lr = 1.0}});
  CHECK(sgd.num_param_groups() == 3);
  set_grad(d, {0.5});
  sgd.step();  // a, b, c have no gradient: skipped
  CHECK(d.item() == 4.5);
  CHECK(a.item() == 1.0);
}

TEST_CASE("set_lr changes one group's lr and refuses a negative one") {
  Tensor a = parameter({1.0});
  Tensor b = parameter({1.0});
  SGD sgd({{.params = {a}, .options = {.lr = 0.1}}, {.params = {b}, .options = {.lr = 0.1}}});
  sgd.set_lr(1, 0.5);
  CHECK(sgd.lr(0) == 0.1);
  CHECK(sgd.lr(1) == 0.5);
  set_grad(a, {1.0});
  set_grad(b, {1.0});
  sgd.step();
  CHECK(a.item() == Approx(0.9));
  CHECK(b.item() == Approx(0.5));
  CHECK_THROWS_WITH(sgd.set_lr(0, -1.0), Catch::Contains("SGD") && Catch::Contains("lr = -1"));
  CHECK(sgd.lr(0) == 0.1);
  CHECK_THROWS_AS(sgd.lr(2), xg::ValueError);
  CHECK_THROWS_WITH(sgd.set_lr(2, 0.1), Catch::Contains("param group 2 does not exist") && Catch::Contains("0 to 1"));
}

TEST_CASE("an optimizer refuses parameters torch refuses, naming the parameter") {
  Tensor a = parameter({1.0});
  CHECK_THROWS_WITH(SGD(std::vector<Tensor>{}), Catch::Contains("SGD") && Catch::Contains("empty parameter list"));
  CHECK_THROWS_WITH(SGD({a, a}), Catch::Contains("parameter 1 of group 0 is already parameter 0 of group 0"));
  CHECK_THROWS_WITH(SGD({a, Tensor()}), Catch::Contains("parameter 1 of group 0 is undefined"));
  CHECK_THROWS_WITH(SGD({a * 2.0}), Catch::Contains("not a leaf"));
  CHECK_THROWS_AS(SGD({xg::from_vector(std::vector<int64_t>{1, 2}, {2})}), xg::DtypeError);

  SGD sgd({a});
  Tensor b = parameter({2.0});
  CHECK_THROWS_WITH(sgd.add_param_group({.params = {b, a}}),
                    Catch::Contains("parameter 1 of group 1 is already parameter 0 of group 0"));
  CHECK_THROWS_WITH(sgd.add_param_group({.params = {b}, .options = {.lr = -1.0}}), Catch::Contains("lr = -1"));
  CHECK(sgd.num_param_groups() == 1);
}

TEST_CASE("a model with a layer used twice gives the optimizer its tensors once, updated once per step") {
  auto layer = std::make_shared<xg::nn::Linear>(2, 2, true, xg::TensorOptions{.dtype = xg::float64});
  xg::nn::Sequential net(layer, xg::nn::Tanh(), layer);
  SGD sgd(net.parameters(), {.lr = 0.5});
  REQUIRE(sgd.params(0).size() == 2);
  const std::vector<double> before = layer->bias.to_vector();
  layer->bias.mutable_grad() = xg::full({2}, 1.0, {.dtype = xg::float64});
  sgd.step();
  const std::vector<double> after = layer->bias.to_vector();
  CHECK(after[0] == Approx(before[0] - 0.5));  // one step of lr * grad, not two
  CHECK(after[1] == Approx(before[1] - 0.5));
}

// ---- zero_grad ----

TEST_CASE("zero_grad sets gradients to none by default and to zeros when asked") {
  Tensor a = parameter({1.0, 2.0});
  Tensor b = parameter({3.0});
  SGD sgd({a, b}, {.lr = 0.1});
  set_grad(a, {0.5, 0.5});
  set_grad(b, {0.5});
  sgd.zero_grad();
  CHECK_FALSE(a.grad().defined());
  CHECK_FALSE(b.grad().defined());

  set_grad(a, {0.5, 0.5});
  sgd.zero_grad(false);
  REQUIRE(a.grad().defined());
  CHECK(a.grad().shape() == xg::Shape{2});
  CHECK(a.grad().to_vector() == std::vector<double>{0.0, 0.0});
  CHECK_FALSE(b.grad().defined());  // a missing gradient stays missing
}

TEST_CASE("zero_grad without set_to_none zeroes a gradient that was built with create_graph") {
  Tensor x = parameter({2.0});
  SGD sgd({x});
  (x * x).sum().backward({}, {.create_graph = true});
  REQUIRE(x.grad().requires_grad());
  sgd.zero_grad(false);
  CHECK(x.grad().item() == 0.0);
  CHECK_FALSE(x.grad().requires_grad());
}

// ---- a failing step ----

TEST_CASE("a step that fails on one parameter's gradient changes no parameter and no state") {
  Trained trained;
  const Snapshot before(trained.sgd);
  const std::vector<double> w_before = trained.w.to_vector();
  set_grad(trained.w, {0.5, -0.25});
  trained.b.mutable_grad() = xg::ones({2}, xg::float64);  // wrong shape, in the second group
  CHECK_THROWS_AS(trained.sgd.step(), xg::ShapeError);
  CHECK_THROWS_WITH(trained.sgd.step(), Catch::Contains("SGD.step") && Catch::Contains("parameter 0 of group 1") &&
                                            Catch::Contains("[2]") && Catch::Contains("[1]"));
  CHECK(trained.w.to_vector() == w_before);
  CHECK(Snapshot(trained.sgd) == before);

  trained.b.mutable_grad() = xg::ones({1}, xg::float32);
  CHECK_THROWS_AS(trained.sgd.step(), xg::DtypeError);
  CHECK_THROWS_WITH(trained.sgd.step(), Catch::Contains("float32") && Catch::Contains("float64"));
  CHECK(trained.w.to_vector() == w_before);
  CHECK(Snapshot(trained.sgd) == before);
}

// ---- save and load ----

TEST_CASE("saved state loads into a fresh optimizer, which then steps exactly like the original") {
  TempDir dir;
  Trained original;
  original.sgd.set_lr(1, 0.02);
  const std::string path = dir.file("sgd.npz");
  original.sgd.save(path);

  const std::map<std::string, Tensor> entries = xg::load_npz(path);
  CHECK(entries.contains("param_groups.0.lr"));
  CHECK(entries.contains("param_groups.1.lr"));
  CHECK(entries.contains("state.0.0.momentum_buffer"));
  CHECK(entries.contains("state.1.0.momentum_buffer"));
  CHECK(entries.size() == 4);

  Tensor w = parameter(original.w.to_vector());
  Tensor b = parameter(original.b.to_vector());
  SGD restored({{.params = {w}, .options = {.lr = 0.1, .momentum = 0.9}},
                {.params = {b}, .options = {.lr = 0.05, .momentum = 0.5}}});
  restored.load(path);
  CHECK(restored.lr(1) == 0.02);
  CHECK(Snapshot(restored) == Snapshot(original.sgd));

  for (int step = 0; step < 2; ++step) {
    for (auto [param, grad] :
         {std::pair{original.w, 0.3}, std::pair{w, 0.3}, std::pair{original.b, -0.2}, std::pair{b, -0.2}}) {
      param.mutable_grad() = xg::full_like(param, grad);
    }
    original.sgd.step();
    restored.step();
  }
  CHECK(w.to_vector() == original.w.to_vector());
  CHECK(b.to_vector() == original.b.to_vector());
}

TEST_CASE("Adam's saved state includes the step count and restores it") {
  TempDir dir;
  Tensor w = parameter({1.0, 2.0});
  Adam adam({w}, {.lr = 0.1, .amsgrad = true});
  for (int step = 0; step < 3; ++step) {
    set_grad(w, {0.5, -1.0});
    adam.step();
  }
  const std::string path = dir.file("adam.npz");
  adam.save(path);
  const std::map<std::string, Tensor> entries = xg::load_npz(path);
  REQUIRE(entries.contains("state.0.0.step"));
  CHECK(entries.at("state.0.0.step").dtype() == xg::float64);
  CHECK(entries.at("state.0.0.step").shape().empty());
  CHECK(entries.at("state.0.0.step").item() == 3.0);
  CHECK(entries.contains("state.0.0.exp_avg"));
  CHECK(entries.contains("state.0.0.exp_avg_sq"));
  CHECK(entries.contains("state.0.0.max_exp_avg_sq"));

  Tensor v = parameter(w.to_vector());
  Adam restored({v}, {.lr = 0.1, .amsgrad = true});
  restored.load(path);
  CHECK(restored.state(0, 0).at("step").item() == 3.0);
  set_grad(w, {0.2, 0.2});
  set_grad(v, {0.2, 0.2});
  adam.step();
  restored.step();
  CHECK(v.to_vector() == w.to_vector());
}

TEST_CASE("a state saved before any step loads as empty state") {
  TempDir dir;
  Tensor w = parameter({1.0});
  SGD fresh({w}, {.lr = 0.3, .momentum = 0.9});
  fresh.save(dir.file("fresh.npz"));
  Tensor v = parameter({1.0});
  SGD other({v}, {.lr = 0.1, .momentum = 0.9});
  set_grad(v, {1.0});
  other.step();
  other.load(dir.file("fresh.npz"));  // the loaded state replaces the current one, as torch
  CHECK(other.state(0, 0).empty());
  CHECK(other.lr(0) == 0.3);
}

TEST_CASE("loading a missing, corrupt or truncated file throws IOError and changes nothing") {
  TempDir dir;
  Trained trained;
  const Snapshot before(trained.sgd);

  CHECK_THROWS_AS(trained.sgd.load(dir.file("missing.npz")), xg::IOError);
  CHECK_THROWS_WITH(trained.sgd.load(dir.file("missing.npz")), Catch::Contains("missing.npz"));

  const std::string garbage = dir.file("garbage.npz");
  std::ofstream(garbage, std::ios::binary) << "this is not a zip archive at all, just some text";
  CHECK_THROWS_AS(trained.sgd.load(garbage), xg::IOError);

  const std::string truncated = dir.file("truncated.npz");
  trained.sgd.save(truncated);
  fs::resize_file(truncated, fs::file_size(truncated) / 2);
  CHECK_THROWS_AS(trained.sgd.load(truncated), xg::IOError);
  CHECK_THROWS_WITH(trained.sgd.load(truncated), Catch::Contains("truncated.npz"));

  CHECK(Snapshot(trained.sgd) == before);
}

TEST_CASE("loading a file whose entries do not fit throws ValueError naming the entry and changes nothing") {
  TempDir dir;
  Trained trained;
  const Snapshot before(trained.sgd);
  const std::map<std::string, Tensor> valid = valid_entries(trained.sgd, dir);

  struct Case {
    const char* name;
    std::map<std::string, Tensor> entries;
    std::vector<std::string> message;
  };
  auto with = [&](const std::string& key, const Tensor& value) {
    std::map<std::string, Tensor> entries = valid;
    entries[key] = value;
    return entries;
  };
  auto without = [&](const std::string& key) {
    std::map<std::string, Tensor> entries = valid;
    entries.erase(key);
    return entries;
  };
  const std::vector<Case> cases = {
      {"a buffer of the wrong shape",
       with("state.0.0.momentum_buffer", xg::zeros({3}, xg::float64)),
       {"state.0.0.momentum_buffer", "[3] float64", "[2] float64"}},
      {"a buffer of the wrong dtype",
       with("state.1.0.momentum_buffer", xg::zeros({1}, xg::float32)),
       {"state.1.0.momentum_buffer", "[1] float32", "[1] float64"}},
      {"a missing lr", without("param_groups.1.lr"), {"param_groups.1.lr", "no entry"}},
      {"an lr that is not a number", with("param_groups.0.lr", xg::zeros({2}, xg::float64)), {"param_groups.0.lr"}},
      {"a negative lr", with("param_groups.0.lr", xg::scalar_tensor(-0.1, {.dtype = xg::float64})), {"-0.1"}},
      {"a group the optimizer lacks",
       with("state.2.0.momentum_buffer", xg::zeros({1}, xg::float64)),
       {"state.2.0.momentum_buffer", "param group '2'", "has 2"}},
      {"a parameter the group lacks",
       with("state.0.1.momentum_buffer", xg::zeros({2}, xg::float64)),
       {"state.0.1.momentum_buffer", "parameter '1'", "group 0 has 1"}},
      {"state SGD does not keep",
       with("state.0.0.exp_avg", xg::zeros({2}, xg::float64)),
       {"state.0.0.exp_avg", "momentum_buffer"}},
      {"an entry that is not optimizer state", with("weight", xg::zeros({2}, xg::float64)), {"'weight'"}},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const std::string path = dir.file("bad.npz");
      xg::save_npz(path, c.entries);
      CHECK_THROWS_AS(trained.sgd.load(path), xg::ValueError);
      try {
        trained.sgd.load(path);
      } catch (const xg::ValueError& e) {
        INFO(e.what());
        CHECK_THAT(e.what(), Catch::Contains("SGD.load"));
        for (const std::string& part : c.message) CHECK_THAT(e.what(), Catch::Contains(part));
      }
      CHECK(Snapshot(trained.sgd) == before);
    }
  }
}

TEST_CASE("loading a parameter's incomplete Adam state throws naming the missing entry") {
  TempDir dir;
  Tensor w = parameter({1.0, 2.0});
  Adam adam({w}, {.lr = 0.1});
  set_grad(w, {0.5, 0.5});
  adam.step();
  const std::string path = dir.file("adam.npz");
  adam.save(path);
  std::map<std::string, Tensor> entries = xg::load_npz(path);
  entries.erase("state.0.0.exp_avg_sq");
  xg::save_npz(path, entries);

  const Snapshot before(adam);
  CHECK_THROWS_AS(adam.load(path), xg::ValueError);
  CHECK_THROWS_WITH(adam.load(path), Catch::Contains("Adam.load") && Catch::Contains("state.0.0.exp_avg_sq"));
  CHECK(Snapshot(adam) == before);

  entries = xg::load_npz(dir.file("adam.npz"));
  entries["state.0.0.exp_avg_sq"] = xg::zeros({2}, xg::float64);
  entries["state.0.0.step"] = xg::scalar_tensor(1.5, {.dtype = xg::float64});
  xg::save_npz(path, entries);
  CHECK_THROWS_WITH(adam.load(path), Catch::Contains("state.0.0.step") && Catch::Contains("1.5"));
  CHECK(Snapshot(adam) == before);
}
