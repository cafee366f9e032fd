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

/// A tensor holding a copy of `values`; its dtype follows the value type (float32, float64,
/// int64). int64 tensors hold class labels and indices and cannot require grad.
Tensor tensor(const xt::xarray<double>& values, bool requires_grad = false);
Tensor tensor(const xt::xarray<float>& values, bool requires_grad = false);
Tensor tensor(const xt::xarray<int64_t>& values, bool requires_grad = false);

template <class T, class Array>
Array Tensor::data() const {
  if constexpr (std::is_same_v<T, float>) return detail::copy_as_float(*this);
  else if constexpr (std::is_same_v<T, double>) return detail::copy_as_double(*this);
  else {
    static_assert(std::is_same_v<T, int64_t>, "data<T>(): T is float, double or int64_t");
    return detail::copy_as_int64(*this);
  }
}

}  // namespace xg
