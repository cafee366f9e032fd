// Comparisons, logical and bitwise ops, isnan/isinf/isfinite, any/all and nonzero (compare.hpp).
// None records a node: their results are bool or int64 and never require grad, as in torch.
#include <autograd/ops/compare.hpp>

#include <autograd/detail/kernels.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/ops/op_info.hpp>

#include <cmath>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

namespace xg {

using detail::array;

namespace {

// f(x_i, y_i) -> R over x and y broadcast together, as an xtensor expression without a SIMD path
// (xsimd has no batches of bool to return).
template <class R = bool, class X, class Y, class F>
auto elementwise(const X& x, const Y& y, F f) {
  using T = typename X::value_type;
  return xt::make_lambda_xfunction([f](T u, T v) -> R { return f(u, v); }, x, y);
}
template <class R = bool, class X, class F>
auto elementwise(const X& x, F f) {
  using T = typename X::value_type;
  return xt::make_lambda_xfunction([f](T u) -> R { return f(u); }, x);
}

// t's values in `dtype` (t itself when it has it; not recorded).
Tensor in_dtype(const Tensor& t, Dtype dtype) {
  if (t.dtype() == dtype) return t;
  NoGradGuard no_grad;
  return t.detach().to(dtype);
}

// The 0-d tensor a number compares as against x (compare.hpp).
Tensor number_for(const Tensor& x, const Scalar& value) {
  detail::check_defined(x, "compare");
  const Dtype dtype = result_type(x.dtype(), value);
  if (dtype == Dtype::int64) return detail::from_int64_vector({value.to_int64()}, {});
  return full({}, value.to_double(), dtype);
}

// f(x, y) -> an xtensor expression of bool, over a and b broadcast in their common dtype.
template <Dtypes Accepted = Dtypes::all, class F>
Tensor to_bool(const Tensor& a, const Tensor& b, const char* op, F&& f) {
  detail::check_defined(a, op);
  detail::check_defined(b, op);
  const Dtype common = result_type(a, b);
  const Tensor ac = in_dtype(a, common), bc = in_dtype(b, common);
  return dispatch<Accepted>(common, op, [&](auto tag) {
    using T = decltype(tag);
    const detail::Dense ad(ac), bd(bc);
    const auto& x = array<T>(ad.t);
    const auto& y = array<T>(bd.t);
    if (x.shape() != y.shape()) broadcast_shapes(a.shape(), b.shape(), op);
    return detail::make_tensor<bool>(Array<bool>(f(x, y)));
  });
}

// x != 0 as a bool tensor (x itself when bool).
Tensor truth(const Tensor& x, const char* op) {
  detail::check_defined(x, op);
  if (x.dtype() == Dtype::boolean) return x;
  return dispatch<Dtypes::numeric>(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const detail::Dense xd(x);
    return detail::make_tensor<bool>(Array<bool>(elementwise(array<T>(xd.t), [](T u) { return u != T(0); })));
  });
}

// bool or int64 operands only (torch: "bitwise_and_cpu" not implemented for 'Float').
void check_integral(const Tensor& t, const char* op) {
  detail::check_defined(t, op);
  if (is_floating(t.dtype())) {
    throw DtypeError(fmt::format("{}: takes bool and int64 tensors, got {}", op, dtype_name(t.dtype())));
  }
}

template <class F>
Tensor bitwise(const Tensor& a, const Tensor& b, const char* op, F&& f) {
  check_integral(a, op);
  check_integral(b, op);
  const Dtype common = result_type(a, b);
  const Tensor ac = in_dtype(a, common), bc = in_dtype(b, common);
  if (common == Dtype::boolean) {
    const detail::Dense ad(ac), bd(bc);
    const auto& x = array<bool>(ad.t);
    const auto& y = array<bool>(bd.t);
    if (x.shape() != y.shape()) broadcast_shapes(a.shape(), b.shape(), op);
    return detail::make_tensor<bool>(Array<bool>(elementwise<bool>(x, y, f)));
  }
  const detail::Dense ad(ac), bd(bc);
  const auto& x = array<int64_t>(ad.t);
  const auto& y = array<int64_t>(bd.t);
  if (x.shape() != y.shape()) broadcast_shapes(a.shape(), b.shape(), op);
  return detail::make_tensor<int64_t>(Array<int64_t>(elementwise<int64_t>(x, y, f)));
}

// f(value) -> bool for each element of a floating x; `other` for every element of an int64 or
// bool one (finite, never NaN).
template <class F>
Tensor test_values(const Tensor& x, const char* op, bool other, F&& f) {
  detail::check_defined(x, op);
  if (!is_floating(x.dtype())) return full(x.shape(), other ? 1.0 : 0.0, Dtype::boolean);
  return dispatch(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const detail::Dense xd(x);
    return detail::make_tensor<bool>(Array<bool>(elementwise(array<T>(xd.t), f)));
  });
}

