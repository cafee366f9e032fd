// Helpers the op files share to run an xtensor expression on a tensor's typed array and wrap
// the result (evaluated once into a fresh array) as a new tensor. Private to the library.
#pragma once

#include <autograd/broadcast.hpp>
#include <autograd/detail/tensor_impl.hpp>
#include <autograd/dtype.hpp>
#include <autograd/grad_mode.hpp>

#include <fmt/format.h>

namespace xg::detail {

void check_defined(const Tensor& t, const char* op);
/// DtypeError naming `op` unless `mask` is a bool tensor (torch 1.13 takes some other masks in
/// masked_fill, an int64 one as a bool and a float one ignored; xgrad refuses them).
void check_mask(const Tensor& mask, const char* op);
/// broadcast_to for a backward formula: with grad mode off (no create_graph) a dense tensor, which
/// the kernels that read the gradient next take as it is (a view with 0 strides they would copy);
/// with it on, the recorded view. (autograd/broadcast.cpp)
Tensor broadcast_grad(const Tensor& g, const Shape& shape);
/// DtypeError naming `op` when a and b differ in dtype: for the ops that do not promote, as torch's
/// (matmul, gemm, index_put values, isclose).
void check_same_dtype(const Tensor& a, const Tensor& b, const char* op);

/// f(array) for a float32/float64 tensor, evaluated once into the result.
template <class F>
Tensor unary(const Tensor& x, const char* op, F&& f) {
  check_defined(x, op);
  return dispatch(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const Dense xd(x);
    return make_tensor<T>(Array<T>(f(array<T>(xd.t))));
  });
}

/// f(a, b) with NumPy broadcasting; shapes and dtypes are checked first so xtensor never
/// throws its own less helpful errors. Accepted: the dtypes f is written for.
template <Dtypes Accepted = Dtypes::floating, class F>
Tensor binary(const Tensor& a, const Tensor& b, const char* op, F&& f) {
  check_defined(a, op);
  check_defined(b, op);
  check_same_dtype(a, b, op);
  return dispatch<Accepted>(a.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const Dense ad(a), bd(b);
    const auto& x = array<T>(ad.t);
    const auto& y = array<T>(bd.t);
    // equal shapes (the common case) need no broadcast check, nor Shape vectors to make one
    if (x.shape() != y.shape()) broadcast_shapes(a.shape(), b.shape(), op);
    return make_tensor<T>(Array<T>(f(x, y)));
  });
}

/// The fused backward of an elementwise op: f(grad_output, x) evaluated once into the input's
/// gradient, where the Tensor formula would make a tensor per operation. Undefined (so the
/// caller runs its Tensor formula) when grad mode is on, i.e. backward with create_graph, whose
/// formula must be recorded, or when the two differ in shape or dtype.
template <class F>
Tensor fused_grad(const Tensor& g, const Tensor& x, F&& f) {
  if (is_grad_enabled() || g.dtype() != x.dtype()) return {};
  return dispatch(x.dtype(), "backward", [&](auto tag) {
    using T = decltype(tag);
    const Dense gd(g), xd(x);
    const auto& ga = array<T>(gd.t);
    const auto& xa = array<T>(xd.t);
    if (ga.shape() != xa.shape()) return Tensor();
    return make_tensor<T>(Array<T>(f(ga, xa)));
  });
}

/// The one idiom for an op whose gradient has a fused kernel: `kernel(grad_output, x)` evaluated
/// once when no graph is recorded, else `formula()`, the same maths in Tensor ops, recorded so
/// that backward with create_graph can be differentiated again. The formula is the reference: a
/// kernel must compute what it computes (gradgradcheck runs the formula, gradcheck the kernel).
template <class Kernel, class Formula>
Tensor fused_or(const Tensor& g, const Tensor& x, Kernel&& kernel, Formula&& formula) {
  Tensor fused = fused_grad(g, x, std::forward<Kernel>(kernel));
  return fused.defined() ? fused : std::forward<Formula>(formula)();
}

