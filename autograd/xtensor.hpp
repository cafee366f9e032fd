// The xtensor bridge: build tensors from xt::xarray and read them back as xt::xarray.
// Kept out of tensor.hpp so that code which only builds graphs does not compile xtensor.
#pragma once

#include <autograd/tensor.hpp>

#include <xtensor/xarray.hpp>

namespace xg {

namespace detail {
template <class T>
struct xarray_of {
  using type = xt::xarray<T>;
};
xt::xarray<float> copy_as_float(const Tensor& t);
xt::xarray<double> copy_as_double(const Tensor& t);
xt::xarray<int64_t> copy_as_int64(const Tensor& t);
}  // namespace detail

namespace detail {
Tensor from_xarray(const xt::xarray<double>& values, bool requires_grad);
Tensor from_xarray(const xt::xarray<float>& values, bool requires_grad);
Tensor from_xarray(const xt::xarray<int64_t>& values, bool requires_grad);
}  // namespace detail

/// A tensor holding a copy of `values` (any xtensor expression); its dtype follows the value
/// type: float -> float32, double -> float64, integers -> int64 (class labels and indices, which
/// cannot require grad). A template so that braced lists keep going to tensor(TensorData).
template <class E>
requires xt::is_xexpression<std::decay_t<E>>::value Tensor tensor(const E& values, bool requires_grad = false) {
  using V = typename std::decay_t<E>::value_type;
  if constexpr (std::is_same_v<V, float> || std::is_same_v<V, double>) {
    return detail::from_xarray(xt::xarray<V>(values), requires_grad);
  } else {
    static_assert(std::is_integral_v<V>, "tensor(): xtensor values must be float, double or integer");
    return detail::from_xarray(xt::xarray<int64_t>(xt::cast<int64_t>(values)), requires_grad);
  }
}

template <class T, class Array>
Array Tensor::data() const {
  if constexpr (std::is_same_v<T, float>)
    return detail::copy_as_float(*this);
  else if constexpr (std::is_same_v<T, double>)
    return detail::copy_as_double(*this);
  else {
    static_assert(std::is_same_v<T, int64_t>, "data<T>(): T is float, double or int64_t");
    return detail::copy_as_int64(*this);
  }
}

}  // namespace xg
