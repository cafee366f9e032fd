// Tensor printing, following torch's _tensor_str: one number format for the whole tensor
// (integer-valued floats as "1.", fixed with 4 decimals, or scientific when the magnitudes
// span too much), every entry padded to one width, rows wrapped at 80 columns, long tensors
// summarised, and suffixes that would pass 80 columns moved to a line of their own.
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
constexpr int64_t kLineWidth = 80;  // torch's linewidth
constexpr size_t kIndent = 7;       // strlen("tensor(")

struct NumberFormat {
  enum Kind { boolean, integer, int_float, fixed, scientific } kind;
  size_t width = 1;  // torch starts at 1: a tensor of zeros and nans has no width of its own

  std::string operator()(double v) const {
    std::string s;
    if (kind == boolean)
      s = v != 0.0 ? "True" : "False";  // torch's spelling
    else if (std::isnan(v))
      s = "nan";
    else if (std::isinf(v))
      s = v > 0 ? "inf" : "-inf";
    else if (kind == integer)
      s = fmt::format("{}", static_cast<int64_t>(v));
    else if (kind == int_float)
      s = fmt::format("{:.0f}.", v);
    else if (kind == fixed)
      s = fmt::format("{:.4f}", v);
    else
      s = fmt::format("{:.4e}", v);
    return s;
  }
  // right-aligned to the common width (an entry wider than it, like nan, is not cut)
  std::string padded(double v) const {
    std::string s = (*this)(v);
    return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
  }
};

NumberFormat choose_format(const std::vector<double>& values, Dtype dtype) {
  const bool floating = is_floating(dtype);
  if (dtype == Dtype::boolean || !floating) {
    NumberFormat f{dtype == Dtype::boolean ? NumberFormat::boolean : NumberFormat::integer};
    for (double v : values) f.width = std::max(f.width, f(v).size());
    return f;
  }
  // as torch, the mode and the width come from the non-zero finite values only, so zeros, nan
  // and inf neither pick scientific notation nor widen the other entries
  NumberFormat f{NumberFormat::int_float};
  std::vector<double> nonzero_finite;
  for (double v : values) {
    if (std::isfinite(v) && v != 0) nonzero_finite.push_back(v);
  }
  if (nonzero_finite.empty()) return f;
  double max_abs = 0, min_abs = INFINITY;
  bool all_int = true;
  for (double v : nonzero_finite) {
    if (v != std::trunc(v)) all_int = false;
    max_abs = std::max(max_abs, std::abs(v));
    min_abs = std::min(min_abs, std::abs(v));
  }
  // torch: magnitudes spread by more than 1000x, or above 1e8, are scientific even when integral
  const bool spread = max_abs / min_abs > 1000.0 || max_abs > 1e8;
  if (all_int)
    f.kind = spread ? NumberFormat::scientific : NumberFormat::int_float;
  else
    f.kind = spread || min_abs < 1e-4 ? NumberFormat::scientific : NumberFormat::fixed;
  for (double v : nonzero_finite) f.width = std::max(f.width, f(v).size());
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

// `indent` is torch's: the column the values of this nesting level start after ("tensor(" and
// one "[" per enclosing axis).
void render(const std::vector<double>& flat, const Shape& shape, size_t axis, int64_t offset, bool summarise,
            const NumberFormat& f, size_t indent, std::string& out) {
  const std::vector<int64_t> items = shown(shape[axis], summarise);
  out += '[';
  if (axis + 1 == shape.size()) {
    // a row wraps after as many entries (each with its ", ") as fit in the line width, as torch
    const int64_t per_line =
        std::max<int64_t>(1, (kLineWidth - static_cast<int64_t>(indent)) / static_cast<int64_t>(f.width + 2));
    for (size_t k = 0; k < items.size(); ++k) {
      if (k > 0) out += k % static_cast<size_t>(per_line) == 0 ? ",\n" + std::string(indent + 1, ' ') : ", ";
      out += items[k] < 0 ? " ..." : f.padded(flat[offset + items[k]]);  // torch's " ..." in a row
    }
  } else {
    int64_t stride = 1;
    for (size_t k = axis + 1; k < shape.size(); ++k) stride *= shape[k];
    // between rows of a matrix one newline, between matrices one blank line more, as torch
    std::string separator = ",";
    separator.append(shape.size() - axis - 1, '\n');
    separator.append(indent + 1, ' ');
    for (size_t k = 0; k < items.size(); ++k) {
      if (k > 0) out += separator;
      if (items[k] < 0)
        out += "...";
      else
        render(flat, shape, axis + 1, offset + items[k] * stride, summarise, f, indent + 1, out);
    }
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
  const NumberFormat f = choose_format(visible, t.dtype());
  if (shape.empty()) return f.padded(flat[0]);
  std::string out;
  render(flat, shape, 0, 0, summarise, f, kIndent, out);
  return out;
}

std::string to_string(const Tensor& t) {
  if (!t.defined()) return "tensor(undefined)";
  std::vector<std::string> suffixes;
  if (t.numel() == 0) {
    // as torch: the size unless it is 1-D, and any dtype but the default (no value shows it)
    if (t.dim() != 1) suffixes.push_back(fmt::format("size={}", format_shape(t.shape())));
    if (t.dtype() != default_dtype()) suffixes.push_back(fmt::format("dtype={}", dtype_name(t.dtype())));
  } else if (is_floating(t.dtype()) && t.dtype() != default_dtype()) {
    suffixes.push_back(fmt::format("dtype={}", dtype_name(t.dtype())));  // int64 goes unsaid, as torch
  }
  if (t.grad_fn())
    suffixes.push_back(fmt::format("grad_fn=<{}>", t.grad_fn()->type_name()));
  else if (t.requires_grad())
    suffixes.push_back("requires_grad=true");

  std::string s = "tensor(" + format_values(t);
  // torch's _add_suffixes, including its count of the last line (2 more than its length)
  const size_t newline = s.rfind('\n');
  size_t last_line = newline == std::string::npos ? s.size() + 2 : s.size() - newline + 1;
  for (const std::string& suffix : suffixes) {
    if (last_line + suffix.size() + 2 > static_cast<size_t>(kLineWidth)) {
      s += ",\n" + std::string(kIndent, ' ') + suffix;
      last_line = kIndent + suffix.size();
    } else {
      s += ", " + suffix;
      last_line += suffix.size() + 2;
    }
  }
  return s + ")";
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << to_string(t); }

}  // namespace xg