/// Sum of n values with 8 independent accumulators: vectorisable (xt::sum is not in 0.24) and
/// a little more accurate than one running sum.
template <class T>
T sum_all(const T* p, size_t n) {
  T acc[8] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (size_t k = 0; k < 8; ++k) acc[k] += p[i + k];
  }
  for (; i < n; ++i) acc[i % 8] += p[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/// A view of a shape as [outer, n, inner] around `axis`: element (o, k, i) sits at
/// (o * n + k) * inner + i. Axis reductions loop k outside i, so the inner loop is contiguous.
struct AxisSplit {
  size_t outer = 1, n = 1, inner = 1;
};
template <class S>
AxisSplit split_at(const S& shape, size_t axis) {
  AxisSplit s;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (d < axis)
      s.outer *= shape[d];
    else if (d == axis)
      s.n = shape[d];
    else
      s.inner *= shape[d];
  }
  return s;
}

/// a's shape with `axis` set to 1 (a: an Array or ConstArray).
template <class A>
typename Array<typename A::value_type>::shape_type keepdim_shape(const A& a, size_t axis) {
  auto shape = a.shape();
  typename Array<typename A::value_type>::shape_type out(shape.begin(), shape.end());
  out[axis] = 1;
  return out;
}

/// Sum along `axis`, keeping it with size 1. (Written out: xt::sum's immediate reducer crashes
/// in xtensor 0.24.3 with xsimd, and its lazy one is not vectorised.)
template <class A, class T = typename A::value_type>
Array<T> sum_along(const A& a, size_t axis) {
  const AxisSplit s = split_at(a.shape(), axis);
  Array<T> out = xt::zeros<T>(keepdim_shape(a, axis));
  const T* src = a.data();
  T* dst = out.data();
  for (size_t o = 0; o < s.outer; ++o) {
    T* row = dst + o * s.inner;
    for (size_t k = 0; k < s.n; ++k) {
      const T* in = src + (o * s.n + k) * s.inner;
      for (size_t i = 0; i < s.inner; ++i) row[i] += in[i];
    }
  }
  return out;
}

/// Max (or min) along `axis` and the index of its first occurrence, keeping the axis.
/// NaN propagates (as torch): a NaN is taken as the extremum and stays.
template <class A, class T = typename A::value_type>
std::pair<Array<T>, Array<int64_t>> extremum_along(const A& a, size_t axis, bool max) {
  const AxisSplit s = split_at(a.shape(), axis);
  Array<T> best = Array<T>::from_shape(keepdim_shape(a, axis));
  Array<int64_t> index = xt::zeros<int64_t>(keepdim_shape(a, axis));
  const T* src = a.data();
  for (size_t o = 0; o < s.outer; ++o) {
    T* b = best.data() + o * s.inner;
    int64_t* ix = index.data() + o * s.inner;
    std::copy(src + o * s.n * s.inner, src + o * s.n * s.inner + s.inner, b);
    for (size_t k = 1; k < s.n; ++k) {
      const T* in = src + (o * s.n + k) * s.inner;
      for (size_t i = 0; i < s.inner; ++i) {
        const bool better = max ? in[i] > b[i] : in[i] < b[i];
        if ((better || in[i] != in[i]) && b[i] == b[i]) {
          b[i] = in[i];
          ix[i] = static_cast<int64_t>(k);
        }
      }
    }
  }
  return {std::move(best), std::move(index)};
}

/// A 0-d tensor of `like`'s dtype holding `value` (how scalars enter binary ops).
Tensor scalar_like(const Tensor& like, double value);

/// A constant (never differentiated) mask of x's elements: pred(x) elementwise, as 0/1 in x's dtype
/// (to multiply a gradient by) or, with AsBool, as a bool tensor (for where()).
template <bool AsBool = false, class Pred>
Tensor mask(const Tensor& x, const char* op, Pred&& pred) {
  return dispatch(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    using R = std::conditional_t<AsBool, bool, T>;
    const Tensor xc = contiguous(x);
    const auto& a = array<T>(xc);
    Array<R> out = Array<R>::from_shape(a.shape());
    auto src = a.data();
    auto dst = out.data();
    for (size_t i = 0, n = a.size(); i < n; ++i) dst[i] = pred(src[i]) ? R(1) : R(0);
    return make_tensor<R>(std::move(out));
  });
}
/// mask(x) as a bool tensor.
template <class Pred>
Tensor bool_mask(const Tensor& x, const char* op, Pred&& pred) {
  return mask<true>(x, op, std::forward<Pred>(pred));
}

}  // namespace xg::detail
