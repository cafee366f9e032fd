// The bad-input catalogue: every public entry point fed invalid input. Each case asserts the
// documented xg::Error subclass, that the message names the op and the offending values, and,
// where there is state (a model, an optimizer, a graph, a .grad()), that nothing changed.
// README "Errors you may see" summarises it.
#include "support/temp_dir.hpp"

#include <autograd/autograd.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

using namespace xg;
using Catch::Contains;

namespace {

// Runs `fn`, which must throw exactly an E (or a subclass of it) whose message contains every part.
template <class E, class F>
void expect_error(const char* call, F&& fn, std::initializer_list<std::string> parts) {
  INFO("call: " << call);
  try {
    fn();
  } catch (const E& e) {
    const std::string what = e.what();
    INFO("message: " << what);
    for (const std::string& part : parts) CHECK_THAT(what, Contains(part));
    return;
  } catch (const std::exception& e) {
    FAIL_CHECK("threw another exception type: " << e.what());
    return;
  }
  FAIL_CHECK("did not throw");
}

#define CHECK_ERROR(E, call, ...) expect_error<E>(#call, [&] { (void)(call); }, {__VA_ARGS__})

Tensor f64(std::vector<double> values, Shape shape, bool requires_grad = false) {
  return from_vector(values, shape, {.dtype = float64, .requires_grad = requires_grad});
}

// Everything a model or an optimizer holds, for "unchanged afterwards".
struct Snapshot {
  std::vector<std::vector<double>> values, grads;
  std::vector<uint32_t> versions;
  std::vector<Dtype> dtypes;
  bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(const std::vector<Tensor>& tensors) {
  Snapshot s;
  for (const Tensor& t : tensors) {
    s.values.push_back(t.to_vector());
    s.grads.push_back(t.grad().defined() ? t.grad().to_vector() : std::vector<double>{});
    s.versions.push_back(t.version());
    s.dtypes.push_back(t.dtype());
  }
  return s;
}

std::vector<Tensor> optimizer_state(const optim::Optimizer& opt, size_t params) {
  std::vector<Tensor> out;
  for (size_t i = 0; i < params; ++i) {
    for (const auto& [name, t] : opt.state(0, i)) out.push_back(t);
  }
  return out;
}

// An SGD checkpoint of one parameter of shape [2], with a momentum buffer, at `path`.
void save_sgd_checkpoint(const std::string& path) {
  Tensor w = f64({1, 2}, {2}, true);
  optim::SGD sgd({w}, {.lr = 0.1, .momentum = 0.9});
  (w * w).sum().backward();
  sgd.step();
  sgd.save(path);
}

}  // namespace

TEST_CASE("tensor construction: counts, ragged lists, negative sizes, item()") {
  CHECK_ERROR(ShapeError, from_vector({1.0, 2.0, 3.0}, {2, 2}), "from_vector", "3 values", "[2, 2]");
  CHECK_ERROR(ShapeError, tensor({{1.0, 2.0}, {3.0}}), "tensor", "nested lists of different shapes");
  CHECK_ERROR(ValueError, zeros({2, -3}), "zeros", "[2, -3]", "negative size");
  CHECK_ERROR(ValueError, ones({-1}), "ones", "[-1]");
  CHECK_ERROR(ValueError, full({-2}, 1.0), "full", "[-2]");
  CHECK_ERROR(ValueError, randn({3, -1}), "randn", "[3, -1]");
  CHECK_ERROR(ValueError, arange(0.0, 5.0, -1.0), "arange", "opposite signs");
  CHECK_ERROR(ValueError, randint(5, 5, {2}), "randint", "low 5 must be < high 5");
  CHECK_ERROR(ValueError, randperm(-1), "randperm", "-1");
  CHECK_ERROR(ValueError, uniform({2}, 1.0, 0.0), "uniform", "low 1 must be <= high 0");
  CHECK_ERROR(ValueError, zeros({2, 3}).item(), "item", "[2, 3]");
  CHECK_ERROR(ValueError, zeros({0}).item(), "item", "[0]");
  CHECK_ERROR(DtypeError, zeros({2}, int64).requires_grad_(), "requires_grad_", "int64");
  CHECK_ERROR(ValueError, set_default_dtype(int64), "set_default_dtype", "int64");
  CHECK(default_dtype() == float32);  // unchanged
}

TEST_CASE("elementwise ops: shapes that do not broadcast, dtype mixes, int64 where floats are needed") {
  const Tensor a = f64({1, 2, 3, 4, 5, 6}, {2, 3}), b = f64({1, 2}, {2});
  CHECK_ERROR(ShapeError, a + b, "add", "[2, 3]", "[2]", "cannot be broadcast");
  CHECK_ERROR(ShapeError, a - b, "sub", "[2, 3]", "[2]");
  CHECK_ERROR(ShapeError, a * b, "mul", "[2, 3]", "[2]");
  CHECK_ERROR(ShapeError, a / b, "div", "[2, 3]", "[2]");
  CHECK_ERROR(ShapeError, pow(a, b), "pow", "[2, 3]", "[2]");
  CHECK_ERROR(ShapeError, where(f64({1, 0}, {2}) > 0, a, a), "where", "[2]", "[2, 3]");
  CHECK_ERROR(DtypeError, where(f64({1, 0}, {2}), a, a), "where", "bool", "float64");
  CHECK_ERROR(DtypeError, a - (a > 2), "sub", "bool", "logical_xor");
  CHECK_ERROR(DtypeError, exp(zeros({2}, int64)), "exp", "int64");
  CHECK_ERROR(DtypeError, tanh(zeros({2}, int64)), "tanh", "int64");
  Tensor counts = zeros({2}, int64);
  CHECK_ERROR(DtypeError, counts += 0.5, "add_", "float32", "int64", "can't be cast");
  CHECK_ERROR(DtypeError, counts /= 2, "div_", "float32", "int64");
  CHECK(counts.version() == 0);
  CHECK_ERROR(ValueError, clamp(a, 2.0, 1.0), "clamp", "min 2 is greater than max 1");
  CHECK_ERROR(ValueError, softplus(a, 0.0), "softplus", "beta must be non-zero");
  CHECK_ERROR(ShapeError, broadcast_to(a, {3, 2}), "broadcast_to", "[2, 3]", "[3, 2]");
}

TEST_CASE("matmul and gemm: inner dims, batch sizes, ranks") {
  const Tensor a = zeros({2, 3}, float64);
  CHECK_ERROR(ShapeError, matmul(a, zeros({2, 3}, float64)), "matmul", "[2, 3]", "inner dims 3 != 2");
  CHECK_ERROR(ShapeError, matmul(zeros({2, 2, 3}, float64), zeros({3, 3, 1}, float64)), "matmul", "batch sizes 2 != 3");
  CHECK_ERROR(ShapeError, matmul(zeros({1, 1, 1, 1}, float64), a), "matmul", "1-D to 3-D");
  CHECK_ERROR(ShapeError, gemm(a, a), "gemm", "[2, 3]");
  CHECK_ERROR(ShapeError, gemm(a, zeros({3}, float64)), "gemm", "[3]");
  CHECK_ERROR(DtypeError, matmul(a, zeros({3, 1}, float32)), "matmul", "float64", "float32");
}

TEST_CASE("reductions and axes: out of range, empty tensors") {
  const Tensor a = zeros({2, 3}, float64);
  CHECK_ERROR(ShapeError, sum(a, 2), "sum", "axis 2 is out of range", "dimension 2", "-2 to 1");
  CHECK_ERROR(ShapeError, mean(a, -3), "mean", "axis -3");
  CHECK_ERROR(ShapeError, max(a, 5), "max", "axis 5");
  CHECK_ERROR(ShapeError, argmax(a, 2), "argmax", "axis 2");
  CHECK_ERROR(ShapeError, argmin(a, -3), "argmin", "axis -3");
  CHECK_ERROR(ShapeError, softmax(a, 2), "softmax", "axis 2");
  CHECK_ERROR(ShapeError, log_softmax(a, -3), "log_softmax", "axis -3");
  CHECK_ERROR(ShapeError, max(zeros({0}, float64)), "max", "empty tensor", "[0]");
  CHECK_ERROR(ShapeError, min(zeros({2, 0}, float64), 1), "min", "axis 1 of size 0");
  CHECK_ERROR(ShapeError, unsqueeze(a, 3), "unsqueeze", "axis 3");
  CHECK_ERROR(ShapeError, squeeze(a, 2), "squeeze", "axis 2");
  CHECK_ERROR(ShapeError, transpose(a, 0, 2), "transpose", "axis 2");
  CHECK_ERROR(ShapeError, transpose(zeros({3}, float64)), "transpose", "[3]");
  CHECK_ERROR(ShapeError, zeros({2, 2, 2}).t(), "t", "[2, 2, 2]");
  CHECK_ERROR(ShapeError, concat({a, a}, 2), "concat", "axis 2");
  CHECK_ERROR(ShapeError, stack({a, a}, 3), "stack", "axis 3");
  CHECK_ERROR(ShapeError, slice(a, 2, 0, 1), "slice", "axis 2");
  CHECK_ERROR(ShapeError, index_select(a, 2, from_vector(std::vector<int64_t>{0}, {1})), "index_select", "axis 2");
}

TEST_CASE("shape ops: sizes that do not fit, negative sizes, mismatched lists") {
  const Tensor a = zeros({2, 3}, float64);
  CHECK_ERROR(ShapeError, reshape(a, {4, 2}), "reshape", "[4, 2]", "[2, 3]", "6 elements");
  CHECK_ERROR(ShapeError, reshape(a, {-1, -1}), "reshape", "only one size may be -1");
  CHECK_ERROR(ValueError, reshape(a, {-2, 3}), "reshape", "invalid size -2");
  CHECK_ERROR(ShapeError, view(a, {5}), "view", "[5]", "[2, 3]");
  CHECK_ERROR(ShapeError, concat({a, zeros({3, 2}, float64)}, 0), "concat", "axis 0", "tensor 1 differs");
  CHECK_ERROR(ShapeError, stack({a, zeros({3, 2}, float64)}), "stack", "[2, 3]", "[3, 2]");
  CHECK_ERROR(ValueError, concat({}, 0), "concat");
  CHECK_ERROR(ValueError, slice(a, 0, 0, 2, 0), "slice", "step must be >= 1, got 0");
  CHECK_ERROR(ValueError, index_select(a, 0, from_vector(std::vector<int64_t>{0, 2}, {2})), "index_select", "index 2",
              "axis 0 of size 2");
  CHECK_ERROR(DtypeError, index_select(a, 0, f64({0}, {1})), "index_select", "int64", "float64");
  CHECK_ERROR(ValueError, one_hot(from_vector(std::vector<int64_t>{0, 3}, {2}), 3), "one_hot", "class index 3",
              "3 classes");
  CHECK_ERROR(ValueError, one_hot(from_vector(std::vector<int64_t>{0}, {1}), 0), "one_hot", "num_classes", "got 0");
  CHECK_ERROR(DtypeError, one_hot(f64({0}, {1}), 2), "one_hot", "int64", "float64");
}

TEST_CASE("backward and grad: non-scalar roots, freed graphs, tensors without grad, wrong gradients") {
  Tensor w = f64({1, 2}, {2}, true);
  Tensor y = w * w;
  CHECK_ERROR(GraphError, y.backward(), "backward", "[2]");
  CHECK_FALSE(w.grad().defined());
  CHECK_ERROR(ShapeError, y.backward(f64({1, 1, 1}, {3})), "backward", "[3]", "[2]");
  CHECK_ERROR(DtypeError, y.backward(ones({2}, float32)), "backward", "float32", "float64");
  CHECK_FALSE(w.grad().defined());
  Tensor loss = y.sum();
  loss.backward();
  const Snapshot after_first = snapshot({w});
  CHECK_ERROR(GraphError, loss.backward(), "SumBackward", "a second time", "retain_graph");
  CHECK(snapshot({w}) == after_first);  // the failed second pass added nothing to .grad()
  const Tensor x = f64({1, 2}, {2});
  CHECK_ERROR(GraphError, x.backward(), "backward", "does not require grad");
  CHECK_ERROR(GraphError, grad({(w * 2.0).sum()}, {x}), "grad", "does not require grad");
  CHECK_ERROR(GraphError, grad({(w * 2.0).sum()}, {f64({1}, {1}, true)}), "grad", "not used");
  CHECK_ERROR(ValueError, grad({(w * 2.0).sum()}, {w}, {ones({}, float64), ones({}, float64)}), "grad",
              "1 tensors but 2 gradients");
  CHECK_ERROR(ValueError, grad({Tensor()}, {w}), "grad", "undefined");
  CHECK(snapshot({w}) == after_first);
  // the failed calls recorded nothing and freed nothing: a graph built before them still runs
  Tensor kept = (w * w).sum();
  const int64_t live = Node::live_count();
  CHECK_ERROR(ShapeError, kept.backward(f64({1, 1}, {2})), "backward", "[2]");
  CHECK_ERROR(ShapeError, w + f64({1, 2, 3}, {3}), "add");
  CHECK(Node::live_count() == live);
  kept.backward();
  CHECK(w.grad().to_vector() == std::vector<double>{2 + 2, 4 + 4});  // 2w from the first pass, plus 2w
}

TEST_CASE("in-place writes: a saved tensor changed before backward, a leaf that requires grad") {
  Tensor w = f64({1, 2}, {2}, true);
  Tensor x = f64({3, 4}, {2}).name("x");
  Tensor loss = (w * x).sum();
  x.mul_(2.0);
  CHECK_ERROR(GraphError, loss.backward(), "MulBackward", "'x'", "modified in place", "version 1, expected 0");
  CHECK_FALSE(w.grad().defined());
  const Snapshot before = snapshot({w});
  CHECK_ERROR(GraphError, w.add_(ones({2}, float64)), "add_", "NoGradGuard");
  CHECK_ERROR(GraphError, w.mul_(2.0), "mul_", "NoGradGuard");
  CHECK(snapshot({w}) == before);
  CHECK_ERROR(ShapeError, x.copy_(zeros({3}, float64)), "copy_", "[3]", "[2]");
  CHECK_ERROR(ShapeError, x.add_(zeros({3}, float64)), "add_", "[3]", "[2]");
  CHECK_ERROR(GraphError, (w * 2.0).requires_grad_(false), "requires_grad_", "not a leaf");
  CHECK_ERROR(DtypeError, x.data_ptr<float>(), "data_ptr", "float32", "float64");
  CHECK(x.to_vector() == std::vector<double>{6, 8});
}

TEST_CASE("views and indexing: indices out of range, index tensors that do not fit, writes into expanded views") {
  using namespace xg::indexing;
  Tensor x = f64({0, 1, 2, 3, 4, 5}, {2, 3}).name("x");
  const Tensor rows = from_vector(std::vector<int64_t>{0, 2}, {2});
  CHECK_ERROR(IndexError, x[2], "select", "index 2", "size 2");
  CHECK_ERROR(IndexError, x.index({0, 0, 0}), "index", "too many indices", "dimension 2", "[2, 3]");
  CHECK_ERROR(IndexError, x.index({Slice(), 3}), "index", "index 3", "axis 1", "size 3");
  CHECK_ERROR(IndexError, x.index({rows}), "index", "index 2", "axis 0", "size 2");
  CHECK_ERROR(IndexError, x.index({f64({0}, {1})}), "index", "must be int64", "float64");
  CHECK_ERROR(IndexError, x.index({rows, from_vector(std::vector<int64_t>{0, 1, 2}, {3})}), "index",
              "broadcast together", "[2], [3]");
  CHECK_ERROR(ShapeError, x.index_put_({Slice(), from_vector(std::vector<int64_t>{0, 1}, {2})}, f64({1, 2, 3}, {3})),
              "index_put", "[3]", "[2, 2]");
  // torch: "Index put requires the source and destination dtypes match"
  CHECK_ERROR(DtypeError, x.index_put_({rows.index({Slice(0, 1)})}, zeros({3}, float32)), "index_put", "float32",
              "float64");
  Tensor expanded = f64({1, 2, 3}, {3}).expand({2, 3});
  CHECK_ERROR(GraphError, expanded.index_put_({Slice()}, 0.0), "single memory location", "[2, 3]", "strides [0, 1]");
  CHECK_ERROR(GraphError, expanded.index_put_({rows.index({Slice(0, 1)})}, 0.0), "index_put_",
              "single memory location");
  CHECK_ERROR(GraphError, expanded.add_(1.0), "add_", "single memory location");
  CHECK_ERROR(ShapeError, x.view({3, 3}), "view", "[3, 3]", "[2, 3]");
  CHECK_ERROR(ShapeError, x.t().view({6}), "view", "use reshape");
  CHECK(x.to_vector() == std::vector<double>{0, 1, 2, 3, 4, 5});  // nothing was written
  CHECK(x.version() == 0);
}

TEST_CASE("masks and comparisons: shapes that do not broadcast or fit, masks that are not bool") {
  using namespace xg::indexing;
  Tensor x = f64({0, 1, 2, 3, 4, 5}, {2, 3}).name("x");
  const Tensor mask3 = f64({1, 0, 1}, {3}) > 0;
  CHECK_ERROR(ShapeError, x < f64({1, 2}, {2}), "lt", "[2, 3]", "[2]");
  CHECK_ERROR(ShapeError, logical_and(x > 0, mask3.index({Slice(0, 2)})), "logical_and", "[2, 3]", "[2]");
  CHECK_ERROR(DtypeError, x & x, "bitwise_and", "bool and int64", "float64");
  CHECK_ERROR(IndexError, x.index({mask3}), "index", "mask [3]", "[2, 3]", "index 0");
  CHECK_ERROR(IndexError, x.index_put_({mask3}, 1.0), "index_put_", "mask [3]");
  CHECK_ERROR(DtypeError, x.masked_fill_(f64({1, 0, 1}, {3}), 1.0), "masked_fill_", "bool", "float64");
  CHECK_ERROR(ShapeError, x.masked_fill_(f64({1, 0, 1, 1}, {2, 2}) > 0, 1.0), "[2, 3]", "[2, 2]");
  CHECK_ERROR(DtypeError, masked_fill(x, zeros({3}, int64), 1.0), "masked_fill", "bool", "int64");
  CHECK_ERROR(ValueError, isclose(x, x, -1.0), "isclose", "rtol");
  CHECK_ERROR(DtypeError, (x > 0).requires_grad_(), "requires_grad_", "bool");
  CHECK(x.to_vector() == std::vector<double>{0, 1, 2, 3, 4, 5});  // nothing was written
  CHECK(x.version() == 0);
}

TEST_CASE("losses: labels out of range, probabilities outside [0, 1], shapes that differ") {
  const Tensor logits = f64({0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, {2, 3}, true);
  const Tensor labels = from_vector(std::vector<int64_t>{0, 3}, {2});
  CHECK_ERROR(ValueError, nn::cross_entropy(logits, labels), "cross_entropy", "target 3 at index 1", "3 classes",
              "0 to 2");
  CHECK_ERROR(ValueError, nn::cross_entropy(logits, from_vector(std::vector<int64_t>{-1, 0}, {2})), "cross_entropy",
              "target -1");
  CHECK_ERROR(ValueError, nn::nll_loss(logits, labels), "nll_loss", "target 3");
  // float targets are class probabilities, [N, C] like the input
  CHECK_ERROR(ShapeError, nn::cross_entropy(logits, f64({0, 1}, {2})), "cross_entropy", "[2, 3]", "[2]");
  CHECK_ERROR(DtypeError, nn::cross_entropy(logits, zeros({2, 3}, float32)), "cross_entropy", "float64", "float32");
  CHECK_ERROR(ShapeError, nn::cross_entropy(logits, from_vector(std::vector<int64_t>{0, 1, 2}, {3})), "cross_entropy",
              "[2, 3]", "[3]");
  CHECK_ERROR(ShapeError, nn::cross_entropy(zeros({2, 2, 2}, float64), labels), "cross_entropy", "[2, 2, 2]");
  const Tensor p = f64({0.2, 1.5}, {2}, true);
  CHECK_ERROR(ValueError, nn::binary_cross_entropy(p, f64({0, 1}, {2})), "binary_cross_entropy", "1.5", "flat index 1",
              "[0, 1]");
  CHECK_ERROR(ValueError, nn::binary_cross_entropy(f64({-0.1, 0.5}, {2}), f64({0, 1}, {2})), "binary_cross_entropy",
              "-0.1");
  CHECK_ERROR(ValueError, nn::binary_cross_entropy(f64({0.1, 0.5}, {2}), f64({0, 2}, {2})), "binary_cross_entropy",
              "2");
  CHECK_ERROR(ShapeError, nn::mse_loss(p, f64({0, 1, 2}, {3})), "mse_loss", "[2]", "[3]");
  CHECK_ERROR(ShapeError, nn::binary_cross_entropy_with_logits(p, f64({0}, {1})), "binary_cross_entropy_with_logits",
              "[2]", "[1]");
  CHECK_ERROR(DtypeError, nn::mse_loss(p, ones({2}, float32)), "mse_loss", "float64", "float32");
  CHECK_FALSE(logits.grad().defined());
  CHECK_FALSE(p.grad().defined());
}

TEST_CASE("modules: sizes, inputs that do not fit, registration") {
  CHECK_ERROR(ValueError, nn::Linear(0, 3), "Linear", "got 0 and 3");
  CHECK_ERROR(ValueError, nn::Linear(2, -1), "Linear", "got 2 and -1");
  CHECK_ERROR(ValueError, nn::Dropout(1.5), "Dropout", "1.5");
  manual_seed(0);
  nn::Linear layer(3, 2);
  const Snapshot before = snapshot(layer.parameters());
  CHECK_ERROR(ShapeError, layer.forward(zeros({4, 5})), "Linear", "[4, 5]", "in_features=3");
  CHECK_ERROR(DtypeError, layer.forward(zeros({4, 3}, float64)), "Linear", "float64", "float32");
  CHECK(snapshot(layer.parameters()) == before);
  nn::Sequential net(nn::Linear(3, 2), nn::Tanh());
  CHECK_ERROR(ValueError, net[5], "Sequential", "index 5", "2 modules");
  CHECK_ERROR(DtypeError, layer.to(int64), "Module::to", "int64");
  CHECK(snapshot(layer.parameters()) == before);
  CHECK_ERROR(ValueError, nn::init::calculate_gain("swish"), "calculate_gain", "swish");
  CHECK_ERROR(ShapeError, nn::init::xavier_uniform_(zeros({3})), "xavier_uniform_", "fan in and fan out", "[3]");
  CHECK_ERROR(ValueError, nn::init::kaiming_uniform_(zeros({3, 3}), 0.0, "fan_middle"), "kaiming_uniform_",
              "fan_middle");
}

TEST_CASE("module registration: bad names, duplicates, undefined or non-leaf parameters, null modules") {
  struct Registers : nn::Module {
    Tensor forward(const Tensor& x) override { return x; }
    std::string type_name() const override { return "Registers"; }
    using nn::Module::register_module;
    using nn::Module::register_parameter;
  };
  Registers m;
  m.register_parameter("w", zeros({2}));
  const size_t params = m.parameters().size();
  CHECK_ERROR(ValueError, m.register_parameter("a.b", zeros({1})), "register_parameter", "'a.b'", "no '.'");
  CHECK_ERROR(ValueError, m.register_parameter("", zeros({1})), "register_parameter", "non-empty");
  CHECK_ERROR(ValueError, m.register_parameter("w", zeros({1})), "register_parameter", "'w' is already a parameter");
  CHECK_ERROR(ValueError, m.register_parameter("u", Tensor()), "register_parameter", "'u' is undefined");
  Tensor leaf = zeros({2}, {.requires_grad = true});
  CHECK_ERROR(GraphError, m.register_parameter("v", leaf * 2.0), "register_parameter", "'v' must be a leaf");
  CHECK_ERROR(ValueError, m.register_module("child", std::shared_ptr<nn::Linear>()), "register_module",
              "'child' is null");
  CHECK(m.parameters().size() == params);
}

TEST_CASE("anomaly mode: a NaN or Inf gradient names the op and .grad() stays as it was") {
  Tensor x = f64({0.0, 4.0}, {2}, true);
  {
    DetectAnomalyGuard anomaly;
    Tensor y = sqrt(x).sum();  // d sqrt(x)/dx at 0 is inf
    CHECK_ERROR(AnomalyError, y.backward(), "sqrt", "SqrtBackward", "NaN/Inf");
  }
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("data: datasets of different lengths, batch sizes below one") {
  CHECK_ERROR(ShapeError, nn::TensorDataset(zeros({4, 2}), zeros({3})), "TensorDataset", "[4, 2]", "[3]", "4 vs 3");
  CHECK_ERROR(ValueError, nn::DataLoader(nn::TensorDataset(zeros({4, 2}), zeros({4})), {.batch_size = 0}), "DataLoader",
              "batch_size must be >= 1, got 0");
}

TEST_CASE("optimizers: options out of range leave nothing half-built, bad gradients leave the step undone") {
  Tensor w = f64({1, 2}, {2}, true);
  CHECK_ERROR(ValueError, optim::SGD({w}, {.lr = -0.1}), "SGD", "learning rate", "lr = -0.1");
  CHECK_ERROR(ValueError, optim::SGD({w}, {.lr = 0.1, .momentum = -0.5}), "SGD", "momentum = -0.5");
  CHECK_ERROR(ValueError, optim::SGD({w}, {.lr = 0.1, .dampening = -1}), "SGD", "dampening = -1");
  CHECK_ERROR(ValueError, optim::SGD({w}, {.lr = 0.1, .weight_decay = -1}), "SGD", "weight_decay", "-1");
  CHECK_ERROR(ValueError, optim::SGD({w}, {.lr = 0.1, .nesterov = true}), "SGD", "nesterov");
  CHECK_ERROR(ValueError, optim::SGD(std::vector<Tensor>{}, {.lr = 0.1}), "SGD", "empty parameter list");
  CHECK_ERROR(ValueError, optim::SGD({w, w}, {.lr = 0.1}), "SGD", "parameter");
  CHECK_ERROR(ValueError, optim::Adam({w}, {.betas = {1.0, 0.999}}), "Adam", "betas[0] = 1");
  CHECK_ERROR(ValueError, optim::Adam({w}, {.betas = {0.9, -0.1}}), "Adam", "betas[1] = -0.1");
  CHECK_ERROR(ValueError, optim::Adam({w}, {.eps = -1e-8}), "Adam", "eps = -1e-08");
  CHECK_ERROR(ValueError, optim::AdamW({w}, {.lr = -1}), "AdamW", "lr = -1");
  CHECK_ERROR(DtypeError, optim::SGD({zeros({2}, int64)}, {.lr = 0.1}), "SGD", "int64");
  CHECK_ERROR(ValueError, optim::SGD({w * 2.0}, {.lr = 0.1}), "SGD", "parameter 0 of group 0 is not a leaf");

  optim::Adam adam({w}, {.lr = 0.1});
  (w * w).sum().backward();
  adam.step();
  const Snapshot params = snapshot({w});
  const Snapshot state = snapshot(optimizer_state(adam, 1));
  CHECK_ERROR(ValueError, adam.set_lr(0, -1.0), "Adam", "lr = -1");
  CHECK_ERROR(ValueError, adam.set_lr(3, 0.1), "Adam", "param group 3 does not exist");
  CHECK(adam.lr(0) == 0.1);
  w.mutable_grad() = zeros({3}, float64);  // a gradient that does not fit its parameter
  CHECK_ERROR(ShapeError, adam.step(), "Adam", "[3]", "[2]");
  CHECK(snapshot({w}).values == params.values);
  CHECK(snapshot(optimizer_state(adam, 1)) == state);
}

TEST_CASE("schedules and clipping: periods and bounds out of range") {
  Tensor w = f64({1, 2}, {2}, true);
  optim::SGD sgd({w}, {.lr = 0.1});
  CHECK_ERROR(ValueError, optim::StepLR(sgd, 0), "StepLR", "step_size = 0", "step_size > 0");
  CHECK_ERROR(ValueError, optim::StepLR(sgd, 2, -0.5), "StepLR", "gamma = -0.5");
  CHECK_ERROR(ValueError, optim::ExponentialLR(sgd, 0.0), "ExponentialLR", "gamma = 0");
  CHECK_ERROR(ValueError, optim::CosineAnnealingLR(sgd, 0), "CosineAnnealingLR", "T_max = 0");
  CHECK_ERROR(ValueError, optim::CosineAnnealingLR(sgd, 10, -1.0), "CosineAnnealingLR", "eta_min = -1");
  CHECK(sgd.lr(0) == 0.1);
  CHECK_FALSE(sgd.initial_lr(0).has_value());  // a refused scheduler did not touch the optimizer
  CHECK_ERROR(ValueError, optim::clip_grad_norm_({w}, -1.0), "clip_grad_norm_", "max_norm = -1");
  CHECK_ERROR(ValueError, optim::clip_grad_value_({w}, -1.0), "clip_grad_value_", "-1");
}

TEST_CASE("checkpoints: wrong names, shapes and dtypes, truncated or corrupt files, missing paths") {
  test::TempDir dir;
  manual_seed(1);
  nn::Sequential saved(nn::Linear(3, 2), nn::Tanh(), nn::Linear(2, 1));
  const std::string path = dir.file("model.npz");
  nn::save(saved, path);

  manual_seed(2);
  nn::Sequential model(nn::Linear(3, 2), nn::Tanh(), nn::Linear(2, 1));
  const Snapshot before = snapshot(model.parameters());
  auto unchanged = [&] { CHECK(snapshot(model.parameters()) == before); };

  nn::Sequential wider(nn::Linear(3, 4), nn::Tanh(), nn::Linear(4, 1));
  nn::save(wider, dir.file("wider.npz"));
  CHECK_ERROR(ValueError, nn::load(model, dir.file("wider.npz")), "load", "0.weight", "[4, 3]", "[2, 3]");
  unchanged();

  std::map<std::string, Tensor> renamed = nn::state_dict(saved);
  renamed["2.kernel"] = renamed.at("2.weight");
  renamed.erase("2.weight");
  save_npz(dir.file("renamed.npz"), renamed);
  CHECK_ERROR(ValueError, nn::load(model, dir.file("renamed.npz")), "load", "2.weight");
  unchanged();
  CHECK_ERROR(ValueError, nn::load_state_dict(model, renamed), "load_state_dict", "missing key '2.weight'",
              "unexpected key '2.kernel'");
  unchanged();

  std::map<std::string, Tensor> as_double = nn::state_dict(saved);
  for (auto& [name, t] : as_double) t = t.to(float64);
  save_npz(dir.file("double.npz"), as_double);
  CHECK_ERROR(ValueError, nn::load(model, dir.file("double.npz")), "load", "float64", "float32");
  unchanged();

  const auto bytes = std::filesystem::file_size(path);
  std::filesystem::copy_file(path, dir.file("truncated.npz"));
  std::filesystem::resize_file(dir.file("truncated.npz"), bytes / 2);
  CHECK_ERROR(IOError, nn::load(model, dir.file("truncated.npz")), "load_npz", "truncated.npz");
  unchanged();

  {
    std::string contents;
    std::ifstream in(path, std::ios::binary);
    contents.assign(std::istreambuf_iterator<char>(in), {});
    for (size_t i = contents.size() / 3; i < contents.size() / 3 + 64 && i < contents.size(); ++i) contents[i] ^= 0x5a;
    std::ofstream(dir.file("corrupt.npz"), std::ios::binary) << contents;
  }
  CHECK_ERROR(IOError, nn::load(model, dir.file("corrupt.npz")), "load_npz", "corrupt.npz");
  unchanged();
  std::ofstream(dir.file("text.npz")) << "not a zip archive\n";
  CHECK_ERROR(IOError, nn::load(model, dir.file("text.npz")), "load_npz", "text.npz");
  CHECK_ERROR(IOError, nn::load(model, dir.file("missing.npz")), "load_npz", "missing.npz");
  CHECK_ERROR(IOError, load_npz(dir.file("missing.npz")), "load_npz", "missing.npz");
  CHECK_ERROR(IOError, nn::save(model, dir.file("no/such/folder/model.npz")), "save_npz", "no/such/folder");
  CHECK_ERROR(ValueError, save_npz(dir.file("undefined.npz"), {{"x", Tensor()}}), "save_npz", "'x' is undefined");
  unchanged();
  nn::load(model, path);  // and the right file still loads
  CHECK(snapshot(model.parameters()).values == snapshot(saved.parameters()).values);
}

TEST_CASE("optimizer checkpoints: entries that do not fit, corrupt files: the state stays as it was") {
  test::TempDir dir;
  save_sgd_checkpoint(dir.file("sgd.npz"));

  Tensor v = f64({1, 2, 3}, {3}, true);
  optim::SGD other({v}, {.lr = 0.5, .momentum = 0.9});
  (v * v).sum().backward();
  other.step();
  const Snapshot state = snapshot(optimizer_state(other, 1));
  CHECK_ERROR(ValueError, other.load(dir.file("sgd.npz")), "SGD.load", "state.0.0.momentum_buffer", "[2]", "[3]");
  CHECK(snapshot(optimizer_state(other, 1)) == state);
  CHECK(other.lr(0) == 0.5);
  CHECK_ERROR(IOError, other.load(dir.file("missing.npz")), "load_npz", "missing.npz");
  std::ofstream(dir.file("garbage.npz")) << "garbage";
  CHECK_ERROR(IOError, other.load(dir.file("garbage.npz")), "load_npz", "garbage.npz");
  save_npz(dir.file("empty.npz"), {{"unrelated", zeros({1})}});
  CHECK_ERROR(ValueError, other.load(dir.file("empty.npz")), "SGD.load", "'unrelated'", "is not optimizer state");
  CHECK(snapshot(optimizer_state(other, 1)) == state);
  CHECK(other.lr(0) == 0.5);
}

TEST_CASE("undefined tensors and empty lists: every entry point names itself") {
  const Tensor a = f64({1, 2}, {2}, true), u;
  CHECK_ERROR(ValueError, u + a, "add", "undefined");
  CHECK_ERROR(ValueError, a * u, "mul", "undefined");
  CHECK_ERROR(ValueError, exp(u), "exp", "undefined");
  CHECK_ERROR(ValueError, matmul(u, a), "matmul", "undefined");
  CHECK_ERROR(ValueError, sum(u), "sum", "undefined");
  CHECK_ERROR(ValueError, reshape(u, {2}), "reshape", "undefined");
  CHECK_ERROR(ValueError, nn::mse_loss(u, a), "mse_loss", "undefined");
  CHECK_ERROR(ShapeError, nn::Linear(2, 1).forward(u), "Linear", "undefined", "in_features=2");
  CHECK_ERROR(ValueError, u.backward(), "backward", "undefined");
  CHECK_ERROR(ValueError, u.item(), "undefined");
  CHECK_ERROR(ValueError, stack({}), "stack", "non-empty list");
  CHECK_ERROR(ValueError, optim::SGD({u}, {.lr = 0.1}), "SGD", "parameter 0", "undefined");
  CHECK_ERROR(DtypeError, a.to(int64), "to", "int64", "cannot require grad");
  CHECK_FALSE(a.grad().defined());
}

TEST_CASE("Adam checkpoints that do not fit leave Adam's state and step count as they were") {
  test::TempDir dir;
  save_sgd_checkpoint(dir.file("sgd.npz"));
  Tensor v = f64({1, 2, 3}, {3}, true);
  optim::Adam adam({v}, {.lr = 0.01});
  (v * v).sum().backward();
  adam.step();
  adam.save(dir.file("adam3.npz"));
  const Snapshot state = snapshot(optimizer_state(adam, 1));
  CHECK_ERROR(ValueError, adam.load(dir.file("sgd.npz")), "Adam.load", "momentum_buffer");
  CHECK(snapshot(optimizer_state(adam, 1)) == state);
  Tensor v2 = f64({1, 2}, {2}, true);
  optim::Adam smaller({v2}, {.lr = 0.01});
  CHECK_ERROR(ValueError, smaller.load(dir.file("adam3.npz")), "Adam.load", "[3]", "[2]");
  CHECK(optimizer_state(smaller, 1).empty());
  CHECK(adam.lr(0) == 0.01);
}

TEST_CASE("gradcheck: nothing to check, bad tolerances, float32 without asking") {
  const TensorFunction square = [](const std::vector<Tensor>& in) { return (in[0] * in[0]).sum(); };
  CHECK_ERROR(ValueError, gradcheck(square, {f64({1}, {1})}), "gradcheck", "no input requires grad");
  CHECK_ERROR(ValueError, gradcheck(square, {f64({1}, {1}, true)}, {.eps = 0}), "gradcheck", "eps must be > 0");
  CHECK_ERROR(DtypeError, gradcheck(square, {from_vector({1.0}, {1}, {.dtype = float32, .requires_grad = true})}),
              "gradcheck", "float32");
  CHECK_ERROR(ValueError, gradcheck([](const std::vector<Tensor>&) { return Tensor(); }, {f64({1}, {1}, true)}),
              "gradcheck", "defined float tensor");
}
