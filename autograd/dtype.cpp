// Dtype names and the process-wide default dtype.
#include <autograd/dtype.hpp>

#include <fmt/format.h>
#include <atomic>

namespace xg {

namespace {
std::atomic<Dtype> g_default_dtype{Dtype::float32};
}

const char* dtype_name(Dtype dtype) {
  switch (dtype) {
    case Dtype::float32: return "float32";
    case Dtype::float64: return "float64";
    case Dtype::int64: return "int64";
    case Dtype::boolean: return "bool";
  }
  return "unknown";
}

Dtype default_dtype() { return g_default_dtype.load(std::memory_order_relaxed); }

void set_default_dtype(Dtype dtype) {
  if (!is_floating(dtype)) {
    throw ValueError(fmt::format("set_default_dtype: got {}, valid: float32 or float64", dtype_name(dtype)));
  }
  g_default_dtype.store(dtype, std::memory_order_relaxed);
}

Dtype result_type(Dtype dtype, const Scalar& s) {
  if (is_floating(dtype)) return dtype;
  if (s.is_floating()) return default_dtype();
  if (s.is_integral()) return dtype == Dtype::boolean ? Dtype::int64 : dtype;
  return dtype;
}

void throw_unsupported_dtype(const char* op, Dtype got, Dtypes accepted) {
  if (accepted == Dtypes::floating) throw_not_floating(op, got);
  throw DtypeError(fmt::format("{}: not implemented for {} tensors (takes float32, float64{})", op, dtype_name(got),
                               accepted == Dtypes::numeric ? " and int64" : ", int64 and bool"));
}

void throw_not_floating(const char* op, Dtype got) {
  throw DtypeError(fmt::format("{}: expected a float32 or float64 tensor, got {}", op, dtype_name(got)));
}

}  // namespace xg
