// The global generator (a mutex-guarded mt19937_64) and the random factories.
#include <autograd/random.hpp>

#include <autograd/detail/tensor_impl.hpp>

#include <fmt/format.h>
#include <mutex>
#include <numeric>

namespace xg {

namespace {

std::mutex g_mutex;
std::mt19937_64& engine() {
  static std::mt19937_64 e;  // default seed 5489
  return e;
}

// Fills a fresh tensor by drawing each value as double from `draw` (so float32 and float64
// tensors built from one seed hold the same values, up to rounding).
template <class Draw>
Tensor fill_random(const Shape& shape, TensorOptions options, const char* op, Draw&& draw) {
  check_sizes(shape, op);
  const Dtype dtype = options.dtype.value_or(default_dtype());
  Tensor t = dispatch(dtype, op, [&](auto tag) {
    using T = decltype(tag);
    Array<T> a = Array<T>::from_shape(detail::to_xshape<T>(shape));
    std::lock_guard lock(g_mutex);
    for (auto& v : a) v = static_cast<T>(draw(engine()));
    return detail::make_tensor<T>(std::move(a));
  });
  if (options.requires_grad) t.requires_grad_(true);
  return t;
}

}  // namespace

void manual_seed(uint64_t seed) {
  std::lock_guard lock(g_mutex);
  engine().seed(seed);
}

void with_generator(const std::function<void(std::mt19937_64&)>& fn) {
  std::lock_guard lock(g_mutex);
  fn(engine());
}

Tensor randn(const Shape& shape, TensorOptions options) {
  std::normal_distribution<double> dist(0.0, 1.0);
  return fill_random(shape, options, "randn", [&](std::mt19937_64& e) { return dist(e); });
}
Tensor randn(const Shape& shape, Dtype dtype) { return randn(shape, TensorOptions{.dtype = dtype}); }

Tensor rand(const Shape& shape, TensorOptions options) {
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  return fill_random(shape, options, "rand", [&](std::mt19937_64& e) { return dist(e); });
}
Tensor rand(const Shape& shape, Dtype dtype) { return rand(shape, TensorOptions{.dtype = dtype}); }

Tensor uniform(const Shape& shape, double low, double high, TensorOptions options) {
  if (!(low <= high)) throw ValueError(fmt::format("uniform: low {} must be <= high {}", low, high));
  std::uniform_real_distribution<double> dist(low, high);
  return fill_random(shape, options, "uniform", [&](std::mt19937_64& e) { return dist(e); });
}

Tensor normal(const Shape& shape, double mean, double stddev, TensorOptions options) {
  if (!(stddev >= 0)) throw ValueError(fmt::format("normal: stddev must be >= 0, got {}", stddev));
  std::normal_distribution<double> dist(mean, stddev);
  return fill_random(shape, options, "normal", [&](std::mt19937_64& e) { return stddev == 0 ? mean : dist(e); });
}

Tensor randint(int64_t low, int64_t high, const Shape& shape) {
  check_sizes(shape, "randint");
  if (low >= high) throw ValueError(fmt::format("randint: low {} must be < high {}", low, high));
  std::uniform_int_distribution<int64_t> dist(low, high - 1);
  Array<int64_t> a = Array<int64_t>::from_shape(detail::to_xshape<int64_t>(shape));
  std::lock_guard lock(g_mutex);
  for (auto& v : a) v = dist(engine());
  return detail::make_tensor<int64_t>(std::move(a));
}

Tensor randperm(int64_t n) {
  if (n < 0) throw ValueError(fmt::format("randperm: n must be >= 0, got {}", n));
  Array<int64_t> a = Array<int64_t>::from_shape({static_cast<size_t>(n)});
  std::iota(a.begin(), a.end(), int64_t{0});
  std::lock_guard lock(g_mutex);
  std::shuffle(a.begin(), a.end(), engine());
  return detail::make_tensor<int64_t>(std::move(a));
}

}  // namespace xg
