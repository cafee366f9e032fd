// The engine: an iterative topological walk over the graph below the roots. Engine::run is the
// sequence of its steps:
//
// 1. discover every node reachable from the roots with an explicit stack (no recursion: a
//    1,000,000-node chain must not overflow the stack), counting each node's consumers;
// 2. order them topologically (Kahn), so a node runs only after every consumer has added its
//    contribution to the node's gradient;
// 3. with functional grad(), mark the nodes needed to reach a requested input and skip the rest;
// 4. run each node's backward (run_node), validate what it returned, accumulate (+, never =)
//    into its inputs' nodes, and free its saved inputs unless retain_graph (nodes that did not
//    run keep theirs);
// 5. only then accumulate into the leaves' and retained tensors' .grad(): a backward that throws
//    half-way changes no .grad() (though hooks have run and the nodes that ran are freed).
//
// Per-node scratch (consumer count, gradient slot) lives in the Node, tagged with the pass's
// task id, instead of in hash maps: the hot path touches no map.
#include <autograd/engine.hpp>

#include <autograd/anomaly.hpp>
#include <autograd/detail/tensor_impl.hpp>
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/node.hpp>
#include <autograd/observer.hpp>
#include <autograd/ops/elementwise.hpp>

#include <fmt/format.h>
#include <atomic>
#include <unordered_map>

namespace xg {

class Engine {
 public:
  // f(child, leaf) for each edge of `node`: child is the input's grad_fn (null for a leaf),
  // leaf the leaf tensor (null when freed or not a leaf). Works before and after release.
  template <class F>
  static void for_each_edge(const Node& node, F&& f) {
    if (!node.released_) {
      for (size_t i = 0; i < node.inputs_.size(); ++i) {
        const auto& edge = node.inputs_[i];
        f(edge.grad_fn, edge.grad_fn ? nullptr : edge.tensor.impl().get());
      }
      return;
    }
    for (size_t i = 0; i < node.inputs_.size(); ++i) {
      const auto& edge = node.inputs_[i];
      const auto leaf = edge.grad_fn ? nullptr : edge.released_tensor.lock();
      f(edge.grad_fn, leaf.get());
    }
  }

  // `targets` empty: accumulate into leaves' grad(). Otherwise return one gradient per target.
  static std::vector<Tensor> run(const std::vector<Tensor>& roots, const std::vector<Tensor>& root_grads,
                                 bool retain_graph, bool create_graph, const std::vector<Tensor>* targets,
                                 bool allow_unused, const char* caller);

 private:
  struct Pass;  // one call's state (torch's GraphTask)

