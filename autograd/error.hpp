// The exceptions xgrad throws. Every message reads "<op>: <what is wrong>, <values>,
// <what would be valid>" so a user can find the call that failed from the text alone.
#pragma once

#include <stdexcept>
#include <string>

namespace xg {

/// Base of every exception xgrad throws on misuse.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Shapes that do not fit: broadcasting, matmul inner dims, reshape sizes, axes out of range.
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// A dtype the op cannot take (int64 into exp, float32 mixed with float64).
class DtypeError : public Error {
 public:
  using Error::Error;
};

/// Misuse of the graph: backward through a freed graph, grad of a tensor that does not
/// require grad, a backward that returned the wrong number of gradients.
class GraphError : public Error {
 public:
  using Error::Error;
};

/// An argument value out of its valid range (a negative size, eps <= 0, a label >= classes).
class ValueError : public Error {
 public:
  using Error::Error;
};

/// An index out of range (x[3] of an axis of size 3), as torch's IndexError; a ValueError too.
class IndexError : public ValueError {
 public:
  using ValueError::ValueError;
};

/// A NaN or Inf found by anomaly mode (xg::DetectAnomalyGuard) in an op's result or in a gradient
/// its backward returned; the message names the op, its inputs and where it was created.
class AnomalyError : public Error {
 public:
  using Error::Error;
};

/// A file that cannot be opened, read or written, or whose contents are corrupt.
class IOError : public Error {
 public:
  using Error::Error;
};

}  // namespace xg
