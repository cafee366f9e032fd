// Node bookkeeping: saved inputs with their versions, release, and iterative teardown.
#include <autograd/node.hpp>

#include <autograd/detail/tensor_impl.hpp>
#include <autograd/error.hpp>

#include <fmt/format.h>
#include <atomic>
#include <cctype>

namespace xg {

namespace {
std::atomic<int64_t> g_live_nodes{0};
thread_local uint64_t t_next_sequence_nr = 0;

// The tensor's user-facing description in messages: "'w_o' [4, 1]" or "[4, 1]".
std::string describe(const Tensor& t) {
  const auto& n = t.impl()->name;
  return n.empty() ? format_shape(t.shape()) : fmt::format("'{}' {}", n, format_shape(t.shape()));
}
}  // namespace

void Node::SavedInputs::assign(const Tensor* tensors, size_t count) {
  // grad_fn() and requires_grad() as the user sees them (a view's history follows its base's)
  auto saved = [](const Tensor& t) {
    return SavedInput{
        .tensor = t, .version = t.impl()->version(), .requires_grad = t.requires_grad(), .grad_fn = t.grad_fn()};
  };
  size_ = count;
  if (count <= 2) {
    for (size_t i = 0; i < count; ++i) inline_[i] = saved(tensors[i]);
  } else {
    heap_.reserve(count);
    for (size_t i = 0; i < count; ++i) heap_.push_back(saved(tensors[i]));
  }
}

void Node::SavedInputs::take(std::vector<Tensor>& tensors, std::vector<std::shared_ptr<Node>>& nodes) {
  for (size_t i = 0; i < size_; ++i) {
    auto& saved = (*this)[i];
    if (saved.tensor.defined()) tensors.push_back(std::move(saved.tensor));
    if (saved.grad_fn) nodes.push_back(std::move(saved.grad_fn));
    saved.released_tensor.reset();
  }
  heap_.clear();
  size_ = 0;
}

Node::Node() : sequence_nr_(t_next_sequence_nr++) { g_live_nodes.fetch_add(1, std::memory_order_relaxed); }

// A long chain of shared pointers frees itself recursively (node -> input tensor -> its
// grad_fn -> ...) and overflows the stack at a few hundred thousand nodes. As PyTorch's
// deleteNode does, take what only this node owns (input tensors, the child nodes a released
// node keeps) onto heap stacks and free it in a loop, so no destructor below ever recurses more
// than one level.
Node::~Node() {
  g_live_nodes.fetch_sub(1, std::memory_order_relaxed);
  if (inputs_.size() == 0 && !grad_.defined()) return;
  std::vector<Tensor> tensors;
  std::vector<std::shared_ptr<Node>> nodes;
  auto take_edges = [&](Node& node) {
    node.inputs_.take(tensors, nodes);
    if (node.grad_.defined()) tensors.push_back(std::move(node.grad_));
  };
  take_edges(*this);
  while (!tensors.empty() || !nodes.empty()) {
    if (!tensors.empty()) {
      Tensor t = std::move(tensors.back());
      tensors.pop_back();
      if (t.impl().use_count() != 1) continue;  // someone else keeps it alive
      TensorImpl& impl = *t.impl();
      if (impl.grad.defined()) tensors.push_back(std::move(impl.grad));
      if (impl.grad_fn) nodes.push_back(std::move(impl.grad_fn));
    } else {
      std::shared_ptr<Node> node = std::move(nodes.back());
      nodes.pop_back();
      if (node.use_count() == 1) take_edges(*node);  // then it dies here with nothing left to free
    }
  }
}

std::string Node::type_name() const {
  // snake_case op name -> PascalCase + "Backward": "log_softmax" -> "LogSoftmaxBackward"
  std::string out;
  bool upper = true;
  for (const char* p = name(); *p != '\0'; ++p) {
    if (*p == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(*p))) : *p;
    upper = false;
  }
  return out + "Backward";
}

const Tensor& Node::input(size_t i) const {
  if (released_) {
    throw GraphError(
        fmt::format("{}: trying to backward through the graph a second time: the saved inputs of this '{}' node "
                    "were freed by the previous backward (call backward with retain_graph = true the first time)",
                    type_name(), name()));
  }
  const SavedInput& saved = inputs_[i];
  if (saved.tensor.impl()->version() != saved.version) {
    throw GraphError(
        fmt::format("{}: input {} ({}, {}) was modified in place after '{}' used it (version {}, expected {}): "
                    "its gradient would be computed from the wrong values; modify a clone instead",
                    type_name(), i, describe(saved.tensor), dtype_name(saved.tensor.dtype()), name(),
                    saved.tensor.impl()->version(), saved.version));
  }
  return saved.tensor;
}

Shape Node::input_shape(size_t i) const {
  if (released_) (void)input(i);  // throws the freed-graph error
  return inputs_[i].tensor.shape();
}

std::vector<Node::Edge> Node::edges() const {
  std::vector<Edge> out;
  if (!released_) {
    for (size_t i = 0; i < inputs_.size(); ++i) out.push_back({inputs_[i].tensor, inputs_[i].grad_fn});
  } else {
    for (size_t i = 0; i < inputs_.size(); ++i) {
      auto impl = inputs_[i].released_tensor.lock();
      out.push_back({impl ? Tensor(std::move(impl)) : Tensor(), inputs_[i].grad_fn});
    }
  }
  return out;
}

std::vector<Tensor> Node::saved_inputs() const {
  std::vector<Tensor> out;
  if (released_) return out;
  for (size_t i = 0; i < inputs_.size(); ++i) out.push_back(inputs_[i].tensor);
  return out;
}

bool Node::needs_input_grad(size_t i) const { return i < inputs_.size() && inputs_[i].requires_grad; }

void Node::release() {
  if (released_) return;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    SavedInput& saved = inputs_[i];
    saved.released_tensor = saved.tensor.impl();
    // the tensor may die here; its node is still held by the engine's order list (or by the edge
    // just saved), so this frees no chain recursively
    saved.tensor = Tensor();
  }
  released_ = true;
}

int64_t Node::live_count() { return g_live_nodes.load(std::memory_order_relaxed); }

}  // namespace xg
