// A hook for watching the graph being recorded and differentiated (what xg::TraceGuard uses).
// The engine only calls it; printing lives in trace.cpp. Thread-local: an observer sees the
// graphs of the thread that installed it.
#pragma once

#include <autograd/node.hpp>
#include <autograd/tensor.hpp>

#include <vector>

namespace xg {

/// Callbacks must not throw: they run in the middle of recording or of a backward pass, which
/// cannot be resumed (catch and handle errors inside, as the tracer does).
class GraphObserver {
 public:
  virtual ~GraphObserver() = default;
  /// `node` was just recorded; `output` is the tensor it produced.
  virtual void on_record(const Node& /*node*/, const Tensor& /*output*/) {}
  /// A backward pass starts from `roots`, with these gradients.
  virtual void on_backward_begin(const std::vector<Tensor>& /*roots*/, const std::vector<Tensor>& /*grads*/) {}
  /// `node` ran (nodes are reported in the order processed): the gradient of its output and
  /// what it sent to each input (undefined where an input needs none).
  virtual void on_node(Node& /*node*/, const Tensor& /*grad_output*/, const Grads& /*input_grads*/) {}
  /// The pass ended; `leaves` got these totals added to their .grad().
  virtual void on_backward_end(const std::vector<std::pair<Tensor, Tensor>>& /*leaves*/) {}
};

/// The current thread's observer (null when none).
GraphObserver* graph_observer();
/// Installs `observer` for the current thread (null to remove); returns the previous one.
GraphObserver* set_graph_observer(GraphObserver* observer);

}  // namespace xg
