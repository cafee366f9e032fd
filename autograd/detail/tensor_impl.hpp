// The tensor implementation behind xg::Tensor (private to the library: includes xtensor).
#pragma once

#include <autograd/detail/allocator.hpp>
#include <autograd/node.hpp>
#include <autograd/tensor.hpp>

#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>  // immediate reducers build their result type from it

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace xg {

// Tensor storage: row-major xarrays on the caching allocator (detail/allocator.hpp). The xtensor
// bridge (autograd/xtensor.hpp) copies into and out of plain xt::xarray<T>.
template <class T>
using Array = xt::xarray<T, xt::layout_type::row_major, detail::StorageAllocator<T>>;

using Storage = std::variant<Array<float>, Array<double>, Array<int64_t>>;

struct TensorImpl {
  Storage data;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  std::vector<std::function<Tensor(const Tensor&)>> hooks;
  std::string name;
  uint32_t version = 0;
  bool requires_grad = false;
  bool retains_grad = false;

  Dtype dtype() const { return static_cast<Dtype>(data.index()); }
};

namespace detail {

/// The typed array of a tensor; the caller has dispatched on dtype, so a mismatch is a bug in
/// xgrad, reported as DtypeError rather than undefined behaviour.
template <class T>
Array<T>& array(const Tensor& t) {
  auto* a = std::get_if<Array<T>>(&t.impl()->data);
  if (a == nullptr) throw DtypeError(std::string("internal: tensor is ") + dtype_name(t.impl()->dtype()));
  return *a;
}

/// f(array) with the impl's typed array, through the one dtype dispatch helper.
template <class Impl, class F>
decltype(auto) with_array(Impl& impl, F&& f) {
  return dispatch<false>(impl.dtype(), "tensor", [&](auto tag) -> decltype(auto) {
    using T = decltype(tag);
    return f(std::get<Array<T>>(impl.data));
  });
}

template <class T>
Tensor make_tensor(Array<T>&& a) {
  auto impl = std::allocate_shared<TensorImpl>(StorageAllocator<TensorImpl>());
  impl->data = std::move(a);
  return Tensor(std::move(impl));
}

template <class T>
Shape shape_of(const Array<T>& a) {
  return Shape(a.shape().begin(), a.shape().end());
}

template <class T>
typename Array<T>::shape_type to_xshape(const Shape& s) {
  return typename Array<T>::shape_type(s.begin(), s.end());
}

}  // namespace detail
}  // namespace xg