// any (Any = true) or all of x's truth along `axis`, or over everything.
template <bool Any>
Tensor any_all(const Tensor& x, std::optional<int64_t> axis, bool keepdim, const char* op) {
  const Tensor t = detail::contiguous(truth(x, op));
  const bool* v = t.data_ptr<bool>();
  if (!axis) {
    bool r = !Any;
    for (int64_t k = 0, n = t.numel(); k < n; ++k) {
      if (v[k] == Any) {
        r = Any;
        break;
      }
    }
    return full({}, r ? 1.0 : 0.0, Dtype::boolean);
  }
  const int64_t ax = normalize_axis(*axis, x.dim(), op);
  Shape shape = x.shape();
  int64_t outer = 1, inner = 1, n = 1;
  if (!shape.empty()) {
    for (int64_t k = 0; k < ax; ++k) outer *= shape[static_cast<size_t>(k)];
    for (size_t k = static_cast<size_t>(ax) + 1; k < shape.size(); ++k) inner *= shape[k];
    n = shape[static_cast<size_t>(ax)];
    if (keepdim)
      shape[static_cast<size_t>(ax)] = 1;
    else
      shape.erase(shape.begin() + ax);
  }
  Tensor out = full(shape, Any ? 0.0 : 1.0, Dtype::boolean);
  bool* o = out.data_ptr<bool>();
  for (int64_t i = 0; i < outer; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      const bool* row = v + (i * n + j) * inner;
      bool* dst = o + i * inner;
      for (int64_t k = 0; k < inner; ++k) {
        if (Any)
          dst[k] = dst[k] || row[k];
        else
          dst[k] = dst[k] && row[k];
      }
    }
  }
  return out;
}

}  // namespace

// ---- comparisons ----
#define XG_COMPARISON(name, symbol, expr)                                           \
  Tensor name(const Tensor& a, const Tensor& b) {                                   \
    return to_bool(a, b, #name, [](const auto& x, const auto& y) { return expr; }); \
  }                                                                                 \
  Tensor name(const Tensor& a, Scalar b) { return name(a, number_for(a, b)); }      \
  Tensor operator symbol(const Tensor& a, const Tensor& b) { return name(a, b); }   \
  Tensor operator symbol(const Tensor& a, Scalar b) { return name(a, b); }          \
  Tensor operator symbol(Scalar a, const Tensor& b) { return name(number_for(b, a), b); }
XG_COMPARISON(eq, ==, elementwise(x, y, [](auto u, auto v) { return u == v; }))
XG_COMPARISON(ne, !=, elementwise(x, y, [](auto u, auto v) { return u != v; }))
XG_COMPARISON(lt, <,
              elementwise(
                  x, y, [](auto u, auto v) { return u < v; }))
XG_COMPARISON(le, <=, elementwise(x, y, [](auto u, auto v) { return u <= v; }))
XG_COMPARISON(gt, >, elementwise(x, y, [](auto u, auto v) { return u > v; }))
XG_COMPARISON(ge, >=, elementwise(x, y, [](auto u, auto v) { return u >= v; }))
#undef XG_COMPARISON

bool equal(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "equal");
  detail::check_defined(b, "equal");
  return a.shape() == b.shape() && all(eq(a, b)).item() != 0.0;
}

Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  if (rtol < 0 || atol < 0) {
    throw ValueError(fmt::format("isclose: rtol ({}) and atol ({}) must be >= 0", rtol, atol));
  }
  detail::check_defined(a, "isclose");
  detail::check_defined(b, "isclose");
  // torch refuses mixed dtypes here ("Float did not match Double"); integers compare in float64
  // (torch: in the default dtype; the same for |values| < 2^24)
  detail::check_same_dtype(a, b, "isclose");
  const Dtype common = is_floating(a.dtype()) ? a.dtype() : Dtype::float64;
  const Tensor ac = in_dtype(a, common), bc = in_dtype(b, common);
  return to_bool<Dtypes::floating>(ac, bc, "isclose", [&](const auto& x, const auto& y) {
    return elementwise(x, y, [rtol, atol, equal_nan](auto u, auto v) {
      using T = decltype(u);
      if (u == v) return true;  // infinities of one sign too
      if (std::isnan(u) || std::isnan(v)) return equal_nan && std::isnan(u) && std::isnan(v);
      if (!std::isfinite(u) || !std::isfinite(v)) return false;
      const T error = std::abs(u - v);  // may overflow to inf: then not close, as torch
      return std::isfinite(error) && error <= static_cast<T>(atol) + static_cast<T>(rtol) * std::abs(v);
    });
  });
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  return all(isclose(a, b, rtol, atol, equal_nan)).item() != 0.0;
}

