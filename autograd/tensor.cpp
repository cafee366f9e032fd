// Tensor handle methods, the autograd state of a tensor, in-place updates and the ops as members
// (to and clone here, the others forward to their family in autograd/ops/).
#include <autograd/tensor.hpp>

#include <autograd/anomaly.hpp>
#include <autograd/detail/kernels.hpp>
#include <autograd/detail/tensor_impl.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/node.hpp>
#include <autograd/observer.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/arithmetic.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/linalg.hpp>
#include <autograd/ops/op_info.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/ops/shape.hpp>
#include <autograd/ops/softmax.hpp>
#include <autograd/ops/view.hpp>

#include <xtensor/xoperation.hpp>

namespace xg {

using detail::array;

TensorImpl& Tensor::checked() const {
  if (!impl_) throw ValueError("tensor: this tensor is undefined (default-constructed); assign a value first");
  return *impl_;
}

// ---- data ----

Shape Tensor::shape() const { return detail::to_shape(checked().sizes); }
int64_t Tensor::size(int64_t axis) const {
  const int64_t d = dim();
  const int64_t ax = normalize_axis(axis, d, "size");
  return d == 0 ? 1 : shape()[ax];
}
int64_t Tensor::dim() const { return checked().dim(); }
int64_t Tensor::numel() const { return checked().numel(); }
Dtype Tensor::dtype() const { return checked().dtype(); }
uint32_t Tensor::version() const { return checked().version(); }
Tensor& Tensor::bump_version() {
  ++checked().version();
  return *this;
}

Shape Tensor::stride() const { return detail::to_shape(checked().strides); }
int64_t Tensor::stride(int64_t axis) const {
  const int64_t d = dim();
  const int64_t ax = normalize_axis(axis, d, "stride");
  return d == 0 ? 1 : checked().strides[ax];
}
int64_t Tensor::storage_offset() const { return checked().offset; }
bool Tensor::is_contiguous() const { return checked().contiguous; }
bool Tensor::is_view() const { return checked().base != nullptr; }
Tensor Tensor::base() const { return Tensor(checked().base); }
bool Tensor::is_alias_of(const Tensor& other) const {
  return defined() && other.defined() && impl_->storage == other.impl_->storage;
}

double Tensor::item() const {
  if (numel() != 1) {
    throw ValueError(
        fmt::format("item: only a one-element tensor can be converted to a number, got shape {} ({} "
                    "elements)",
                    format_shape(shape()), numel()));
  }
  return detail::with_array(*this, [](const auto& a) { return static_cast<double>(a.data()[0]); });
}

std::vector<double> Tensor::to_vector() const {
  return detail::with_array(*this, [](const auto& a) { return std::vector<double>(a.begin(), a.end()); });
}

template <class T>
T* Tensor::data_ptr() {
  if (dtype() != dtype_of<T>()) {
    throw DtypeError(
        fmt::format("data_ptr: asked for {} data of a {} tensor", dtype_name(dtype_of<T>()), dtype_name(dtype())));
  }
  return checked().template first<T>();
}
template <class T>
const T* Tensor::data_ptr() const {
  return const_cast<Tensor*>(this)->data_ptr<T>();
}
template float* Tensor::data_ptr<float>();
template double* Tensor::data_ptr<double>();
template int64_t* Tensor::data_ptr<int64_t>();
template bool* Tensor::data_ptr<bool>();
template const float* Tensor::data_ptr<float>() const;
template const double* Tensor::data_ptr<double>() const;
template const int64_t* Tensor::data_ptr<int64_t>() const;
template const bool* Tensor::data_ptr<bool>() const;

// ---- autograd state ----

Tensor& Tensor::requires_grad_(bool requires_grad) {
  TensorImpl& impl = checked();
  if (impl.grad_fn) {
    if (requires_grad) return *this;
    throw GraphError(
        fmt::format("requires_grad_: this tensor ({}) is the output of '{}', not a leaf; use detach() "
                    "to get a tensor without history",
                    format_shape(shape()), impl.grad_fn->name()));
  }
  if (requires_grad && !is_floating(impl.dtype())) {
    throw DtypeError(fmt::format("requires_grad_: only float32/float64 tensors can require grad, this one is {}",
                                 dtype_name(impl.dtype())));
  }
  impl.requires_grad = requires_grad;
  return *this;
}

const Tensor& Tensor::grad() const { return checked().grad; }
Tensor& Tensor::mutable_grad() { return checked().grad; }

Tensor Tensor::detach() const {
  // shares the storage and its version counter, as torch's detach; not a view for autograd
  TensorImpl& impl = checked();
  auto out = std::allocate_shared<TensorImpl>(detail::StorageAllocator<TensorImpl>());
  out->storage = impl.storage;
  out->dtype_ = impl.dtype_;
  out->set_geometry(impl.sizes, impl.strides, impl.offset);
  out->name = impl.name;
  return Tensor(std::move(out));
}

Tensor& Tensor::retain_grad() {
  TensorImpl& impl = checked();
  if (!requires_grad()) {
    throw GraphError("retain_grad: this tensor does not require grad, so it will never have a gradient");
  }
  if (grad_fn()) {
    impl.retains_grad = true;
    impl.grad_fn->output_ = impl_;
  }
  return *this;  // a leaf keeps its gradient anyway
}
bool Tensor::retains_grad() const { return checked().retains_grad; }

void Tensor::register_hook_impl(std::function<Tensor(const Tensor&)> fn) {
  TensorImpl& impl = checked();
  if (!requires_grad()) {
    throw GraphError("register_hook: this tensor does not require grad, so the hook would never run");
  }
  impl.hooks.push_back(std::move(fn));
  if (grad_fn()) impl.grad_fn->output_ = impl_;
}

const std::string& Tensor::name() const { return checked().name; }
Tensor& Tensor::name(std::string name) {
  checked().name = std::move(name);
  return *this;
}

bool Tensor::any_requires_grad(const Tensor* inputs, size_t count) {
  if (!is_grad_enabled()) return false;
  for (size_t i = 0; i < count; ++i) {
    if (inputs[i].defined() && inputs[i].requires_grad()) return true;
  }
  return false;
}

void Tensor::attach(std::shared_ptr<Node> node, const Tensor* inputs, size_t count) {
  node->inputs_.assign(inputs, count);
  impl_->grad_fn = std::move(node);
  impl_->requires_grad = true;
  if (is_anomaly_enabled()) {
    impl_->grad_fn->creation_site_ = CreationSite::capture();
    detail::check_forward_finite(*impl_->grad_fn, *this);
  }
  if (GraphObserver* observer = graph_observer()) observer->on_record(*impl_->grad_fn, *this);
}

// ---- ops as members ----

Tensor Tensor::reshape(const Shape& s) const { return xg::reshape(*this, s); }
Tensor Tensor::view(const Shape& s) const { return xg::view(*this, s); }
Tensor Tensor::flatten() const { return xg::flatten(*this); }
Tensor Tensor::unsqueeze(int64_t axis) const { return xg::unsqueeze(*this, axis); }
Tensor Tensor::squeeze(int64_t axis) const { return xg::squeeze(*this, axis); }
Tensor Tensor::transpose(int64_t a, int64_t b) const { return xg::transpose(*this, a, b); }
Tensor Tensor::t() const {
  if (dim() > 2) {
    throw ShapeError(fmt::format("t: expects a tensor of at most 2 dimensions, got shape {} (use transpose)",
                                 format_shape(shape())));
  }
  return dim() < 2 ? *this : xg::transpose(*this, 0, 1);
}
Tensor Tensor::permute(const Shape& dims) const { return xg::permute(*this, dims); }
Tensor Tensor::expand(const Shape& sizes) const { return xg::expand(*this, sizes); }
Tensor Tensor::select(int64_t axis, int64_t index) const { return xg::select(*this, axis, index); }
Tensor Tensor::operator[](int64_t index) const { return xg::select(*this, 0, index); }
Tensor Tensor::narrow(int64_t axis, int64_t start, int64_t length) const {
  return xg::narrow(*this, axis, start, length);
}
Tensor Tensor::unflatten(int64_t axis, const Shape& sizes) const { return xg::unflatten(*this, axis, sizes); }
Tensor Tensor::diagonal(int64_t offset, int64_t axis1, int64_t axis2) const {
  return xg::diagonal(*this, offset, axis1, axis2);
}
std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t axis) const { return xg::chunk(*this, chunks, axis); }
std::vector<Tensor> Tensor::split(int64_t split_size, int64_t axis) const { return xg::split(*this, split_size, axis); }
std::vector<Tensor> Tensor::split(const Shape& sizes, int64_t axis) const { return xg::split(*this, sizes, axis); }
Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }
Tensor Tensor::sum() const { return xg::sum(*this); }
Tensor Tensor::sum(int64_t axis, bool keepdim) const { return xg::sum(*this, axis, keepdim); }
Tensor Tensor::mean() const { return xg::mean(*this); }
Tensor Tensor::mean(int64_t axis, bool keepdim) const { return xg::mean(*this, axis, keepdim); }
Tensor Tensor::max() const { return xg::max(*this); }
Tensor Tensor::max(int64_t axis, bool keepdim) const { return xg::max(*this, axis, keepdim); }
Tensor Tensor::min() const { return xg::min(*this); }
Tensor Tensor::min(int64_t axis, bool keepdim) const { return xg::min(*this, axis, keepdim); }
Tensor Tensor::pow(double exponent) const { return xg::pow(*this, exponent); }
Tensor Tensor::pow(const Tensor& exponent) const { return xg::pow(*this, exponent); }
Tensor Tensor::exp() const { return xg::exp(*this); }
Tensor Tensor::log() const { return xg::log(*this); }
Tensor Tensor::sqrt() const { return xg::sqrt(*this); }
Tensor Tensor::abs() const { return xg::abs(*this); }
Tensor Tensor::neg() const { return xg::neg(*this); }
Tensor Tensor::sin() const { return xg::sin(*this); }
Tensor Tensor::cos() const { return xg::cos(*this); }
Tensor Tensor::tanh() const { return xg::tanh(*this); }
Tensor Tensor::sigmoid() const { return xg::sigmoid(*this); }
Tensor Tensor::relu() const { return xg::relu(*this); }
Tensor Tensor::clamp(std::optional<double> lo, std::optional<double> hi) const { return xg::clamp(*this, lo, hi); }
Tensor Tensor::softmax(int64_t axis) const { return xg::softmax(*this, axis); }
Tensor Tensor::log_softmax(int64_t axis) const { return xg::log_softmax(*this, axis); }
Tensor Tensor::matmul(const Tensor& other) const { return xg::matmul(*this, other); }

