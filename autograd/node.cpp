// Node bookkeeping: saved inputs with their versions, release, and iterative teardown.
#include <autograd/node.hpp>

#include <autograd/detail/tensor_impl.hpp>
#include <autograd/error.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <vector>

namespace xg {

namespace {
thread_local uint64_t t_next_sequence_nr = 0;

// The count of live nodes, kept per thread (a node made or freed costs a plain store, where one
// shared atomic counter costs a locked instruction on each) and summed by live_count(). A node
// freed on another thread than the one that made it makes the two counts differ by one each
// way; the sum is right. A thread's count joins `g_exited` when the thread ends.
struct LiveCounts;
std::mutex g_live_mutex;
std::vector<const LiveCounts*> g_live_threads;  // guarded by g_live_mutex
std::atomic<int64_t> g_exited{0};

struct LiveCounts {
  std::atomic<int64_t> count{0};  // written by its thread only, read by live_count()
  LiveCounts() {
    std::lock_guard lock(g_live_mutex);
    g_live_threads.push_back(this);
  }
  ~LiveCounts() {
    std::lock_guard lock(g_live_mutex);
    g_exited.fetch_add(count.load(std::memory_order_relaxed), std::memory_order_relaxed);
    std::erase(g_live_threads, this);
  }
  void add(int64_t d) { count.store(count.load(std::memory_order_relaxed) + d, std::memory_order_relaxed); }
};
thread_local bool t_counts_gone = false;  // (trivially destructible: outlives the counts)
struct OwnedLiveCounts : LiveCounts {
  ~OwnedLiveCounts() { t_counts_gone = true; }
};
void count_node(int64_t d) {
  if (t_counts_gone) {  // a node freed during this thread's exit, after its counts went
    g_exited.fetch_add(d, std::memory_order_relaxed);
    return;
  }
  thread_local OwnedLiveCounts counts;
  counts.add(d);
}

// The tensor's user-facing description in messages: "'w_o' [4, 1]" or "[4, 1]".
std::string describe(const Tensor& t) {
  const auto& n = t.impl()->name;
  return n.empty() ? format_shape(t.shape()) : fmt::format("'{}' {}", n, format_shape(t.shape()));
}
}  // namespace

void Node::SavedInputs::assign(const Tensor* tensors, size_t count) {
  // grad_fn() and requires_grad() as the user sees them (a view's history follows its base's;
  // other tensors' are their own fields, read here without the calls)
  auto save = [](SavedInput& s, const Tensor& t) {
    const TensorImpl& impl = *t.impl();
    s.tensor = t;
    s.version = impl.version();
    if (impl.tracks_base) {
      s.requires_grad = t.requires_grad();
      s.grad_fn = t.grad_fn();
    } else {
      s.requires_grad = impl.requires_grad;
      s.grad_fn = impl.grad_fn;
    }
  };
  size_ = count;
  if (count <= 2) {
    for (size_t i = 0; i < count; ++i) save(inline_[i], tensors[i]);
  } else {
    heap_.resize(count);
    for (size_t i = 0; i < count; ++i) save(heap_[i], tensors[i]);
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

Node::Node() : sequence_nr_(t_next_sequence_nr++) { count_node(1); }

// A long chain of shared pointers frees itself recursively (node -> input tensor -> its
// grad_fn -> ...) and overflows the stack at a few hundred thousand nodes. As PyTorch's
// deleteNode does, take what only this node owns (input tensors, the child nodes a released
// node keeps) onto heap stacks and free it in a loop, so no destructor below ever recurses more
// than one level.
Node::~Node() {
  count_node(-1);
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

int64_t Node::live_count() {
  std::lock_guard lock(g_live_mutex);
  int64_t n = g_exited.load(std::memory_order_relaxed);
  for (const LiveCounts* c : g_live_threads) n += c->count.load(std::memory_order_relaxed);
  return n;
}

}  // namespace xg
