// The xtensor bridge (see xtensor.hpp).
#include <autograd/xtensor.hpp>

#include <autograd/detail/kernels.hpp>

namespace xg {

namespace {
template <class T>
xt::xarray<T> copy_as(const Tensor& t) {
  detail::check_defined(t, "data");
  return dispatch<Dtypes::all>(t.dtype(), "data", [&](auto tag) {
    using S = decltype(tag);
    const detail::Dense d(t);
    return xt::xarray<T>(xt::cast<T>(detail::array<S>(d.t)));
  });
}
template <class T>
Tensor make(const xt::xarray<T>& values, bool requires_grad) {
  Tensor t = detail::make_tensor<T>(Array<T>(values));
  if (requires_grad) t.requires_grad_(true);
  return t;
}
}  // namespace

namespace detail {
xt::xarray<float> copy_as_float(const Tensor& t) { return copy_as<float>(t); }
xt::xarray<double> copy_as_double(const Tensor& t) { return copy_as<double>(t); }
xt::xarray<int64_t> copy_as_int64(const Tensor& t) { return copy_as<int64_t>(t); }
}  // namespace detail

namespace detail {
Tensor from_xarray(const xt::xarray<double>& values, bool requires_grad) { return make(values, requires_grad); }
Tensor from_xarray(const xt::xarray<float>& values, bool requires_grad) { return make(values, requires_grad); }
Tensor from_xarray(const xt::xarray<int64_t>& values, bool requires_grad) { return make(values, requires_grad); }
}  // namespace detail

}  // namespace xg
