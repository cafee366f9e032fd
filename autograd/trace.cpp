// The tracer: a GraphObserver that prints. Labels: a tensor's name, else "(k)" for the output
// of the k-th recorded op, else the value of a one-element constant, else "tensor#k".
#include <autograd/trace.hpp>

#include <autograd/detail/tensor_impl.hpp>
#include <autograd/format.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/node.hpp>
#include <autograd/observer.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/ops/shape.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>
#include <set>

namespace xg {

std::string describe_values(const Tensor& t, int64_t max_values) {
  if (!t.defined()) return "-";
  NoGradGuard no_grad;  // printing must not record (nor reach the tracer)
  if (t.numel() == 1) return format_values(t.reshape({}));
  if (t.numel() <= max_values) return format_values(t);
  const std::vector<double> v = t.to_vector();
  double lo = INFINITY, hi = -INFINITY, sq = 0;
  for (double x : v) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    sq += x * x;
  }
  return fmt::format("{} min {:.4g} max {:.4g} norm {:.4g}", format_shape(t.shape()), lo, hi, std::sqrt(sq));
}

namespace {

class Tracer final : public GraphObserver {
 public:
  Tracer(std::ostream& out, TraceOptions options) : out_(out), options_(options) {}

  // The engine is mid-pass when these run: a printing failure must not abort it (a half-run
  // backward cannot be retried), so each callback swallows its own errors.
  void on_record(const Node& node, const Tensor& output) override {
    if (busy_) return;
    try {
      record(node, output);
    } catch (const std::exception&) {
    }
  }
  void on_backward_begin(const std::vector<Tensor>& roots, const std::vector<Tensor>& grads) override {
    if (busy_) return;
    try {
      begin(roots, grads);
    } catch (const std::exception&) {
    }
  }
  void on_node(Node& node, const Tensor& grad_output, const Grads& input_grads) override {
    if (busy_) return;
    try {
      step(node, grad_output, input_grads);
    } catch (const std::exception&) {
      busy_ = false;
    }
  }
  void on_backward_end(const std::vector<std::pair<Tensor, Tensor>>& leaves) override {
    if (busy_) return;
    try {
      end(leaves);
    } catch (const std::exception&) {
    }
  }

 private:
  void record(const Node& node, const Tensor& output) {
    const int index = ++ops_;
    nodes_[&node] = {index, output.impl(), node.sequence_nr()};
    out_ << fmt::format("forward  ({}) {}({}) -> {}\n", index, node.name(), arguments(node), values(output));
  }

  void begin(const std::vector<Tensor>& roots, const std::vector<Tensor>& grads) {
    received_.clear();
    for (size_t i = 0; i < roots.size(); ++i) {
      out_ << fmt::format("backward from {}: grad({}) = {} (the seed)\n", label(roots[i]), label(roots[i]),
                          values(grads[i]));
    }
  }

  void step(Node& node, const Tensor& grad_output, const Grads& input_grads) {
    const std::vector<Tensor> inputs = node.saved_inputs();
    const std::string out = output_label(node);
    out_ << fmt::format("\nnode     {}: {} = {}({})\n", op_label(node), out, node.name(), arguments(node));
    out_ << fmt::format("  incoming    grad({}) = {}\n", out, values(grad_output));
    const std::string rule = node.derivative();
    if (!rule.empty()) out_ << fmt::format("  local rule  {}\n", rule);
    const Grads locals = local_derivatives(node, grad_output);
    for (size_t i = 0; i < inputs.size() && i < input_grads.size(); ++i) {
      if (!input_grads[i].defined() || !inputs[i].requires_grad()) continue;
      const Tensor& in = inputs[i];
      const Tensor local = i < locals.size() ? locals[i] : Tensor();
      const bool again = !received_.insert(in.impl().get()).second;
      const std::string name = label(in);
      // backward(ones) is d out/d in only element-wise (same shapes); after broadcasting it is a
      // sum over copies, for matmul a product: then only the rule and the contribution print
      const bool elementwise = local.defined() && local.shape() == grad_output.shape() && local.shape() == in.shape();
      if (elementwise) {
        out_ << fmt::format("  local       d{}/d{} = {}\n", out, name, values(local));
      }
      if (elementwise && local.numel() == 1) {
        out_ << fmt::format("  chain rule  grad({}) {} grad({}) * d{}/d{} = {} * {} = {}\n", name, again ? "+=" : "=",
                            out, out, name, values(grad_output), values(local), values(input_grads[i]));
      } else {
        out_ << fmt::format("  to input    grad({}) {} {}\n", name, again ? "+=" : "=", values(input_grads[i]));
      }
    }
  }