// ---- logical ----
Tensor logical_and(const Tensor& a, const Tensor& b) {
  return to_bool<Dtypes::all>(
      truth(a, "logical_and"), truth(b, "logical_and"), "logical_and",
      [](const auto& x, const auto& y) { return elementwise(x, y, [](bool u, bool v) { return u && v; }); });
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return to_bool(truth(a, "logical_or"), truth(b, "logical_or"), "logical_or",
                 [](const auto& x, const auto& y) { return elementwise(x, y, [](bool u, bool v) { return u || v; }); });
}
Tensor logical_xor(const Tensor& a, const Tensor& b) {
  return to_bool(truth(a, "logical_xor"), truth(b, "logical_xor"), "logical_xor",
                 [](const auto& x, const auto& y) { return elementwise(x, y, [](bool u, bool v) { return u != v; }); });
}
Tensor logical_not(const Tensor& x) {
  const Tensor t = detail::contiguous(truth(x, "logical_not"));
  return detail::make_tensor<bool>(Array<bool>(elementwise(array<bool>(t), [](bool u) { return !u; })));
}

// ---- bitwise ----
Tensor bitwise_and(const Tensor& a, const Tensor& b) {
  return bitwise(a, b, "bitwise_and", [](auto u, auto v) { return u & v; });
}
Tensor bitwise_or(const Tensor& a, const Tensor& b) {
  return bitwise(a, b, "bitwise_or", [](auto u, auto v) { return u | v; });
}
Tensor bitwise_xor(const Tensor& a, const Tensor& b) {
  return bitwise(a, b, "bitwise_xor", [](auto u, auto v) { return u ^ v; });
}
Tensor bitwise_not(const Tensor& x) {
  check_integral(x, "bitwise_not");
  if (x.dtype() == Dtype::boolean) return logical_not(x);
  const detail::Dense xd(x);
  return detail::make_tensor<int64_t>(
      Array<int64_t>(elementwise<int64_t>(array<int64_t>(xd.t), [](int64_t u) { return ~u; })));
}
Tensor operator&(const Tensor& a, const Tensor& b) { return bitwise_and(a, b); }
Tensor operator|(const Tensor& a, const Tensor& b) { return bitwise_or(a, b); }
Tensor operator^(const Tensor& a, const Tensor& b) { return bitwise_xor(a, b); }
Tensor operator~(const Tensor& x) { return bitwise_not(x); }

// ---- tests of values ----
Tensor isnan(const Tensor& x) {
  return test_values(x, "isnan", false, [](auto v) { return std::isnan(v); });
}
Tensor isinf(const Tensor& x) {
  return test_values(x, "isinf", false, [](auto v) { return std::isinf(v); });
}
Tensor isfinite(const Tensor& x) {
  return test_values(x, "isfinite", true, [](auto v) { return std::isfinite(v); });
}

// ---- any, all, nonzero ----
Tensor any(const Tensor& x) { return any_all<true>(x, std::nullopt, false, "any"); }
Tensor any(const Tensor& x, int64_t axis, bool keepdim) { return any_all<true>(x, axis, keepdim, "any"); }
Tensor all(const Tensor& x) { return any_all<false>(x, std::nullopt, false, "all"); }
Tensor all(const Tensor& x, int64_t axis, bool keepdim) { return any_all<false>(x, axis, keepdim, "all"); }

