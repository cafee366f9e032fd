// xg::Tensor: a cheap, copyable handle (shared pointer) to a tensor's data and autograd state.
// This header does not include xtensor: autograd/xtensor.hpp adds the xtensor bridge
// (tensor(xt::xarray) and data<T>()), so code that only builds graphs compiles fast.
#pragma once

#include <autograd/dtype.hpp>
#include <autograd/shape.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace xg {

class Node;
struct TensorImpl;
namespace indexing {
class TensorIndex;  // autograd/indexing.hpp
}

namespace detail {
template <class T>
struct xarray_of;  // defined in autograd/xtensor.hpp
}

/// Options of backward() and grad(). retain_graph defaults to create_graph, as in torch.
struct BackwardOptions {
  std::optional<bool> retain_graph;
  bool create_graph = false;
};

/// Options of the factories: `xg::zeros({2, 3}, {.dtype = xg::float64, .requires_grad = true})`.
struct TensorOptions {
  std::optional<Dtype> dtype;  // default_dtype() when empty
  bool requires_grad = false;
};

class Tensor {
 public:
  /// An undefined tensor (torch's `at::Tensor()`): defined() is false, everything else throws.
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  const std::shared_ptr<TensorImpl>& impl() const { return impl_; }
  /// True when both handles refer to the same tensor (torch's is_same).
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- data ----
  Shape shape() const;
  int64_t size(int64_t axis) const;
  int64_t dim() const;
  int64_t numel() const;
  Dtype dtype() const;
  /// The single value of a one-element tensor (ValueError otherwise).
  double item() const;
  /// All values, row-major, converted to double.
  std::vector<double> to_vector() const;
  /// Pointer to element [0, ..., 0] in the storage (torch's data_ptr): the data is row-major
  /// from there only if is_contiguous(). T must match dtype() (DtypeError otherwise).
  template <class T>
  T* data_ptr();
  template <class T>
  const T* data_ptr() const;
  /// The data as an xtensor array, converted to T if T differs from dtype().
  /// Needs #include <autograd/xtensor.hpp>.
  template <class T, class Array = typename detail::xarray_of<T>::type>
  Array data() const;
  /// A copy converted to `dtype` (recorded: the gradient flows back converted).
  Tensor to(Dtype dtype) const;
  /// A contiguous copy with its own storage (recorded, as torch's clone; torch keeps a dense
  /// input's strides, xgrad's copy is always row-major).
  Tensor clone() const;
  /// This tensor when is_contiguous(), else a row-major copy (recorded as clone, as torch does).
  Tensor contiguous() const;
  /// Counts in-place writes to this tensor's storage (shared by its views); a node that saved it
  /// checks it in backward.
  uint32_t version() const;

  // ---- storage and views (torch's model: storage + sizes + strides + offset) ----
  /// Elements to step in the storage for one step along each axis.
  Shape stride() const;
  int64_t stride(int64_t axis) const;
  /// Position of element [0, ..., 0] in the storage.
  int64_t storage_offset() const;
  /// Row-major without gaps (size-1 axes and empty tensors count as contiguous, as in torch).
  bool is_contiguous() const;
  /// Whether this tensor was made by a view op (torch's _is_view); base() is then its base.
  bool is_view() const;
  /// The tensor a view views (never itself a view; torch's _base); undefined otherwise.
  Tensor base() const;
  /// Whether both share one storage (a write through one may show in the other).
  bool is_alias_of(const Tensor& other) const;

  // ---- autograd ----
  bool requires_grad() const;
  /// Marks a leaf as needing a gradient (GraphError on a non-leaf or an int64 tensor).
  Tensor& requires_grad_(bool requires_grad = true);
  /// The gradient accumulated by backward(); undefined until then.
  const Tensor& grad() const;
  /// The gradient slot itself, e.g. to reset it: `w.mutable_grad() = xg::Tensor();`
  Tensor& mutable_grad();
  /// The node that produced this tensor (null for leaves).
  const std::shared_ptr<Node>& grad_fn() const;
  bool is_leaf() const;
  /// Accumulates d(this)/d(leaf) into every leaf's grad(). `gradient` may be omitted only
  /// for a one-element tensor.
  void backward(const Tensor& gradient = {}, BackwardOptions options = {}) const;
  /// The same values with no history, sharing this tensor's storage and version counter (as
  /// torch's detach; not a view for autograd).
  Tensor detach() const;
  /// Keeps the gradient of a non-leaf in grad() after backward.
  Tensor& retain_grad();
  bool retains_grad() const;
  /// `fn(grad)` runs when this tensor's gradient has been computed; if it returns a defined
  /// tensor that replaces the gradient. `fn` may also return void.
  template <class F>
  void register_hook(F&& fn);

  /// A name shown by trace, to_dot and printing (`w_o`); empty by default.
  const std::string& name() const;
  Tensor& name(std::string name);

