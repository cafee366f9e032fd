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

void check_mask(const Tensor& mask, const char* op) {
  check_defined(mask, op);
  if (mask.dtype() != Dtype::boolean) {
    throw DtypeError(
        fmt::format("{}: the mask must be a bool tensor (e.g. x > 0), got {}", op, dtype_name(mask.dtype())));
  }
}

Tensor scalar_like(const Tensor& like, double value) {
  check_defined(like, "scalar");
  return dispatch<Dtypes::numeric>(like.dtype(), "scalar", [&](auto tag) {
    using T = decltype(tag);
    return make_tensor<T>(Array<T>(static_cast<T>(value)));
  });
}

}  // namespace xg::detail
