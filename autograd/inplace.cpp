// In-place ops (fill_, zero_, add_, sub_, mul_, div_, copy_, relu_, clamp_, masked_fill_, the
// compound assignments) and the history they give a tensor, as torch's rebase_history:
//
// - outside a graph (no operand requires grad, or grad mode off) they write the tensor's
//   elements through its strides and bump the storage's version counter;
// - inside one, x.op_(...) computes y = op(x_before, ...) out of place, recorded as usual (x_before
//   is a copy of x's values holding x's history), writes y's values into x and gives x y's node;
// - when x is a view, its base b gets a CopySlices node (b = b_before with the view's region
//   replaced by y: as_strided_scatter's derivative) and x becomes as_strided(b); other views of b
//   rebuild their history the same way when next used (their storage version moved on).
//
// Refused as in torch: a leaf that requires grad, or a view of one (with grad mode on), and a
// target whose elements overlap (an expanded view).
#include <autograd/broadcast.hpp>
#include <autograd/detail/kernels.hpp>
#include <autograd/detail/tensor_impl.hpp>
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/arithmetic.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/view.hpp>
#include <autograd/tensor.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace xg {

// ---- the autograd state of views ----

bool Tensor::requires_grad() const {
  const TensorImpl& impl = checked();
  return impl.requires_grad || (impl.tracks_base && impl.base->requires_grad);
}

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  TensorImpl& impl = checked();
  // a view made with grad mode on follows its base: when the base's history changed since this
  // view's node was made (an in-place op on the base or on another view of it), its history is
  // as_strided of the base's. (Compared through a weak_ptr: the old node's control block stays
  // allocated while it is held, so a new node cannot reuse its address.)
  if (impl.tracks_base && impl.base->requires_grad && detail::history_moved(impl)) {
    const Tensor base(impl.base);
    if (!base.is_contiguous()) {
      throw GraphError(fmt::format(
          "grad_fn: the base (shape {}, strides {}) of this view was modified in place, and a view of a strided "
          "base cannot follow its new history; take views of base.contiguous()",
          format_shape(base.shape()), format_shape(base.stride())));
    }
    AutoGradMode grad_on(true);
    std::shared_ptr<Node> node = as_strided(base, shape(), stride(), storage_offset()).impl()->grad_fn;
    move_output(impl.grad_fn, node);
    impl.grad_fn = std::move(node);
    impl.view_base_node = impl.base->grad_fn;
  }
  return impl.grad_fn;
}

bool Tensor::is_leaf() const { return grad_fn() == nullptr; }

void Tensor::move_output(const std::shared_ptr<Node>& from, const std::shared_ptr<Node>& to) const {
  const TensorImpl& impl = *impl_;
  if (impl.hooks.empty() && !impl.retains_grad) return;
  if (from && from->output_.lock() == impl_) from->output_.reset();
  if (to) to->output_ = impl_;
}

namespace {

// x's values now, in storage of their own, with `history`'s node: what the out-of-place op reads.
Tensor before_write(const Tensor& x, const Tensor& history) {
  Tensor copy = detail::copy_values(x);
  TensorImpl& impl = *copy.impl();
  impl.grad_fn = history.grad_fn();
  impl.requires_grad = history.requires_grad();
  return copy;
}

// The gradient of an in-place op's target when the op overwrites it (fill_, copy_ of a
// constant): zero for its old values (torch's FillBackward), with no arithmetic on them (a
// -inf there must not become a NaN).
struct OverwriteBackward final : Node {
  explicit OverwriteBackward(const char* o) : op(o) {}
  const char* op;
  const char* name() const override { return op; }
  const char* no_rerun_reason() const override { return "an overwrite: its result does not depend on its input"; }
  std::string derivative() const override { return "d overwrite(x)/dx = 0"; }
  Grads backward(const Tensor& g) override { return {zeros_like(g)}; }
};

// The node of a base written through a view (torch's CopySlices): the base before the write with
// the view's region replaced by the written values, i.e. as_strided_scatter(base, values, ...).
struct CopySlices final : Node {
  CopySlices(Shape s, Shape st, int64_t o) : sizes(std::move(s)), strides(std::move(st)), relative_offset(o) {}
  Shape sizes, strides;
  int64_t relative_offset;
  const char* name() const override { return "copy_slices"; }
  Tensor forward(const std::vector<Tensor>& in) const override {
    const Tensor base = in[0].contiguous();
    return as_strided_scatter(base, in[1], sizes, strides, base.storage_offset() + relative_offset);
  }
  std::string derivative() const override {
    return "d copy_slices(base, values)/dbase = 1 outside the view's region, d/dvalues = 1 inside it";
  }
  Grads backward(const Tensor& g) override {
    const Tensor gc = g.contiguous();
    const int64_t at = gc.storage_offset() + relative_offset;
    Tensor grad_base, grad_values;
    if (needs_input_grad(0)) grad_base = as_strided_scatter(gc, zeros(sizes, g.dtype()), sizes, strides, at);
    if (needs_input_grad(1)) grad_values = as_strided(gc, sizes, strides, at);
    return {grad_base, grad_values};
  }
};

}  // namespace

