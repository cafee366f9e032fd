// The factories: tensors from values (tensor, from_vector, scalar_tensor), filled (zeros, ones,
// full and their _like forms) and ranges (arange). The random ones are in autograd/random.cpp.
#include <autograd/tensor.hpp>

#include <autograd/detail/kernels.hpp>
#include <autograd/detail/tensor_impl.hpp>

#include <algorithm>
#include <cmath>
#include <xtensor/xbroadcast.hpp>

namespace xg {

namespace {

Tensor finish(Tensor t, const TensorOptions& options) {
  if (options.requires_grad) t.requires_grad_(true);
  return t;
}

template <class T>
Tensor filled(const Shape& shape, T value) {
  return detail::make_tensor<T>(Array<T>(xt::broadcast(value, detail::to_xshape<T>(shape))));
}

}  // namespace

Tensor from_vector(const std::vector<double>& values, const Shape& shape, TensorOptions options) {
  check_sizes(shape, "from_vector");
  if (static_cast<int64_t>(values.size()) != xg::numel(shape)) {
    throw ShapeError(fmt::format("from_vector: {} values cannot fill shape {} ({} elements)", values.size(),
                                 format_shape(shape), xg::numel(shape)));
  }
  const Dtype dtype = options.dtype.value_or(default_dtype());
  Tensor t = dispatch<Dtypes::all>(dtype, "from_vector", [&](auto tag) {
    using T = decltype(tag);
    Array<T> a = Array<T>::from_shape(detail::to_xshape<T>(shape));
    std::transform(values.begin(), values.end(), a.begin(), [](double v) { return static_cast<T>(v); });
    return detail::make_tensor<T>(std::move(a));
  });
  return finish(std::move(t), options);
}

Tensor detail::from_int64_vector(std::vector<int64_t> values, const Shape& shape) {
  check_sizes(shape, "from_vector");
  if (static_cast<int64_t>(values.size()) != xg::numel(shape)) {
    throw ShapeError(fmt::format("from_vector: {} values cannot fill shape {} ({} elements)", values.size(),
                                 format_shape(shape), xg::numel(shape)));
  }
  Array<int64_t> a = Array<int64_t>::from_shape(detail::to_xshape<int64_t>(shape));
  std::copy(values.begin(), values.end(), a.begin());
  return detail::make_tensor<int64_t>(std::move(a));
}

Shape TensorData::shape() const {
  if (is_scalar_) return {};
  Shape s{static_cast<int64_t>(items_.size())};
  if (items_.empty()) return s;
  const Shape inner = items_.front().shape();
  for (const auto& item : items_) {
    if (item.shape() != inner) {
      throw ShapeError(fmt::format("tensor: nested lists of different shapes ({} and {}) at one level",
                                   format_shape(inner), format_shape(item.shape())));
    }
  }
  s.insert(s.end(), inner.begin(), inner.end());
  return s;
}

void TensorData::flatten(std::vector<double>& out) const {
  if (is_scalar_) {
    out.push_back(value_);
    return;
  }
  for (const auto& item : items_) item.flatten(out);
}

Tensor tensor(const TensorData& data, TensorOptions options) {
  const Shape shape = data.shape();
  std::vector<double> values;
  data.flatten(values);
  return from_vector(values, shape, options);
}

Tensor scalar_tensor(double value, TensorOptions options) { return from_vector({value}, {}, options); }

namespace {
// full under the name the caller used (full, zeros, ones), for its error messages.
Tensor full_named(const Shape& shape, double value, TensorOptions options, const char* op) {
  check_sizes(shape, op);
  Tensor t = dispatch<Dtypes::all>(options.dtype.value_or(default_dtype()), op, [&](auto tag) {
    using T = decltype(tag);
    return filled<T>(shape, static_cast<T>(value));
  });
  return finish(std::move(t), options);
}
}  // namespace

Tensor full(const Shape& shape, double value, TensorOptions options) {
  return full_named(shape, value, options, "full");
}
Tensor full(const Shape& shape, double value, Dtype dtype) { return full(shape, value, TensorOptions{.dtype = dtype}); }
Tensor zeros(const Shape& shape, TensorOptions options) { return full_named(shape, 0.0, options, "zeros"); }
Tensor zeros(const Shape& shape, Dtype dtype) { return zeros(shape, TensorOptions{.dtype = dtype}); }
Tensor ones(const Shape& shape, TensorOptions options) { return full_named(shape, 1.0, options, "ones"); }
Tensor ones(const Shape& shape, Dtype dtype) { return ones(shape, TensorOptions{.dtype = dtype}); }

Tensor full_like(const Tensor& other, double value) {
  detail::check_defined(other, "full_like");
  return full(other.shape(), value, other.dtype());
}
Tensor zeros_like(const Tensor& other) { return full_like(other, 0.0); }
Tensor ones_like(const Tensor& other) { return full_like(other, 1.0); }

Tensor arange(double end, TensorOptions options) { return arange(0.0, end, 1.0, options); }
Tensor arange(double start, double end, double step, TensorOptions options) {
  if (step == 0.0) throw ValueError("arange: step must be non-zero");
  if ((end - start) / step < 0) {
    throw ValueError(fmt::format("arange: the range [{}, {}) and step {} have opposite signs", start, end, step));
  }
  const auto n = static_cast<int64_t>(std::ceil((end - start) / step));
  std::vector<double> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) values[i] = start + static_cast<double>(i) * step;
  return from_vector(values, {n}, options);
}

}  // namespace xg