Tensor nonzero(const Tensor& x) {
  const Tensor t = detail::contiguous(truth(x, "nonzero"));
  const bool* v = t.data_ptr<bool>();
  const Shape shape = x.shape();
  const int64_t n = t.numel(), d = x.dim();
  std::vector<int64_t> positions;
  std::vector<int64_t> at(static_cast<size_t>(d), 0);  // the row-major position of element k
  int64_t count = 0;
  for (int64_t k = 0; k < n; ++k) {
    if (v[k]) {
      positions.insert(positions.end(), at.begin(), at.end());
      ++count;
    }
    for (int64_t a = d - 1; a >= 0; --a) {
      if (++at[static_cast<size_t>(a)] < shape[static_cast<size_t>(a)]) break;
      at[static_cast<size_t>(a)] = 0;
    }
  }
  return from_vector(positions, {count, d});
}

Tensor count_nonzero(const Tensor& x) {
  const Tensor t = detail::contiguous(truth(x, "count_nonzero"));
  const bool* v = t.data_ptr<bool>();
  int64_t count = 0;
  for (int64_t k = 0, n = t.numel(); k < n; ++k) count += v[k] ? 1 : 0;
  return full({}, static_cast<double>(count), Dtype::int64);
}

// ---- the catalogue (autograd/ops/op_info.hpp) ----
std::span<const OpInfo> compare_ops() {
  constexpr const char* kFamily = "autograd/ops/compare";
  constexpr const char* kBool = "a bool result: nothing to differentiate";
  static const OpInfo ops[] = {
      {.name = "eq", .family = kFamily, .signature = "eq(a, b), a == b, a == 0.5", .not_drawn = kBool},
      {.name = "ne", .family = kFamily, .signature = "ne(a, b), a != b", .not_drawn = kBool},
      {.name = "lt", .family = kFamily, .signature = "lt(a, b), a < b", .not_drawn = kBool},
      {.name = "le", .family = kFamily, .signature = "le(a, b), a <= b", .not_drawn = kBool},
      {.name = "gt", .family = kFamily, .signature = "gt(a, b), a > b, x > 0", .not_drawn = kBool},
      {.name = "ge", .family = kFamily, .signature = "ge(a, b), a >= b", .not_drawn = kBool},
      {.name = "isclose",
       .family = kFamily,
       .signature = "isclose(a, b, rtol = 1e-5, atol = 1e-8, equal_nan = false); allclose(...), equal(a, b) -> bool",
       .not_drawn = kBool},
      {.name = "logical_and", .family = kFamily, .signature = "logical_and(a, b)", .not_drawn = kBool},
      {.name = "logical_or", .family = kFamily, .signature = "logical_or(a, b)", .not_drawn = kBool},
      {.name = "logical_xor", .family = kFamily, .signature = "logical_xor(a, b)", .not_drawn = kBool},
      {.name = "logical_not", .family = kFamily, .signature = "logical_not(x)", .not_drawn = kBool},
      {.name = "bitwise_and", .family = kFamily, .signature = "bitwise_and(a, b), a & b", .not_drawn = kBool},
      {.name = "bitwise_or", .family = kFamily, .signature = "bitwise_or(a, b), a | b", .not_drawn = kBool},
      {.name = "bitwise_xor", .family = kFamily, .signature = "bitwise_xor(a, b), a ^ b", .not_drawn = kBool},
      {.name = "bitwise_not", .family = kFamily, .signature = "bitwise_not(x), ~x", .not_drawn = kBool},
      {.name = "isnan", .family = kFamily, .signature = "isnan(x)", .not_drawn = kBool},
      {.name = "isinf", .family = kFamily, .signature = "isinf(x)", .not_drawn = kBool},
      {.name = "isfinite", .family = kFamily, .signature = "isfinite(x)", .not_drawn = kBool},
      {.name = "any", .family = kFamily, .signature = "any(x), any(x, axis, keepdim = false)", .not_drawn = kBool},
      {.name = "all", .family = kFamily, .signature = "all(x), all(x, axis, keepdim = false)", .not_drawn = kBool},
      {.name = "nonzero",
       .family = kFamily,
       .signature = "nonzero(x)",
       .not_drawn = "an int64 result: nothing to differentiate"},
      {.name = "count_nonzero",
       .family = kFamily,
       .signature = "count_nonzero(x)",
       .not_drawn = "an int64 result: nothing to differentiate"},
  };
  return ops;
}

}  // namespace xg