Tensor& Tensor::apply_inplace(const char* op, const std::function<Tensor(const Tensor&)>& compute,
                              std::initializer_list<Tensor> others) {
  TensorImpl& impl = checked();
  detail::check_no_internal_overlap(*this, op);
  if (!inplace_records(others)) {
    Tensor values;
    {
      NoGradGuard no_grad;
      values = compute(*this);
    }
    if (values.shape() != shape()) {
      throw ShapeError(
          fmt::format("{}: the result's shape {} does not match this tensor's shape {} (an in-place op "
                      "cannot grow its target by broadcasting)",
                      op, format_shape(values.shape()), format_shape(shape())));
    }
    detail::write_into(*this, values.dtype() == dtype() ? values : values.to(dtype()));
    ++impl.version();
    return *this;
  }
  if (is_view() && !impl.tracks_base) {
    throw GraphError(
        fmt::format("{}: this view (shape {}) was made with grad mode off and is being modified in place with "
                    "grad mode on (ambiguous, as torch says); make the view with grad mode on, or write under "
                    "xg::NoGradGuard",
                    op, format_shape(shape())));
  }
  if (is_view() && impl.tracks_base && impl.base->grad_fn == nullptr && impl.base->requires_grad) {
    throw GraphError(
        fmt::format("{}: a view of a leaf tensor that requires grad (shape {}) is being used in an "
                    "in-place operation; clone() the leaf first, or write under xg::NoGradGuard",
                    op, format_shape(Tensor(impl.base).shape())));
  }
  if (grad_fn() == nullptr && requires_grad()) {
    throw GraphError(
        fmt::format("{}: a leaf tensor that requires grad (shape {}) is being used in an in-place "
                    "operation; clone() it first, or write under xg::NoGradGuard (as optimizers do)",
                    op, format_shape(shape())));
  }
  const bool view = impl.tracks_base;
  std::shared_ptr<TensorImpl> base = impl.base;
  if (view && !Tensor(base).is_contiguous()) {
    throw GraphError(
        fmt::format("{}: writing through a view of a strided base (shape {}, strides {}) inside a graph "
                    "is not supported; write to a view of base.contiguous()",
                    op, format_shape(Tensor(base).shape()), format_shape(Tensor(base).stride())));
  }
  // The base's history before the write: an alias holding the base's old node (its values are not
  // needed, only the edge). A view's values before the write take their history from it, not from
  // the view's own node, which saved the base itself: base -> CopySlices -> ... -> base would be a
  // cycle that no backward frees.
  Tensor base_before;
  Tensor history = *this;
  if (view) {
    base_before = Tensor(base).detach();
    base_before.impl()->grad_fn = base->grad_fn;
    base_before.impl()->requires_grad = base->requires_grad || base->grad_fn != nullptr;
    AutoGradMode grad_on(true);
    history = as_strided(base_before, shape(), stride(), storage_offset());
  }
  const Tensor before = before_write(*this, history);
  history = Tensor();
  Tensor result = compute(before);
  if (result.shape() != shape()) {
    throw ShapeError(
        fmt::format("{}: the result's shape {} does not match this tensor's shape {} (an in-place op "
                    "cannot grow its target by broadcasting)",
                    op, format_shape(result.shape()), format_shape(shape())));
  }
  if (result.dtype() != dtype()) result = result.to(dtype());
  // The result's node becomes this tensor's, so the result must be a tensor of its own: not an
  // operand (copy_(w) of the same shape returns w itself), not a leaf. An op whose result does
  // not depend on this tensor's old values still gives it a node, as torch does.
  if (result.impl().use_count() > 1 || (result.requires_grad() && !result.grad_fn())) {
    result = result.requires_grad() ? result.clone() : detail::copy_values(result);
  }
  if (!result.requires_grad()) {
    AutoGradMode grad_on(true);
    result = Tensor::record<OverwriteBackward>(std::move(result), {before}, op);
  }
  // nodes made since this tensor's (and its base's) node that saved them must not keep them:
  // the new history reaches those nodes
  {
    const uint64_t since = impl.grad_fn ? impl.grad_fn->sequence_nr() : 0;
    unlink_saved(result.impl()->grad_fn, impl_.get(), before, since);
    if (view)
      unlink_saved(result.impl()->grad_fn, base.get(), Tensor(), base->grad_fn ? base->grad_fn->sequence_nr() : 0);
  }
  detail::write_into(*this, result);
  ++impl.version();
  if (!view) {
    move_output(impl.grad_fn, result.impl()->grad_fn);
    impl.grad_fn = result.impl()->grad_fn;
    impl.requires_grad = true;
    return *this;
  }
  Tensor base_tensor(base);
  const int64_t relative = storage_offset() - base_tensor.storage_offset();
  {
    AutoGradMode grad_on(true);
    Tensor::record<CopySlices>(base_tensor, {base_before, result}, shape(), stride(), relative);
  }
  (void)grad_fn();  // the base's node changed: this view's becomes as_strided of it
  return *this;
}