// ---- to(dtype) and clone: identity maps whose gradient is passed back (converted) ----
// d to(x)/dx = 1 (the gradient is converted back to x's dtype)
struct ToBackward final : Node {
  explicit ToBackward(Dtype from) : source(from) {}
  Dtype source;
  const char* name() const override { return "to"; }
  // re-running it in blame would difference through float32 rounding: a false alarm, not a check
  const char* no_rerun_reason() const override {
    return "a dtype conversion, whose float32 rounding central differences cannot see through";
  }
  std::string derivative() const override { return "d to(x)/dx = 1"; }
  Grads backward(const Tensor& g) override { return {g.to(source)}; }
};
Dtype result_type(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "result_type");
  detail::check_defined(b, "result_type");
  const bool a_dims = a.dim() > 0, b_dims = b.dim() > 0;
  if (a_dims == b_dims) return promote_types(a.dtype(), b.dtype());
  // torch's combine_categories: the tensor with dimensions decides unless the 0-d one is of a
  // higher kind (floating over integer, integer over bool)
  const Dtype higher = a_dims ? a.dtype() : b.dtype(), lower = a_dims ? b.dtype() : a.dtype();
  if (is_floating(higher)) return higher;
  if (higher == Dtype::boolean || is_floating(lower)) return promote_types(higher, lower);
  return higher;
}

