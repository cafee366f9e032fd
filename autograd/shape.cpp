// Shape helpers shared by every op's checks and messages.
#include <autograd/shape.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <autograd/error.hpp>

#include <optional>

namespace xg {

std::string format_shape(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

Shape unravel_index(int64_t flat, const Shape& shape) {
  Shape idx(shape.size());
  for (size_t k = shape.size(); k-- > 0;) {
    idx[k] = shape[k] == 0 ? 0 : flat % shape[k];
    flat = shape[k] == 0 ? 0 : flat / shape[k];
  }
  return idx;
}

namespace {
// The element count, or nullopt when it does not fit in int64 (sizes come from users and files).
// The strides are products of sizes too, zero ones excepted: [0, 2^62, 4] holds no element but
// its strides overflow (xtensor computes them in signed arithmetic: found by shape_fuzz).
std::optional<int64_t> checked_numel(const Shape& shape) {
  int64_t n = 1, strides = 1;
  for (int64_t s : shape) {
    if (__builtin_mul_overflow(n, s, &n)) return std::nullopt;
    if (s > 0 && __builtin_mul_overflow(strides, s, &strides)) return std::nullopt;
  }
  return n;
}
}  // namespace

int64_t numel(const Shape& shape) {
  const std::optional<int64_t> n = checked_numel(shape);
  if (!n) throw ValueError(fmt::format("numel: shape {} has more elements than int64 can count", format_shape(shape)));
  return *n;
}

int64_t normalize_axis(int64_t axis, int64_t dim, const char* op) {
  const int64_t rank = dim == 0 ? 1 : dim;  // torch lets a 0-d tensor be indexed by 0 and -1
  if (axis < -rank || axis >= rank) {
    throw ShapeError(fmt::format("{}: axis {} is out of range for a tensor of dimension {} (valid: {} to {})", op, axis,
                                 dim, -rank, rank - 1));
  }
  return axis < 0 ? axis + rank : axis;
}

void check_sizes(const Shape& shape, const char* op) {
  for (int64_t s : shape) {
    if (s < 0) {
      throw ValueError(fmt::format("{}: negative size in shape {} (sizes must be >= 0)", op, format_shape(shape)));
    }
  }
  if (!checked_numel(shape)) {
    throw ValueError(fmt::format("{}: shape {} has more elements than int64 can count", op, format_shape(shape)));
  }
}

}  // namespace xg
