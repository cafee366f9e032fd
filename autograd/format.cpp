// Tensor printing, following torch's _tensor_str: one number format for the whole tensor
// (integer-valued floats as "1.", fixed with 4 decimals, or scientific when the magnitudes
// span too much), every entry padded to one width, and long tensors summarised.
#include <autograd/format.hpp>

#include <autograd/detail/tensor_impl.hpp>
#include <autograd/node.hpp>

#include <algorithm>
#include <cmath>
#include <ostream>

namespace xg {

namespace {

constexpr int64_t kThreshold = 1000;  // torch's print threshold
constexpr int64_t kEdgeItems = 3;

struct NumberFormat {
  enum Kind { integer, int_float, fixed, scientific } kind;
  size_t width = 0;

  std::string operator()(double v) const {
    std::string s;
    if (std::isnan(v)) s = "nan";
    else if (std::isinf(v)) s = v > 0 ? "inf" : "-inf";
    else if (kind == integer) s = fmt::format("{}", static_cast<int64_t>(v));
    else if (kind == int_float) s = fmt::format("{:.0f}.", v);
    else if (kind == fixed) s = fmt::format("{:.4f}", v);
    else s = fmt::format("{:.4e}", v);
    return s;
  }
};

NumberFormat choose_format(const std::vector<double>& values, bool floating) {
  NumberFormat f{floating ? NumberFormat::int_float : NumberFormat::integer};
  if (floating) {
    double max_abs = 0, min_abs = INFINITY;
    bool all_int = true;
    for (double v : values) {
      if (!std::isfinite(v)) continue;
      if (v != std::trunc(v)) all_int = false;
      max_abs = std::max(max_abs, std::abs(v));
      if (v != 0) min_abs = std::min(min_abs, std::abs(v));
    }
    if (all_int) f.kind = max_abs > 1e8 ? NumberFormat::scientific : NumberFormat::int_float;
    else if (max_abs / min_abs > 1000.0 || max_abs > 1e8 || min_abs < 1e-4) f.kind = NumberFormat::scientific;
    else f.kind = NumberFormat::fixed;
  }
  for (double v : values) f.width = std::max(f.width, f(v).size());
  return f;
}

// The indices printed along an axis of size n: all, or the first and last kEdgeItems.
std::vector<int64_t> shown(int64_t n, bool summarise) {
  std::vector<int64_t> idx;
  if (summarise && n > 2 * kEdgeItems) {
    for (int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
    idx.push_back(-1);  // "..."
    for (int64_t i = n - kEdgeItems; i < n; ++i) idx.push_back(i);
  } else {
    for (int64_t i = 0; i < n; ++i) idx.push_back(i);
  }
  return idx;
}

void collect(const std::vector<double>& flat, const Shape& shape, size_t axis, int64_t offset, bool summarise,
             std::vector<double>& out) {
  if (axis == shape.size()) {
    out.push_back(flat[offset]);
    return;
  }
  int64_t stride = 1;
  for (size_t k = axis + 1; k < shape.size(); ++k) stride *= shape[k];
  for (int64_t i : shown(shape[axis], summarise)) {
    if (i >= 0) collect(flat, shape, axis + 1, offset + i * stride, summarise, out);
  }
}

void render(const std::vector<double>& flat, const Shape& shape, size_t axis, int64_t offset, bool summarise,
            const NumberFormat& f, size_t indent, std::string& out) {
  if (axis == shape.size()) {
    std::string s = f(flat[offset]);
    out += std::string(f.width - s.size(), ' ') + s;
    return;
  }
  int64_t stride = 1;
  for (size_t k = axis + 1; k < shape.size(); ++k) stride *= shape[k];
  const bool last = axis + 1 == shape.size();
  // between rows of a matrix one newline, between matrices one blank line more, as torch
  std::string separator = ",";
  if (last) {
    separator += ' ';
  } else {
    separator.append(shape.size() - axis - 1, '\n');
    separator.append(indent + axis + 1, ' ');
  }
  out += '[';
  bool first = true;
  for (int64_t i : shown(shape[axis], summarise)) {
    if (!first) out += separator;
    first = false;
    if (i < 0) out += "...";
    else render(flat, shape, axis + 1, offset + i * stride, summarise, f, indent, out);
  }
  out += ']';
}

}  // namespace

std::string format_values(const Tensor& t) {
  if (!t.defined()) return "[]";
  const std::vector<double> flat = t.to_vector();
  const Shape shape = t.shape();
  if (t.numel() == 0) return "[]";
  const bool summarise = t.numel() > kThreshold;
  std::vector<double> visible;
  collect(flat, shape, 0, 0, summarise, visible);
  const NumberFormat f = choose_format(visible, is_floating(t.dtype()));
  std::string out;
  if (shape.empty()) return f(flat[0]);
  render(flat, shape, 0, 0, summarise, f, 7 /* strlen("tensor(") */, out);
  return out;
}

std::string to_string(const Tensor& t) {
  if (!t.defined()) return "tensor(undefined)";
  std::string s = "tensor(" + format_values(t);
  if (t.numel() == 0) s += fmt::format(", size={}", format_shape(t.shape()));
  // as torch: the default float dtype and int64 go unsaid
  if (is_floating(t.dtype()) && t.dtype() != default_dtype()) s += fmt::format(", dtype={}", dtype_name(t.dtype()));
  if (t.grad_fn()) s += fmt::format(", grad_fn=<{}>", t.grad_fn()->type_name());
  else if (t.requires_grad()) s += ", requires_grad=true";
  return s + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << to_string(t); }

}  // namespace xg
