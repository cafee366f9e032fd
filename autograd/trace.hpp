// Backpropagation made visible: while a TraceGuard is in scope, every op recorded and every
// chain-rule step of backward is printed, with the tensors' names (Tensor::name("w_o")).
//
//   xg::TraceGuard trace(std::cout);
//   xg::Tensor h = xg::sigmoid(w * x + b).name("h");
//   h.backward();
//
// prints "forward" lines as ops are recorded, then one block per node in the order backward
// processes them: the op and its tensors, the incoming gradient, the local derivative rule in
// words and its value, and the contribution sent to each input ("grad(x) += ..." when a tensor
// receives a second contribution). Tensors with more than `max_values` elements are summarised
// (shape, min, max, norm).
#pragma once

#include <autograd/tensor.hpp>

#include <iosfwd>
#include <memory>
#include <string>

namespace xg {

class GraphObserver;

struct TraceOptions {
  int64_t max_values = 6;  // larger tensors print as a summary
};

class TraceGuard {
 public:
  explicit TraceGuard(std::ostream& out, TraceOptions options = {});
  ~TraceGuard();
  TraceGuard(const TraceGuard&) = delete;
  TraceGuard& operator=(const TraceGuard&) = delete;

 private:
  std::unique_ptr<GraphObserver> tracer_;
  GraphObserver* previous_;
};

/// A tensor's values as trace prints them: torch-style for small tensors, "[784, 16] min .. max
/// .. norm .." for large ones.
std::string describe_values(const Tensor& t, int64_t max_values = 6);

}  // namespace xg