  // ---- in-place ops, as torch's (autograd/inplace.cpp). Through a view they write the base's
  // elements. Inside a graph the tensor takes the op's history (a view's base gets a CopySlices
  // node); a leaf that requires grad, or a view of one, refuses with grad mode on (optimizers
  // write under NoGradGuard). The other operand broadcasts to this tensor's shape; it may have
  // another dtype when the result converts to this one as torch allows (float32 += float64, never
  // int64 += 0.5: DtypeError, "result type float32 can't be cast to int64"). ----
  Tensor& zero_();
  Tensor& fill_(double value);
  /// this += alpha * other.
  Tensor& add_(const Tensor& other, double alpha = 1.0);
  Tensor& add_(Scalar value);
  /// this -= alpha * other.
  Tensor& sub_(const Tensor& other, double alpha = 1.0);
  Tensor& sub_(Scalar value);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(Scalar factor);
  Tensor& div_(const Tensor& other);
  Tensor& div_(Scalar divisor);
  Tensor& relu_();
  Tensor& clamp_(std::optional<double> min, std::optional<double> max);
  /// value where mask is true (a bool tensor broadcasting to this shape).
  Tensor& masked_fill_(const Tensor& mask, double value);
  /// Copies other's values (broadcast to this shape, converted to this dtype); differentiable.
  Tensor& copy_(const Tensor& other);
  Tensor& operator+=(const Tensor& other);
  Tensor& operator+=(Scalar value);
  Tensor& operator-=(const Tensor& other);
  Tensor& operator-=(Scalar value);
  Tensor& operator*=(const Tensor& other);
  Tensor& operator*=(Scalar value);
  Tensor& operator/=(const Tensor& other);
  Tensor& operator/=(Scalar value);
  /// Replaces this leaf's data by a copy of `data`'s, whose shape and dtype may differ (torch's
  /// `param.data = ...`, used by Module::to). Every handle sees the new data; grad() is reset.
  Tensor& set_data(const Tensor& data);
  /// Counts one in-place write made through data_ptr (torch's bump_version), so that a node that
  /// saved this tensor refuses to backward with the changed values. Optimizers call it after
  /// writing a parameter; the *_ methods above do it themselves.
  Tensor& bump_version();

  // ---- the ops as members, where torch has them ----
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const;
  Tensor flatten() const;
  Tensor unsqueeze(int64_t axis) const;
  Tensor squeeze(int64_t axis) const;
  Tensor transpose(int64_t axis0, int64_t axis1) const;
  Tensor t() const;
  Tensor permute(const Shape& dims) const;
  Tensor expand(const Shape& sizes) const;
  Tensor select(int64_t axis, int64_t index) const;
  /// select(0, i): `x[1]`, `x[-1]` (a view).
  Tensor operator[](int64_t index) const;
  /// `x.index({Slice(0, 2), 1, None, Ellipsis})` (a view), `x.index({Slice(), idx})` with int64
  /// tensors, `x.index({x > 0})` with a bool mask (a gather; autograd/indexing.hpp).
  Tensor index(const std::vector<indexing::TensorIndex>& indices) const;
  /// Writes value (broadcast) at x.index(indices), in place and differentiably; accumulate=true
  /// adds instead.
  Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, const Tensor& value, bool accumulate = false);
  Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, double value);
  Tensor narrow(int64_t axis, int64_t start, int64_t length) const;
  Tensor unflatten(int64_t axis, const Shape& sizes) const;
  Tensor diagonal(int64_t offset = 0, int64_t axis1 = 0, int64_t axis2 = 1) const;
  std::vector<Tensor> chunk(int64_t chunks, int64_t axis = 0) const;
  std::vector<Tensor> split(int64_t split_size, int64_t axis = 0) const;
  std::vector<Tensor> split(const Shape& sizes, int64_t axis = 0) const;
  Tensor sum() const;
  Tensor sum(int64_t axis, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(int64_t axis, bool keepdim = false) const;
  Tensor max() const;
  Tensor max(int64_t axis, bool keepdim = false) const;
  Tensor min() const;
  Tensor min(int64_t axis, bool keepdim = false) const;
  Tensor pow(double exponent) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor neg() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor clamp(std::optional<double> min, std::optional<double> max) const;
  Tensor softmax(int64_t axis) const;
  Tensor log_softmax(int64_t axis) const;
  Tensor matmul(const Tensor& other) const;

  /// Records `NodeT{args...}` as grad_fn of `result` when grad mode is on and an input
  /// requires grad; otherwise returns `result` untouched. Every op ends with this call.
  template <class NodeT, class... Args>
  static Tensor record(Tensor result, std::initializer_list<Tensor> inputs, Args&&... args);
  template <class NodeT, class... Args>
  static Tensor record(Tensor result, const std::vector<Tensor>& inputs, Args&&... args);

 private:
  void register_hook_impl(std::function<Tensor(const Tensor&)> fn);
  // Whether an in-place op with these other operands is recorded (grad mode on, something
  // requires grad), and the op itself: this takes compute(this's values)'s values and history.
  bool inplace_records(std::initializer_list<Tensor> others) const;
  // Moves hooks' and retain_grad's claim on this tensor from its old node to its new one (an
  // in-place op, a rebuilt view): the engine runs them where a node's output_ points.
  void move_output(const std::shared_ptr<Node>& from, const std::shared_ptr<Node>& to) const;
  // In the graph below `root`, the nodes recorded since `since` that saved `target` hold a tensor
  // without history instead: an in-place op is about to give the target a node that reaches
  // them, and target -> node -> ... -> target would be a reference cycle that nothing frees
  // (x += relu(x)). A node that saved the target's current values gets `values` (a copy made
  // before the write, when given), so its backward still reads what it saw; else an alias (same
  // storage and version counter: its backward reports the write, as before).
  static void unlink_saved(const std::shared_ptr<Node>& root, const TensorImpl* target, const Tensor& values,
                           uint64_t since);
  Tensor& apply_inplace(const char* op, const std::function<Tensor(const Tensor&)>& compute,
                        std::initializer_list<Tensor> others = {});
  void attach(std::shared_ptr<Node> node, const Tensor* inputs, size_t count);
  static bool any_requires_grad(const Tensor* inputs, size_t count);
  TensorImpl& checked() const;

  std::shared_ptr<TensorImpl> impl_;
};