  void end(const std::vector<std::pair<Tensor, Tensor>>& leaves) {
    if (leaves.empty()) return;
    out_ << "\nleaves (added to .grad()):\n";
    for (const auto& [leaf, g] : leaves) out_ << fmt::format("  grad({}) = {}\n", label(leaf), values(g));
  }

  struct Entry {
    int index = 0;
    std::weak_ptr<TensorImpl> output;
    uint64_t sequence_nr = 0;
  };

  // the local derivative of each input: the node's backward with a gradient of ones (for
  // element-wise ops exactly d out/d in; for others its sum over the outputs)
  Grads local_derivatives(Node& node, const Tensor& grad_output) {
    busy_ = true;
    Grads locals;
    try {
      NoGradGuard no_grad;
      locals = node.backward(ones_like(grad_output));
    } catch (const std::exception&) {
      locals.clear();  // a node that cannot run twice: print the contributions only
    }
    busy_ = false;
    return locals;
  }

  // "w_o, h" or "(7), 2": the inputs' labels, then the node's other arguments
  std::string arguments(const Node& node) {
    std::string args;
    for (const Tensor& in : node.saved_inputs()) args += (args.empty() ? "" : ", ") + label(in);
    const std::string extra = node.extra_args();
    if (!extra.empty()) args += (args.empty() ? "" : ", ") + extra;
    return args;
  }

  std::string values(const Tensor& t) const { return describe_values(t, options_.max_values); }

  const Entry* entry(const Node* node) const {
    auto it = nodes_.find(node);
    if (it == nodes_.end() || it->second.sequence_nr != node->sequence_nr()) return nullptr;
    return &it->second;
  }

  std::string op_label(const Node& node) const {
    const Entry* e = entry(&node);
    return e ? fmt::format("({}) {}", e->index, node.name()) : node.name();
  }

  std::string output_label(const Node& node) const {
    const Entry* e = entry(&node);
    if (e) {
      if (auto out = e->output.lock(); out && !out->name.empty()) return quoted(out->name);
      return fmt::format("({})", e->index);
    }
    return "out";
  }

  // a name with spaces ("w_o h") gets parentheses, so "dE/d(O - y)" reads unambiguously
  static std::string quoted(const std::string& name) {
    return name.find(' ') == std::string::npos ? name : "(" + name + ")";
  }

  std::string label(const Tensor& t) {
    if (!t.defined()) return "-";
    if (!t.name().empty()) return quoted(t.name());
    if (t.grad_fn()) {
      if (const Entry* e = entry(t.grad_fn().get())) return fmt::format("({})", e->index);
    }
    if (t.numel() == 1 && !t.requires_grad()) return describe_values(t);  // a constant: its value
    auto [it, inserted] = leaves_.emplace(t.impl().get(), static_cast<int>(leaves_.size()) + 1);
    return fmt::format("tensor#{}", it->second);
  }

  std::ostream& out_;
  TraceOptions options_;
  int ops_ = 0;
  bool busy_ = false;
  std::map<const Node*, Entry> nodes_;
  std::map<const TensorImpl*, int> leaves_;
  std::set<const TensorImpl*> received_;
};

}  // namespace

// The guards alive on this thread, oldest first. Each restores the observer it replaced; one
// destroyed out of order hands what it replaced to the guard above it, so no guard is ever left
// holding (or restoring) a pointer to a freed tracer. A guard must die on the thread that made it.
namespace {
thread_local std::vector<TraceGuard*> t_guards;
}

TraceGuard::TraceGuard(std::ostream& out, TraceOptions options)
    : tracer_(std::make_unique<Tracer>(out, options)), previous_(set_graph_observer(tracer_.get())) {
  t_guards.push_back(this);
}

TraceGuard::~TraceGuard() {
  auto it = std::find(t_guards.begin(), t_guards.end(), this);
  if (it == t_guards.end()) return;
  if (it + 1 == t_guards.end()) {
    if (graph_observer() == tracer_.get()) set_graph_observer(previous_);
  } else {
    (*(it + 1))->previous_ = previous_;
  }
  t_guards.erase(it);
}

}  // namespace xg
