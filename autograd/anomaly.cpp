// Anomaly mode: its per-thread flag, and its checks, which throw AnomalyError at the first NaN
// in an op's forward result or NaN/Inf in a backward's gradient, naming the op's creation site
// (creation_site.cpp).
#include <autograd/anomaly.hpp>

#include <autograd/format.hpp>
#include <autograd/node.hpp>
#include <autograd/tensor.hpp>

#include <fmt/format.h>

#include <cmath>

namespace xg {

namespace {
thread_local bool t_anomaly_enabled = false;
}  // namespace

bool is_anomaly_enabled() { return t_anomaly_enabled; }
void set_anomaly_enabled(bool enabled) { t_anomaly_enabled = enabled; }

namespace {

// How many elements are NaN or Inf, and the first of them.
struct NonFinite {
  int64_t count = 0;
  int64_t first = -1;
  double value = 0.0;
  // "nan" whatever its sign bit (log(-1) is -nan on x86), "inf" or "-inf"
  std::string value_text() const { return std::isnan(value) ? "nan" : fmt::format("{}", value); }
};

// With nan_only, infinities pass: forward results may hold them legitimately (a -inf mask
// before softmax, log(0)), while a NaN is always a bug; a gradient must be finite.
NonFinite non_finite(const Tensor& t, bool nan_only = false) {
  NonFinite r;
  if (!t.defined() || !is_floating(t.dtype())) return r;
  const std::vector<double> values = t.to_vector();
  for (size_t e = 0; e < values.size(); ++e) {
    if (nan_only ? !std::isnan(values[e]) : std::isfinite(values[e])) continue;
    if (r.count++ == 0) {
      r.first = static_cast<int64_t>(e);
      r.value = values[e];
    }
  }
  return r;
}

std::string describe_tensor(const Tensor& t) {
  if (!t.defined()) return "undefined";
  const std::string shape = format_shape(t.shape());
  return t.name().empty() ? shape : fmt::format("{} {}", t.name(), shape);
}

std::string inputs_of(const Node& node) {
  std::string s;
  for (const Tensor& in : node.saved_inputs()) s += (s.empty() ? "" : ", ") + describe_tensor(in);
  return s;
}

std::string site_of(const Node& node) {
  if (node.creation_site() == nullptr) return "  (creation site not recorded: the op was created outside anomaly mode)";
  return node.creation_site()->describe("  ");
}

std::string element_of(const Tensor& t, int64_t flat) { return format_shape(unravel_index(flat, t.shape())); }

}  // namespace

namespace detail {

void check_forward_finite(const Node& node, const Tensor& output) {
  const NonFinite bad = non_finite(output, true);
  if (bad.count == 0) return;
  bool inputs_finite = true;
  for (const Tensor& in : node.saved_inputs()) inputs_finite = inputs_finite && non_finite(in).count == 0;
  throw AnomalyError(fmt::format(
      "anomaly: '{}' ({}) produced {} NaN value{} in its output {} (first at {}) from {} inputs ({}); "
      "the op was created at\n{}",
      node.name(), node.type_name(), bad.count, bad.count == 1 ? "" : "s", format_shape(output.shape()),
      element_of(output, bad.first), inputs_finite ? "finite" : "non-finite", inputs_of(node), site_of(node)));
}

void check_backward_finite(const Node& node, const Tensor& grad_output, const std::vector<Tensor>& input_grads) {
  for (size_t i = 0; i < input_grads.size(); ++i) {
    const NonFinite bad = non_finite(input_grads[i]);
    if (bad.count == 0) continue;
    const std::vector<Tensor> inputs = node.saved_inputs();
    throw AnomalyError(fmt::format(
        "anomaly: the backward of '{}' ({}) returned {} NaN/Inf value{} in the gradient for input {} ({}) (first at "
        "{}: {}), from a {} grad_output; inputs ({}); the op was created at\n{}",
        node.name(), node.type_name(), bad.count, bad.count == 1 ? "" : "s", i,
        i < inputs.size() ? describe_tensor(inputs[i]) : format_shape(input_grads[i].shape()),
        element_of(input_grads[i], bad.first), bad.value_text(),
        non_finite(grad_output).count == 0 ? "finite" : "non-finite", inputs_of(node), site_of(node)));
  }
}

}  // namespace detail
}  // namespace xg