void Tensor::unlink_saved(const std::shared_ptr<Node>& root, const TensorImpl* target, const Tensor& values,
                          uint64_t since) {
  std::vector<Node*> stack;
  std::unordered_set<const Node*> seen;
  if (root) stack.push_back(root.get());
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    if (node->sequence_nr() < since || !seen.insert(node).second || node->released()) continue;
    for (size_t i = 0; i < node->inputs_.size(); ++i) {
      Node::SavedInput& saved = node->inputs_[i];
      if (saved.grad_fn) stack.push_back(saved.grad_fn.get());
      if (!saved.tensor.defined()) continue;
      if (saved.tensor.impl().get() != target) continue;
      if (values.defined() && saved.version == target->version()) {
        saved.tensor = values.detach();
        saved.version = values.version();
      } else {
        saved.tensor = saved.tensor.detach();  // the same storage and version counter, no history
      }
    }
  }
}

bool Tensor::inplace_records(std::initializer_list<Tensor> others) const {
  if (!is_grad_enabled()) return false;
  if (requires_grad()) return true;
  for (const Tensor& o : others) {
    if (o.defined() && o.requires_grad()) return true;
  }
  return false;
}

// ---- the in-place ops ----
// fill_, mul_ by a number and add_ of a tensor outside a graph (optimizers, gradient
// accumulation) write in place without a temporary when the target is contiguous.
namespace {
template <class T, class F>
void update(const Tensor& t, F&& f) {
  if (t.is_contiguous()) {
    auto& a = detail::mut_array<T>(t);
    f(a);
    return;
  }
  Tensor values = detail::copy_values(t);
  auto& a = detail::mut_array<T>(values);
  f(a);
  detail::write_into(t, values);
}

// The write of an in-place op outside a graph: f(elements) on t (refusing an expanded target),
// then one more version.
template <Dtypes Accepted = Dtypes::numeric, class F>
void write_elements(const Tensor& t, const char* op, F&& f) {
  detail::check_no_internal_overlap(t, op);
  dispatch<Accepted>(t.dtype(), op, [&](auto tag) {
    update<decltype(tag)>(t, f);
    return 0;
  });
  ++t.impl()->version();
}
}  // namespace

