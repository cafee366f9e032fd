// Shared checks of the op files.
#include <autograd/detail/kernels.hpp>

namespace xg::detail {

void check_defined(const Tensor& t, const char* op) {
  if (!t.defined()) throw ValueError(fmt::format("{}: got an undefined tensor", op));
}

void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  check_defined(a, op);
  check_defined(b, op);
  if (a.dtype() != b.dtype()) {
    throw DtypeError(fmt::format("{}: dtypes {} and {} differ (shapes {} and {}); convert one with .to(dtype)", op,
                                 dtype_name(a.dtype()), dtype_name(b.dtype()), format_shape(a.shape()),
                                 format_shape(b.shape())));
  }
}

Tensor scalar_like(const Tensor& like, double value) {
  check_defined(like, "scalar");
  return dispatch<false>(like.dtype(), "scalar", [&](auto tag) {
    using T = decltype(tag);
    return make_tensor<T>(Array<T>(static_cast<T>(value)));
  });
}

}  // namespace xg::detail
