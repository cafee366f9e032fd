// Run-time element types and the one dispatch helper every op uses to reach the typed array.
#pragma once

#include <autograd/error.hpp>

#include <cstdint>
#include <string>
#include <type_traits>

namespace xg {

enum class Dtype : uint8_t { float32, float64, int64 };

inline constexpr Dtype float32 = Dtype::float32;
inline constexpr Dtype float64 = Dtype::float64;
inline constexpr Dtype int64 = Dtype::int64;

/// "float32", "float64", "int64".
const char* dtype_name(Dtype dtype);

/// The dtype factories use when none is given; float32 unless changed, as in torch.
Dtype default_dtype();
/// Only float32 and float64 are valid defaults (ValueError otherwise).
void set_default_dtype(Dtype dtype);

inline bool is_floating(Dtype dtype) { return dtype != Dtype::int64; }

template <class T>
constexpr Dtype dtype_of() {
  if constexpr (std::is_same_v<T, float>)
    return Dtype::float32;
  else if constexpr (std::is_same_v<T, double>)
    return Dtype::float64;
  else {
    static_assert(std::is_same_v<T, int64_t>, "xgrad tensors hold float, double or int64_t");
    return Dtype::int64;
  }
}

[[noreturn]] void throw_not_floating(const char* op);

/// Calls `f(T{})` with T = float, double (or int64_t when !FloatingOnly) according to `dtype`:
/// the one place that switches on dtype; ops pass a generic lambda. With FloatingOnly an int64
/// tensor throws DtypeError naming `op`, and the lambda is never instantiated for int64_t.
template <bool FloatingOnly = true, class F>
decltype(auto) dispatch(Dtype dtype, const char* op, F&& f) {
  switch (dtype) {
    case Dtype::float32: return f(float{});
    case Dtype::float64: return f(double{});
    case Dtype::int64: break;
  }
  if constexpr (FloatingOnly) {
    throw_not_floating(op);
  } else {
    return f(int64_t{});
  }
}

}  // namespace xg