  // discover: every node reachable from the roots, tagged with the pass, its consumers counted
  static void discover(Pass& pass, const std::vector<Tensor>& roots);
  // order: the nodes topologically (Kahn), each after every consumer of its output
  static void order(Pass& pass);
  // mark needed: with grad()'s inputs, only the nodes on a path to one of them run
  static void mark_needed(Pass& pass);
  // refuse a second backward through a freed node that must run, before anything changes
  static void refuse_released(const Pass& pass);
  // one node: hooks and retain_grad on its gradient, its backward, checked, sent to its inputs
  static void run_node(Pass& pass, Node& node, bool retain_graph, GraphObserver* observer);
  // validate outputs: as many gradients as the node has inputs, naming the node
  static void validate_count(const Node& node, const Grads& input_grads);
  // validate outputs: gradient i has input i's shape and dtype, naming the node
  static void validate_output(const Node& node, size_t i, const Tensor& g, const Tensor& input);
  // accumulate: the leaves' hooks on their total gradient, then the leaves' and retained .grad()
  static void accumulate_grads(Pass& pass, bool create_graph, GraphObserver* observer);
  // every input of grad() was reached, unless allow_unused
  static void check_used(const Pass& pass, const char* caller);
};

namespace {

std::atomic<uint64_t> g_next_task_id{1};

// Adds `g` into `slot` (+, never =). The first gradient is stored as it is; a later in-place
// sum would alias whatever else holds it, so sums are out of place here.
void accumulate(Tensor& slot, Tensor g) { slot = slot.defined() ? slot + g : std::move(g); }

// Runs the tensor's hooks in order; each may replace the gradient with one of the same shape
// and dtype.
Tensor run_hooks(const TensorImpl& impl, Tensor g) {
  for (const auto& hook : impl.hooks) {
    Tensor replaced = hook(g);
    if (!replaced.defined()) continue;
    if (replaced.shape() != g.shape() || replaced.dtype() != g.dtype()) {
      throw GraphError(
          fmt::format("register_hook: a hook on tensor{} returned a gradient of shape {} ({}) for a "
                      "gradient of shape {} ({}); a hook must keep shape and dtype",
                      impl.name.empty() ? "" : " '" + impl.name + "'", format_shape(replaced.shape()),
                      dtype_name(replaced.dtype()), format_shape(g.shape()), dtype_name(g.dtype())));
    }
    g = std::move(replaced);
  }
  return g;
}

// Accumulates g into a tensor's .grad(). The first gradient is stored as is only if nothing
// else holds it (add passes its grad_output through unchanged, so one tensor may reach several
// leaves and the caller); later ones are added in place only when nothing else holds .grad()
// and it has no history, as torch's AccumulateGrad does. With create_graph the sums are
// recorded, so the gradient stays differentiable.
void accumulate_into(Tensor& slot, Tensor g, bool create_graph) {
  // private: nothing else holds the tensor or its storage (a view of another gradient is not)
  const bool g_private = g.impl().use_count() == 1 && g.impl()->storage.use_count() == 1 && g.is_contiguous();
  if (!slot.defined()) {
    if (create_graph)
      slot = g_private ? std::move(g) : g.clone();
    else
      slot = g_private && !g.grad_fn() ? std::move(g) : detail::copy_values(g);
  } else if (create_graph) {
    slot = slot + g;
  } else if (slot.impl().use_count() == 1 && !slot.requires_grad()) {
    NoGradGuard no_grad;
    slot.add_(g);
  } else {
    NoGradGuard no_grad;
    slot = slot + g;
  }
}

std::vector<Tensor> root_gradients(const std::vector<Tensor>& roots, const std::vector<Tensor>& given,
                                   const char* caller) {
  if (!given.empty() && given.size() != roots.size()) {
    throw ValueError(fmt::format("{}: got {} tensors but {} gradients", caller, roots.size(), given.size()));
  }
  std::vector<Tensor> grads(roots.size());
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& root = roots[i];
    if (!root.defined()) throw ValueError(fmt::format("{}: tensor {} is undefined", caller, i));
    if (!root.requires_grad()) {
      throw GraphError(
          fmt::format("{}: tensor {} (shape {}) does not require grad and has no grad_fn: no leaf it depends on "
                      "has requires_grad set (call requires_grad_() on the parameters first)",
                      caller, i, format_shape(root.shape())));
    }
    const Tensor g = i < given.size() ? given[i] : Tensor();
    if (!g.defined()) {
      if (root.numel() != 1) {
        throw GraphError(
            fmt::format("{}: grad can be implicitly created only for one-element outputs, got shape {}; pass a "
                        "gradient of that shape",
                        caller, format_shape(root.shape())));
      }
      grads[i] = ones_like(root);
    } else {
      if (g.shape() != root.shape()) {
        throw ShapeError(fmt::format("{}: gradient of shape {} given for a tensor of shape {} (they must match)",
                                     caller, format_shape(g.shape()), format_shape(root.shape())));
      }
      if (g.dtype() != root.dtype()) {
        throw DtypeError(fmt::format("{}: gradient of dtype {} given for a tensor of dtype {} (they must match)",
                                     caller, dtype_name(g.dtype()), dtype_name(root.dtype())));
      }
      grads[i] = g;
    }
  }
  return grads;
}

}  // namespace

// What one call of run keeps: the requested inputs and their gradients, the nodes in order, and
// the gradients written at the end.
struct Engine::Pass {
  Pass(uint64_t task_id, const std::vector<Tensor>* requested, const char* caller) : task(task_id), targets(requested) {
    // Requested inputs: leaves are looked up by impl, non-leaves by their grad_fn.
    if (targets == nullptr) return;
    results.resize(targets->size());
    for (size_t i = 0; i < targets->size(); ++i) {
      const Tensor& t = (*targets)[i];
      if (!t.defined() || !t.requires_grad()) {
        throw GraphError(fmt::format("{}: input {} does not require grad, so it has no gradient", caller, i));
      }
      if (t.grad_fn())
        target_node.emplace(t.grad_fn().get(), i);
      else
        target_leaf.emplace(t.impl().get(), i);
    }
  }

  // A leaf's gradient: the result of a requested leaf, else summed over all uses for the end.
  void to_leaf(const Tensor& leaf, Tensor g) {
    if (targets != nullptr) {
      auto it = target_leaf.find(leaf.impl().get());
      if (it != target_leaf.end()) accumulate(results[it->second], std::move(g));
      return;
    }
    auto [it, inserted] = leaf_index.emplace(leaf.impl().get(), leaf_grads.size());
    if (inserted)
      leaf_grads.emplace_back(leaf.impl(), std::move(g));
    else
      accumulate(leaf_grads[it->second].second, std::move(g));
  }

