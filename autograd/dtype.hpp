// Run-time element types and the one dispatch helper every op uses to reach the typed array.
#pragma once

#include <autograd/error.hpp>

#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>

namespace xg {

enum class Dtype : uint8_t { float32, float64, int64, boolean };

inline constexpr Dtype float32 = Dtype::float32;
inline constexpr Dtype float64 = Dtype::float64;
inline constexpr Dtype int64 = Dtype::int64;
/// torch.bool (`bool` is a C++ keyword): what comparisons return, what masks are.
inline constexpr Dtype boolean = Dtype::boolean;

/// "float32", "float64", "int64", "bool" (torch's names without the "torch.").
const char* dtype_name(Dtype dtype);

/// The dtype factories use when none is given; float32 unless changed, as in torch.
Dtype default_dtype();
/// Only float32 and float64 are valid defaults (ValueError otherwise).
void set_default_dtype(Dtype dtype);

inline bool is_floating(Dtype dtype) { return dtype == Dtype::float32 || dtype == Dtype::float64; }

/// The smallest dtype both convert to without losing their kind (torch.promote_types): bool <
/// int64 < float32 < float64.
inline Dtype promote_types(Dtype a, Dtype b) {
  auto rank = [](Dtype d) {
    switch (d) {
      case Dtype::boolean: return 0;
      case Dtype::int64: return 1;
      case Dtype::float32: return 2;
      case Dtype::float64: return 3;
    }
    return 0;
  };
  return rank(a) >= rank(b) ? a : b;
}

template <class T>
constexpr Dtype dtype_of() {
  if constexpr (std::is_same_v<T, float>)
    return Dtype::float32;
  else if constexpr (std::is_same_v<T, double>)
    return Dtype::float64;
  else if constexpr (std::is_same_v<T, int64_t>)
    return Dtype::int64;
  else {
    static_assert(std::is_same_v<T, bool>, "xgrad tensors hold float, double, int64_t or bool");
    return Dtype::boolean;
  }
}

/// A number given to an op beside tensors, remembering whether it was written as an integer, a
/// floating value or a bool, as torch's Python scalars (c10::Scalar): `x * 2` keeps an int64 tensor
/// int64, `x * 2.0` makes it float (the default dtype), as in torch. Implicit from any arithmetic
/// type.
class Scalar {
 public:
  template <class T>
  requires std::is_arithmetic_v<T> Scalar(T value) {  // NOLINT: implicit by design
    if constexpr (std::is_same_v<T, bool>)
      value_ = value;
    else if constexpr (std::is_integral_v<T>)
      value_ = static_cast<int64_t>(value);
    else
      value_ = static_cast<double>(value);
  }
  bool is_floating() const { return std::holds_alternative<double>(value_); }
  bool is_integral() const { return std::holds_alternative<int64_t>(value_); }
  bool is_bool() const { return std::holds_alternative<bool>(value_); }
  double to_double() const {
    return std::visit([](auto v) { return static_cast<double>(v); }, value_);
  }
  int64_t to_int64() const {
    return std::visit([](auto v) { return static_cast<int64_t>(v); }, value_);
  }

 private:
  std::variant<double, int64_t, bool> value_;
};

/// The dtype an op on a tensor of `dtype` and `s` computes in (torch's rule for a Python number:
/// it never widens a tensor of its kind or a higher one; a floating number makes an int64 or bool
/// tensor the default dtype, an integer makes a bool tensor int64).
Dtype result_type(Dtype dtype, const Scalar& s);

/// The dtypes a kernel is written for: floating (float, double), numeric (and int64_t), all
/// (and bool).
enum class Dtypes : uint8_t { floating, numeric, all };

/// DtypeError: `op` does not take `got` (what it takes: `accepted`).
[[noreturn]] void throw_unsupported_dtype(const char* op, Dtype got, Dtypes accepted);
/// DtypeError: `op` needs a float32 or float64 tensor.
[[noreturn]] void throw_not_floating(const char* op, Dtype got);

/// Calls `f(T{})` with T = float, double, int64_t or bool according to `dtype`: the one place
/// that switches on dtype; ops pass a generic lambda. A dtype outside `Accepted` throws
/// DtypeError naming `op`, and the lambda is never instantiated for its type.
template <Dtypes Accepted = Dtypes::floating, class F>
decltype(auto) dispatch(Dtype dtype, const char* op, F&& f) {
  switch (dtype) {
    case Dtype::float32: return f(float{});
    case Dtype::float64: return f(double{});
    case Dtype::int64:
      if constexpr (Accepted != Dtypes::floating) return f(int64_t{});
      break;
    case Dtype::boolean:
      if constexpr (Accepted == Dtypes::all) return f(bool{});
      break;
  }
  throw_unsupported_dtype(op, dtype, Accepted);
}

}  // namespace xg
