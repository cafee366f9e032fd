// Shapes, axes and the one helper that formats shapes in error messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xg {

/// Sizes of a tensor's dimensions, outermost first (torch's IntArrayRef). int64 so that a
/// reshape target can hold -1 and a negative size can be reported instead of wrapping.
using Shape = std::vector<int64_t>;

/// "[3, 4]"; "[]" for a 0-d tensor.
std::string format_shape(const Shape& shape);

/// The multi-index of row-major element `flat` in `shape` ([1, 2] for element 5 of [2, 3]).
Shape unravel_index(int64_t flat, const Shape& shape);

/// Number of elements of a shape (1 for []).
int64_t numel(const Shape& shape);

/// Maps a possibly negative axis into [0, dim); throws ShapeError naming `op` otherwise.
/// `dim` may be 0 for ops that treat a 0-d tensor as 1-d (as torch does).
int64_t normalize_axis(int64_t axis, int64_t dim, const char* op);

/// Checks that every size is >= 0; throws ValueError naming `op` otherwise.
void check_sizes(const Shape& shape, const char* op);

}  // namespace xg