Tensor Tensor::to(Dtype dtype) const {
  detail::check_defined(*this, "to");
  if (dtype == this->dtype()) return *this;
  if (!is_floating(dtype) && requires_grad() && is_grad_enabled()) {
    throw DtypeError(fmt::format("to: {} tensors cannot require grad; detach() before converting to {}",
                                 dtype_name(dtype), dtype_name(dtype)));
  }
  Tensor out = dispatch<Dtypes::all>(dtype, "to", [&](auto target) {
    using T = decltype(target);
    return dispatch<Dtypes::all>(this->dtype(), "to", [&](auto source) {
      using S = decltype(source);
      return detail::make_tensor<T>(Array<T>(xt::cast<T>(array<S>(detail::contiguous(*this)))));
    });
  });
  if (!is_floating(dtype)) return out;
  return record<ToBackward>(std::move(out), {*this}, this->dtype());
}

// d clone(x)/dx = 1
struct CloneBackward final : Node {
  const char* name() const override { return "clone"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return in[0].clone(); }
  std::string derivative() const override { return "d clone(x)/dx = 1"; }
  Grads backward(const Tensor& g) override { return {g}; }
};
Tensor Tensor::clone() const {
  detail::check_defined(*this, "clone");
  Tensor out = detail::copy_values(*this);
  out.impl()->name = impl_->name;
  return record<CloneBackward>(std::move(out), {*this});
}

// ---- the catalogue (autograd/ops/op_info.hpp): the member ops with a node of their own ----
std::span<const OpInfo> tensor_ops() {
  static const OpInfo ops[] = {
      {.name = "clone",
       .family = "autograd/tensor",
       .signature = "x.clone()",
       .sample = OpSample::unary,
       .call = [](const OpCall& o) { return o.a.clone(); },
       .expression = "{a}.clone()"},
      {.name = "contiguous",
       .family = "autograd/tensor",
       .signature = "x.contiguous()",
       .sample = OpSample::matrix,
       .call = [](const OpCall& o) { return xg::transpose(o.a).contiguous(); },
       .expression = "transpose({a}).contiguous()"},
      {.name = "to",
       .family = "autograd/tensor",
       .signature = "x.to(dtype)",
       .not_drawn = "a float32 round trip rounds away the precision central differences need; tensor_test.cpp "
                    "checks its gradient through float32 in float64"},
  };
  return ops;
}

}  // namespace xg