  const uint64_t task;
  const std::vector<Tensor>* targets;  // null for backward()
  std::unordered_map<const TensorImpl*, size_t> target_leaf;
  std::unordered_map<const Node*, size_t> target_node;
  std::vector<Tensor> results;               // one per target
  std::vector<std::shared_ptr<Node>> nodes;  // keeps every node alive until the pass ends
  std::vector<Node*> stack;                  // discover's and order's work list
  std::vector<Node*> order;
  // Leaf gradients are collected here and written at the end, summed over all uses.
  std::vector<std::pair<std::shared_ptr<TensorImpl>, Tensor>> leaf_grads;
  std::unordered_map<const TensorImpl*, size_t> leaf_index;
  // Gradients of retain_grad() tensors, written with the leaves' at the end.
  std::vector<std::pair<std::shared_ptr<TensorImpl>, Tensor>> retained;
};

void Engine::discover(Pass& pass, const std::vector<Tensor>& roots) {
  auto visit = [&](const std::shared_ptr<Node>& node) {
    if (node->task_id_ == pass.task) return false;
    node->task_id_ = pass.task;
    node->dependencies_ = 0;
    node->needed_ = pass.targets == nullptr;
    node->grad_ = Tensor();
    pass.nodes.push_back(node);
    pass.stack.push_back(node.get());
    return true;
  };
  for (const Tensor& root : roots) {
    if (root.grad_fn()) visit(root.grad_fn());
  }
  while (!pass.stack.empty()) {
    Node* node = pass.stack.back();
    pass.stack.pop_back();
    for_each_edge(*node, [&](const std::shared_ptr<Node>& child, const TensorImpl*) {
      if (!child) return;
      visit(child);
      ++child->dependencies_;
    });
  }
}

void Engine::order(Pass& pass) {
  // a node is ready once all its consumers ran
  pass.order.reserve(pass.nodes.size());
  for (const auto& node : pass.nodes) {
    if (node->dependencies_ == 0) pass.stack.push_back(node.get());
  }
  while (!pass.stack.empty()) {
    Node* node = pass.stack.back();
    pass.stack.pop_back();
    pass.order.push_back(node);
    for_each_edge(*node, [&](const std::shared_ptr<Node>& child, const TensorImpl*) {
      if (child && --child->dependencies_ == 0) pass.stack.push_back(child.get());
    });
  }
}

void Engine::mark_needed(Pass& pass) {
  for (auto it = pass.order.rbegin(); it != pass.order.rend(); ++it) {
    Node* node = *it;
    for_each_edge(*node, [&](const std::shared_ptr<Node>& child, const TensorImpl* leaf) {
      node->needed_ = node->needed_ || (child ? (child->needed_ || pass.target_node.count(child.get()) > 0)
                                              : leaf != nullptr && pass.target_leaf.count(leaf) > 0);
    });
  }
}

void Engine::refuse_released(const Pass& pass) {
  // Freed nodes that are not needed (grad() of an input above them) are fine, as in torch.
  for (Node* node : pass.order) {
    if (node->released_ && node->needed_) (void)node->input(0);  // throws the "second time" GraphError
  }
}

void Engine::validate_count(const Node& node, const Grads& input_grads) {
  if (input_grads.size() != node.inputs_.size()) {
    throw GraphError(fmt::format("{}: backward returned an incorrect number of gradients (expected {}, got {})",
                                 node.type_name(), node.inputs_.size(), input_grads.size()));
  }
}

void Engine::validate_output(const Node& node, size_t i, const Tensor& g, const Tensor& input) {
  if (g.shape() != input.shape()) {
    throw ShapeError(fmt::format("{}: backward returned a gradient of shape {} for input {} of shape {}",
                                 node.type_name(), format_shape(g.shape()), i, format_shape(input.shape())));
  }
  if (g.dtype() != input.dtype()) {
    throw DtypeError(fmt::format("{}: backward returned a {} gradient for input {} of dtype {}", node.type_name(),
                                 dtype_name(g.dtype()), i, dtype_name(input.dtype())));
  }
}

