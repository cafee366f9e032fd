// Graph nodes. A node is recorded by each differentiable op; it holds the op's inputs (the
// only strong edges of the graph: a node never owns its output) and computes the op's
// vector-Jacobian product.
//
// The backward contract (enforced by the engine, which names the node when it is broken):
// `backward(grad_output)` returns one gradient per input, in input order, each with that
// input's shape and dtype, or an undefined Tensor for "no gradient". It is written with
// xg::Tensor operations, so that with create_graph the backward pass is itself recorded.
//
//   struct TanhBackward final : Node {
//     const char* name() const override { return "tanh"; }
//     Grads backward(const Tensor& grad_output) override {
//       Tensor y = tanh(input(0));
//       return {grad_output * (1.0 - y * y)};
//     }
//   };
//   Tensor tanh(const Tensor& x) { return Tensor::record<TanhBackward>(<forward value>, {x}); }
#pragma once

#include <autograd/detail/allocator.hpp>
#include <autograd/tensor.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xg {

class CreationSite;
using Grads = std::vector<Tensor>;

class Node {
 public:
  Node();
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// The op's public name ("tanh", "matmul"), as shown by trace and DOT.
  virtual const char* name() const = 0;
  /// One gradient per input (see the contract above).
  virtual Grads backward(const Tensor& grad_output) = 0;
  /// Re-runs the op on `inputs` (as many as it has, in order), recording a fresh node: what
  /// blame() needs to check this node's backward on its own. Undefined when an op cannot be
  /// re-run from its inputs alone (the default, e.g. for users' custom nodes).
  virtual Tensor forward(const std::vector<Tensor>& /*inputs*/) const { return {}; }
  /// Why a node gives no forward(), when it cannot be checked on its own by design; blame lists
  /// the node with this reason. Every built-in node has a forward() or a reason (graph_fuzz
  /// checks it); a custom node has neither by default and is listed as not re-runnable.
  virtual const char* no_rerun_reason() const { return nullptr; }
  /// The local derivative in words, for trace ("d tanh(x)/dx = 1 - tanh(x)^2").
  virtual std::string derivative() const { return {}; }

  /// Arguments that are not tensors, as trace and DOT show them after the inputs ("2" for
  /// pow(x, 2), "axis=1" for softmax).
  virtual std::string extra_args() const { return {}; }

  /// "TanhBackward": the node's type as printed in grad_fn=<...>.
  std::string type_name() const;

  size_t num_inputs() const { return released_ ? 0 : inputs_.size(); }
  /// Input i as recorded; GraphError if the graph was freed by a backward without
  /// retain_graph, or if the input was modified in place since it was recorded.
  const Tensor& input(size_t i) const;
  /// Shape of input i, without the in-place check (for ops whose backward needs only shapes).
  Shape input_shape(size_t i) const;
  /// The saved inputs, for inspection (trace, DOT): empty once released; no in-place check.
  std::vector<Tensor> saved_inputs() const;

  /// An edge of the graph from this node to one of its inputs. Release keeps the edges, as
  /// torch does: `grad_fn` (the node that produced the input, null for a leaf) stays, while
  /// `tensor` is undefined once the input was freed (nothing else kept it alive).
  struct Edge {
    Tensor tensor;
    std::shared_ptr<Node> grad_fn;
  };
  std::vector<Edge> edges() const;
  /// Whether input i needs a gradient (ops may skip computing the others).
  bool needs_input_grad(size_t i) const;
  /// Frees the saved inputs (after backward without retain_graph).
  void release();
  bool released() const { return released_; }
  /// Creation order; later nodes have larger numbers.
  uint64_t sequence_nr() const { return sequence_nr_; }

  /// Where the op was recorded, when anomaly mode (DetectAnomalyGuard) was on then; else null.
  const CreationSite* creation_site() const { return creation_site_.get(); }

  /// Nodes currently alive in this process (a debug statistic for leak tests).
  static int64_t live_count();

 private:
  friend class Tensor;
  friend class Engine;

  // One input's slot: the edge as it was when the op was recorded (the input's grad_fn and
  // whether it required grad: an in-place op may give the tensor a new history later, which
  // this node must not follow), and the saved tensor until release; after it, the tensor is
  // held weakly, so release allocates nothing.
  struct SavedInput {
    Tensor tensor;
    uint32_t version = 0;
    bool requires_grad = false;
    std::shared_ptr<Node> grad_fn;
    std::weak_ptr<TensorImpl> released_tensor;
  };
  // Up to two inputs live inside the node, so recording a unary or binary op costs one
  // allocation (the node); concat/stack with more inputs use the vector.
  class SavedInputs {
   public:
    void assign(const Tensor* tensors, size_t count);
    size_t size() const { return size_; }
    SavedInput& operator[](size_t i) { return size_ <= 2 ? inline_[i] : heap_[i]; }
    const SavedInput& operator[](size_t i) const { return size_ <= 2 ? inline_[i] : heap_[i]; }
    /// Moves the saved tensors and the released edges' child nodes out (for iterative teardown)
    /// and empties the list.
    void take(std::vector<Tensor>& tensors, std::vector<std::shared_ptr<Node>>& nodes);

   private:
    SavedInput inline_[2];
    std::vector<SavedInput> heap_;
    size_t size_ = 0;
  };

  SavedInputs inputs_;
  uint64_t sequence_nr_;
  bool released_ = false;
  std::shared_ptr<const CreationSite> creation_site_;

  // The output, held weakly, only once someone registers a hook or retain_grad on it.
  std::weak_ptr<TensorImpl> output_;

  // Scratch space of the engine for the backward pass that last visited this node, tagged by
  // that pass's id so no per-pass hash map is needed.
  uint64_t task_id_ = 0;
  int64_t dependencies_ = 0;
  bool needed_ = false;
  Tensor grad_;
};

// ---- Tensor::record ----
// Nodes (with their shared_ptr control block) come from the same per-thread block cache as tensor
// storage: recording and freeing a graph of a thousand nodes then never reaches malloc.

template <class NodeT, class... Args>
Tensor Tensor::record(Tensor result, std::initializer_list<Tensor> inputs, Args&&... args) {
  if (!any_requires_grad(inputs.begin(), inputs.size())) return result;
  result.attach(std::allocate_shared<NodeT>(detail::StorageAllocator<NodeT>(), std::forward<Args>(args)...),
                inputs.begin(), inputs.size());
  return result;
}

template <class NodeT, class... Args>
Tensor Tensor::record(Tensor result, const std::vector<Tensor>& inputs, Args&&... args) {
  if (!any_requires_grad(inputs.data(), inputs.size())) return result;
  result.attach(std::allocate_shared<NodeT>(detail::StorageAllocator<NodeT>(), std::forward<Args>(args)...),
                inputs.data(), inputs.size());
  return result;
}

}  // namespace xg