Tensor& Tensor::fill_(double value) {
  detail::check_defined(*this, "fill_");
  if (!inplace_records({})) {
    write_elements<Dtypes::all>(*this, "fill_", [value](auto& a) {
      std::fill(a.begin(), a.end(), static_cast<typename std::decay_t<decltype(a)>::value_type>(value));
    });
    return *this;
  }
  return apply_inplace("fill_", [&](const Tensor& x) { return full(x.shape(), value, x.dtype()); });
}
Tensor& Tensor::zero_() { return fill_(0.0); }

namespace {
// torch's can_cast for the result of an in-place op: a floating result does not go into an int64
// or bool tensor, nor an int64 one into a bool tensor.
void check_can_cast(Dtype result, Dtype self, const char* op) {
  if ((is_floating(result) && !is_floating(self)) || (result == Dtype::int64 && self == Dtype::boolean)) {
    throw DtypeError(
        fmt::format("{}: result type {} can't be cast to the desired output type {} (as torch: "
                    "convert this tensor first, x = x.to(...))",
                    op, dtype_name(result), dtype_name(self)));
  }
}
void check_can_cast(const Tensor& self, const Tensor& other, const char* op) {
  detail::check_defined(self, op);
  detail::check_defined(other, op);
  check_can_cast(result_type(self, other), self.dtype(), op);
}
void check_can_cast(const Tensor& self, const Scalar& s, const char* op, bool true_division = false) {
  detail::check_defined(self, op);
  Dtype result = result_type(self.dtype(), s);
  if (true_division && !is_floating(result)) result = default_dtype();
  check_can_cast(result, self.dtype(), op);
}
}  // namespace

// alpha * other in their common dtype with this tensor: an integer one takes only a whole alpha
// (torch: "For integral input tensors, argument alpha must not be a floating point number").
static Tensor scaled_other(const Tensor& self, const Tensor& other, double alpha, const char* op) {
  const Dtype c = result_type(self, other);
  const Tensor o = other.dtype() == c ? other : other.to(c);
  if (alpha == 1.0) return o;
  if (!is_floating(c)) {
    if (alpha != std::trunc(alpha) || !std::isfinite(alpha)) {
      throw DtypeError(
          fmt::format("{}: for integral input tensors, alpha must not be a floating point number, got {}", op, alpha));
    }
    return o * static_cast<int64_t>(alpha);
  }
  return o * alpha;
}

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  check_can_cast(*this, other, "add_");
  if (!is_floating(result_type(*this, other)) && alpha != std::trunc(alpha))
    (void)scaled_other(*this, other, alpha, "add_");
  if (!inplace_records({other}) && other.dtype() == dtype() && dtype() != Dtype::boolean &&
      (impl_->sizes == other.impl()->sizes || broadcast_shapes(shape(), other.shape(), "add_") == shape())) {
    // other is read in full before the write when it shares this storage (x.add_(x.t()))
    const Tensor b_values = is_alias_of(other) ? detail::copy_values(other) : detail::contiguous(other);
    write_elements(*this, "add_", [&](auto& a) {
      using T = typename std::decay_t<decltype(a)>::value_type;
      const auto& b = detail::array<T>(b_values);
      if (alpha == 1.0)
        a += b;
      else
        a += static_cast<T>(alpha) * b;
    });
    return *this;
  }
  return apply_inplace("add_", [&](const Tensor& x) { return x + scaled_other(x, other, alpha, "add_"); }, {other});
}
Tensor& Tensor::add_(Scalar value) {
  check_can_cast(*this, value, "add_");
  return apply_inplace("add_", [&](const Tensor& x) { return x + value; });
}
Tensor& Tensor::sub_(const Tensor& other, double alpha) {
  check_can_cast(*this, other, "sub_");
  if (!is_floating(result_type(*this, other)) && alpha != std::trunc(alpha))
    (void)scaled_other(*this, other, alpha, "sub_");
  return apply_inplace("sub_", [&](const Tensor& x) { return x - scaled_other(x, other, alpha, "sub_"); }, {other});
}
Tensor& Tensor::sub_(Scalar value) {
  check_can_cast(*this, value, "sub_");
  return apply_inplace("sub_", [&](const Tensor& x) { return x - value; });
}
Tensor& Tensor::mul_(const Tensor& other) {
  check_can_cast(*this, other, "mul_");
  return apply_inplace("mul_", [&](const Tensor& x) { return x * other; }, {other});
}
Tensor& Tensor::mul_(Scalar factor) {
  check_can_cast(*this, factor, "mul_");
  if (!inplace_records({}) && dtype() != Dtype::boolean) {
    write_elements(*this, "mul_", [&factor](auto& a) {
      using T = typename std::decay_t<decltype(a)>::value_type;
      // an integer factor exactly (beyond 2^53 too), a floating one as a double
      a *= factor.is_floating() ? static_cast<T>(factor.to_double()) : static_cast<T>(factor.to_int64());
    });
    return *this;
  }
  return apply_inplace("mul_", [&](const Tensor& x) { return x * factor; });
}
Tensor& Tensor::div_(const Tensor& other) {
  check_can_cast(*this, other, "div_");
  if (!is_floating(dtype())) check_can_cast(default_dtype(), dtype(), "div_");  // true division
  return apply_inplace("div_", [&](const Tensor& x) { return x / other; }, {other});
}
Tensor& Tensor::div_(Scalar divisor) {
  check_can_cast(*this, divisor, "div_", true);
  return apply_inplace("div_", [&](const Tensor& x) { return x / divisor; });
}
Tensor& Tensor::relu_() {
  return apply_inplace("relu_", [](const Tensor& x) { return xg::relu(x); });
}
Tensor& Tensor::clamp_(std::optional<double> min, std::optional<double> max) {
  return apply_inplace("clamp_", [&](const Tensor& x) { return xg::clamp(x, min, max); });
}
Tensor& Tensor::masked_fill_(const Tensor& mask, double value) {
  detail::check_defined(mask, "masked_fill_");
  detail::check_mask(mask, "masked_fill_");
  return apply_inplace("masked_fill_", [&](const Tensor& x) { return where(mask, full({}, value, x.dtype()), x); });
}