void Engine::run_node(Pass& pass, Node& node, bool retain_graph, GraphObserver* observer) {
  Tensor grad_output = std::move(node.grad_);
  node.grad_ = Tensor();
  if (auto output = node.output_.lock(); output && grad_output.defined()) {
    grad_output = run_hooks(*output, std::move(grad_output));
    if (output->retains_grad && pass.targets == nullptr) pass.retained.emplace_back(output, grad_output);
  }
  if (pass.targets != nullptr) {
    auto it = pass.target_node.find(&node);
    if (it != pass.target_node.end()) pass.results[it->second] = grad_output;
  }
  // a node that does not run keeps its saved inputs: only what ran is freed, as in torch
  if (!node.needed_ || !grad_output.defined()) return;

  Grads input_grads = node.backward(grad_output);
  validate_count(node, input_grads);
  if (is_anomaly_enabled()) detail::check_backward_finite(node, grad_output, input_grads);
  if (observer != nullptr) observer->on_node(node, grad_output, input_grads);
  for (size_t i = 0; i < input_grads.size(); ++i) {
    Tensor& g = input_grads[i];
    const Tensor& input = node.inputs_[i].tensor;
    if (!g.defined() || !node.inputs_[i].requires_grad) continue;  // the engine skips, not the op
    validate_output(node, i, g, input);
    const auto& child = node.inputs_[i].grad_fn;
    if (child) {
      if (child->needed_ || pass.target_node.count(child.get()) > 0) accumulate(child->grad_, std::move(g));
    } else {
      pass.to_leaf(input, std::move(g));
    }
  }
  if (!retain_graph) node.release();
}

void Engine::accumulate_grads(Pass& pass, bool create_graph, GraphObserver* observer) {
  for (auto& [impl, g] : pass.leaf_grads) g = run_hooks(*impl, std::move(g));
  if (observer != nullptr) {
    std::vector<std::pair<Tensor, Tensor>> leaves;
    for (const auto& [impl, g] : pass.leaf_grads) leaves.emplace_back(Tensor(impl), g);
    observer->on_backward_end(leaves);
  }
  for (auto& [impl, g] : pass.leaf_grads) accumulate_into(impl->grad, std::move(g), create_graph);
  for (auto& [impl, g] : pass.retained) accumulate_into(impl->grad, std::move(g), create_graph);
}

void Engine::check_used(const Pass& pass, const char* caller) {
  for (size_t i = 0; i < pass.results.size(); ++i) {
    if (!pass.results[i].defined()) {
      throw GraphError(
          fmt::format("{}: input {} (shape {}) was not used to compute the outputs (pass allow_unused = true to get an "
                      "undefined gradient for it instead)",
                      caller, i, format_shape((*pass.targets)[i].shape())));
    }
  }
}

std::vector<Tensor> Engine::run(const std::vector<Tensor>& roots, const std::vector<Tensor>& root_grads,
                                bool retain_graph, bool create_graph, const std::vector<Tensor>* targets,
                                bool allow_unused, const char* caller) {
  std::vector<Tensor> grads = root_gradients(roots, root_grads, caller);
  const uint64_t task = g_next_task_id.fetch_add(1, std::memory_order_relaxed);
  AutoGradMode grad_mode(create_graph);  // with create_graph=false backward records nothing
  Pass pass(task, targets, caller);

  discover(pass, roots);
  order(pass);
  if (targets != nullptr) mark_needed(pass);
  refuse_released(pass);

  // If anything below throws, drop the partial sums held in the nodes.
  struct ClearScratch {
    std::vector<std::shared_ptr<Node>>& nodes;
    ~ClearScratch() {
      for (auto& node : nodes) node->grad_ = Tensor();
    }
  } clear_scratch{pass.nodes};

  GraphObserver* observer = graph_observer();
  if (observer != nullptr) observer->on_backward_begin(roots, grads);
  for (size_t i = 0; i < roots.size(); ++i) {
    if (roots[i].grad_fn())
      accumulate(roots[i].grad_fn()->grad_, grads[i]);
    else
      pass.to_leaf(roots[i], grads[i]);
  }
  for (Node* node : pass.order) run_node(pass, *node, retain_graph, observer);
  accumulate_grads(pass, create_graph, observer);
  if (targets != nullptr && !allow_unused) check_used(pass, caller);
  return std::move(pass.results);
}

void zero_grad(const std::vector<Tensor>& tensors, bool set_to_none) {
  NoGradGuard no_grad;
  for (Tensor t : tensors) {
    Tensor& g = t.mutable_grad();
    if (!g.defined()) continue;
    if (set_to_none) {
      g = Tensor();
      continue;
    }
    if (g.requires_grad()) g = g.detach();  // zero_() refuses a tensor with history
    g.zero_();
  }
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, GradOptions options) {
  return Engine::run(outputs, grad_outputs, options.retain_graph.value_or(options.create_graph), options.create_graph,
                     &inputs, options.allow_unused, "grad");
}

void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors, BackwardOptions options) {
  Engine::run(tensors, grad_tensors, options.retain_graph.value_or(options.create_graph), options.create_graph, nullptr,
              false, "backward");
}

void Tensor::backward(const Tensor& gradient, BackwardOptions options) const {
  Engine::run({*this}, {gradient}, options.retain_graph.value_or(options.create_graph), options.create_graph, nullptr,
              false, "backward");
}

}  // namespace xg