// ---- type promotion ----

/// The dtype an op on a and b computes in (torch.result_type): promote_types of the two, except
/// that a 0-d tensor does not widen a tensor with dimensions of the same kind (bool, integer,
/// floating): a float32 [3] tensor with a 0-d float64 one gives float32, an int64 [3] one with a
/// 0-d float64 one gives float64.
Dtype result_type(const Tensor& a, const Tensor& b);

// ---- factories ----

/// A number or a nested braced list of numbers (torch's TensorDataContainer): `3.5`, `{1, 2}`,
/// `{{1, 2}, {3, 4}}`, to any depth. Lists at one level must have equal lengths.
class TensorData {
 public:
  TensorData(double value) : value_(value), is_scalar_(true) {}  // NOLINT: implicit by design
  TensorData(std::initializer_list<TensorData> items) : items_(items) {}
  /// The shape it spells and its values, row-major (ShapeError for ragged lists).
  Shape shape() const;
  void flatten(std::vector<double>& out) const;

 private:
  double value_ = 0.0;
  bool is_scalar_ = false;
  std::vector<TensorData> items_;
};

/// `xg::tensor({1, 2, 3})`, `xg::tensor({{1, 2}, {3, 4}}, {.requires_grad = true})`,
/// `xg::tensor(3.5)` (0-d). dtype: default_dtype() unless given.
Tensor tensor(const TensorData& data, TensorOptions options = {});
/// A 0-d tensor holding `value`.
Tensor scalar_tensor(double value, TensorOptions options = {});
/// `values` (row-major) laid out as `shape`; ShapeError if the counts differ.
Tensor from_vector(const std::vector<double>& values, const Shape& shape, TensorOptions options = {});
namespace detail {
Tensor from_int64_vector(std::vector<int64_t> values, const Shape& shape);
}
/// Integer values (class labels, indices) as an int64 tensor. A template so that a braced list
/// of numbers always goes to the double overload above.
template <class T>
requires std::is_integral_v<T> Tensor from_vector(const std::vector<T>& values, const Shape& shape) {
  return detail::from_int64_vector(std::vector<int64_t>(values.begin(), values.end()), shape);
}

Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor zeros(const Shape& shape, Dtype dtype);
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, Dtype dtype);
Tensor full(const Shape& shape, double value, TensorOptions options = {});
Tensor full(const Shape& shape, double value, Dtype dtype);
Tensor zeros_like(const Tensor& other);
Tensor ones_like(const Tensor& other);
Tensor full_like(const Tensor& other, double value);
/// [start, end) in steps of `step`, as torch.arange. The dtype is default_dtype() unless given:
/// C++ cannot tell arange(5) from arange(5.0), so unlike torch it never picks int64 by itself.
Tensor arange(double end, TensorOptions options = {});
Tensor arange(double start, double end, double step = 1.0, TensorOptions options = {});

// ---- implementation of the templates ----

template <class F>
void Tensor::register_hook(F&& fn) {
  if constexpr (std::is_void_v<std::invoke_result_t<F&, const Tensor&>>) {
    register_hook_impl([f = std::forward<F>(fn)](const Tensor& grad) {
      f(grad);
      return Tensor();
    });
  } else {
    register_hook_impl(std::function<Tensor(const Tensor&)>(std::forward<F>(fn)));
  }
}

}  // namespace xg