Tensor& Tensor::copy_(const Tensor& other) {
  detail::check_defined(other, "copy_");
  return apply_inplace(
      "copy_",
      [&](const Tensor& x) {
        const Tensor source = other.dtype() == x.dtype() ? other : other.to(x.dtype());
        if (broadcast_shapes(x.shape(), source.shape(), "copy_") != x.shape()) {
          throw ShapeError(fmt::format("copy_: source shape {} cannot be broadcast to this tensor's shape {}",
                                       format_shape(source.shape()), format_shape(x.shape())));
        }
        return broadcast_to(source, x.shape());
      },
      {other});
}

Tensor& Tensor::operator+=(const Tensor& other) { return add_(other); }
Tensor& Tensor::operator+=(Scalar value) { return add_(value); }
Tensor& Tensor::operator-=(const Tensor& other) { return sub_(other); }
Tensor& Tensor::operator-=(Scalar value) { return sub_(value); }
Tensor& Tensor::operator*=(const Tensor& other) { return mul_(other); }
Tensor& Tensor::operator*=(Scalar value) { return mul_(value); }
Tensor& Tensor::operator/=(const Tensor& other) { return div_(other); }
Tensor& Tensor::operator/=(Scalar value) { return div_(value); }

Tensor& Tensor::set_data(const Tensor& data) {
  TensorImpl& impl = checked();
  detail::check_defined(data, "set_data");
  if (impl.grad_fn) {
    throw GraphError(fmt::format("set_data: this tensor ({}) is the output of '{}', not a leaf", format_shape(shape()),
                                 impl.grad_fn->name()));
  }
  if (impl.requires_grad && !is_floating(data.dtype())) {
    throw DtypeError(
        fmt::format("set_data: a tensor that requires grad cannot take {} data", dtype_name(data.dtype())));
  }
  // a storage of its own (a copy), whose version continues this tensor's count
  Tensor copy = detail::copy_values(data);
  copy.impl()->storage->version = impl.version() + 1;
  impl.storage = copy.impl()->storage;
  impl.dtype_ = copy.impl()->dtype_;
  impl.set_geometry(copy.impl()->sizes, copy.impl()->strides, 0);
  impl.base = nullptr;
  impl.tracks_base = false;
  impl.grad = Tensor();
  return *this;
}

}  // namespace xg
