// The tensor implementation behind xg::Tensor (private to the library: includes xtensor).
//
// As in torch, a tensor is a view of a storage: sizes, strides (in elements) and an offset into
// a buffer that several tensors may share (views: reshape, transpose, slice, x[i], detach...).
// The storage carries the version counter, so that a write through any view is seen by every
// node that saved any tensor of that storage.
#pragma once

#include <autograd/detail/allocator.hpp>
#include <autograd/node.hpp>
#include <autograd/tensor.hpp>

#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>  // immediate reducers build their result type from it

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace xg {

// The arrays kernels allocate: row-major xarrays on the caching allocator (detail/allocator.hpp).
// A new tensor owns one as its storage. The xtensor bridge (autograd/xtensor.hpp) copies into and
// out of plain xt::xarray<T>.
template <class T>
using Array = xt::xarray<T, xt::layout_type::row_major, detail::StorageAllocator<T>>;
// What kernels read and write: a contiguous tensor's elements in its own shape, without a copy (an
// xtensor container over the storage, as fast as an Array in expressions). Reads take it by
// reference, `const auto& a = array<T>(t)`, valid while t lives and keeps its geometry (xtensor's
// adaptors of const pointers give const value_types, which its temporaries cannot hold, so both
// go through T*).
template <class T>
using MutArray = xt::xarray_adaptor<xt::xbuffer_adaptor<T*, xt::no_ownership>, xt::layout_type::row_major>;
template <class T>
using ConstArray = MutArray<T>;

// Sizes and strides live inline up to 4 dimensions (no allocation per tensor).
using Dims = xt::svector<int64_t, 4>;

// A storage's elements (moved out of the Array a kernel computed) and, made once with them, the
// xtensor container kernels read them through when a tensor spans them all in the shape they were
// allocated with (most tensors): a read is then a reference, where building a container per read
// costs more than a small op itself.
template <class T>
struct Buffer {
  explicit Buffer(Array<T>&& a)
      : values(std::move(a.storage())), whole(xt::xbuffer_adaptor<T*, xt::no_ownership>(values.data(), values.size())) {
    // the array's shape, strides and backstrides, copied rather than computed again (xtensor's
    // constructor would resize and fill each: a third of a small op's time)
    struct Geometry : MutArray<T> {
      using Base = xt::xstrided_container<MutArray<T>>;
      static void set(MutArray<T>& m, const Array<T>& from) {
        (m.*static_cast<typename Base::inner_shape_type& (Base::*)() noexcept>(&Geometry::shape_impl))() = from.shape();
        (m.*static_cast<typename Base::inner_strides_type& (Base::*)() noexcept>(&Geometry::strides_impl))() =
            from.strides();
        (m.*static_cast<typename Base::inner_backstrides_type& (Base::*)() noexcept>(&Geometry::backstrides_impl))() =
            from.backstrides();
      }
    };
    Geometry::set(whole, a);
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  typename Array<T>::storage_type values;
  MutArray<T> whole;
};

using Storage = std::variant<Buffer<float>, Buffer<double>, Buffer<int64_t>, Buffer<bool>>;

struct StorageImpl {
  template <class T>
  explicit StorageImpl(Array<T>&& a) : data(std::in_place_type<Buffer<T>>, std::move(a)) {}
  Storage data;
  uint32_t version = 0;
  int64_t size() const {
    return std::visit([](const auto& b) { return static_cast<int64_t>(b.values.size()); }, data);
  }
};

// The container of a contiguous tensor that does not span its storage as allocated (a reshaped or
// sliced view), made with its geometry.
using OwnArray = std::variant<MutArray<float>, MutArray<double>, MutArray<int64_t>, MutArray<bool>>;

struct TensorImpl {
  std::shared_ptr<StorageImpl> storage;
  Dims sizes;
  Dims strides;
  int64_t offset = 0;
  bool contiguous = true;  // row-major without gaps (cached: set with the geometry)
  // contiguous, offset 0 and the storage's allocated shape: kernels read storage's Buffer::whole
  bool whole = true;
  std::shared_ptr<OwnArray> own_array;  // else, when contiguous, what they read (from the cache)
  // For a view: the tensor it views, itself never a view (torch's _base); null otherwise.
  std::shared_ptr<TensorImpl> base;
  // A view made with grad mode on follows its base's history: it requires grad when the base
  // does, and when the base's node is no longer view_base_node (an in-place op gave the base a
  // new history), grad_fn() rebuilds its node as as_strided of the base (autograd/inplace.cpp).
  bool tracks_base = false;
  std::weak_ptr<Node> view_base_node;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  std::vector<std::function<Tensor(const Tensor&)>> hooks;
  std::string name;
  bool requires_grad = false;
  bool retains_grad = false;
  Dtype dtype_ = Dtype::float32;  // the storage's, kept here to spare a pointer chase per op

  Dtype dtype() const { return dtype_; }
  int64_t dim() const { return static_cast<int64_t>(sizes.size()); }
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t s : sizes) n *= s;
    return n;
  }
  uint32_t& version() const { return storage->version; }
  /// Sets sizes, strides and offset, the cached contiguity and the container kernels read (the
  /// storage must be set).
  void set_geometry(Dims new_sizes, Dims new_strides, int64_t new_offset);
  /// Pointer to element [0, ..., 0] (storage + offset). T must be the dtype.
  template <class T>
  T* first() const {
    T* p = std::get<Buffer<T>>(storage->data).values.data();
    return p == nullptr ? p : p + offset;  // an empty storage has no buffer to offset into
  }
};

namespace detail {

/// Row-major strides of `sizes` (1 for the last axis).
Dims contiguous_strides(const Dims& sizes);
/// Whether sizes/strides describe a row-major layout without gaps (size-1 axes and empty tensors
/// are contiguous whatever their strides, as in torch).
bool is_contiguous(const Dims& sizes, const Dims& strides);

/// Strides with which `sizes` views the elements of a tensor of old_sizes/old_strides in
/// row-major order, or nullopt when none do (torch's computeStride: then reshape must copy).
std::optional<Dims> view_strides(const Dims& old_sizes, const Dims& old_strides, const Dims& sizes);

inline Dims to_dims(const Shape& s) { return Dims(s.begin(), s.end()); }
inline Shape to_shape(const Dims& d) { return Shape(d.begin(), d.end()); }

[[noreturn]] void internal_non_contiguous(const char* what);

/// A contiguous tensor's elements as an xtensor container in its own shape (no copy, no
/// container built: the storage's or the tensor's own, see Buffer), for writing (in-place
/// updates). Kernels call it on contiguous(t) (below) or on tensors they made; a strided tensor
/// is a bug in xgrad. The reference lives as long as the tensor.
template <class T>
MutArray<T>& mut_array(const Tensor& t) {
  const TensorImpl& impl = *t.impl();
  if (impl.whole) {
    auto* b = std::get_if<Buffer<T>>(&impl.storage->data);
    if (b == nullptr) throw DtypeError(std::string("internal: tensor is ") + dtype_name(impl.dtype()));
    return b->whole;
  }
  if (!impl.contiguous) internal_non_contiguous("array");
  auto* a = std::get_if<MutArray<T>>(impl.own_array.get());
  if (a == nullptr) throw DtypeError(std::string("internal: tensor is ") + dtype_name(impl.dtype()));
  return *a;
}

/// The same for reading (what every kernel does): `const auto& a = array<T>(t);`.
template <class T>
const MutArray<T>& array(const Tensor& t) {
  return mut_array<T>(t);
}

/// t itself when contiguous, else a contiguous copy of its values (not recorded: for kernels,
/// which compute values; the public Tensor::contiguous() records the copy).
Tensor contiguous(const Tensor& t);
/// A contiguous copy of t's values in a storage of its own (not recorded).
Tensor copy_values(const Tensor& t);

/// t itself (by reference, no reference count touched) when contiguous, else a contiguous copy
/// kept here: `const Dense xd(x); array<T>(xd.t)`. The kernels' fast path.
struct Dense {
  explicit Dense(const Tensor& x)
      : copy(x.impl()->contiguous ? Tensor() : contiguous(x)), t(copy.defined() ? copy : x) {}
  Tensor copy;
  const Tensor& t;
};

/// f(array) with the tensor's typed elements (contiguous(t) first), through the one dtype dispatch.
template <class F>
decltype(auto) with_array(const Tensor& t, F&& f) {
  const Tensor c = contiguous(t);
  return dispatch<Dtypes::all>(c.dtype(), "tensor", [&](auto tag) -> decltype(auto) {
    using T = decltype(tag);
    return f(array<T>(c));
  });
}

/// A new tensor owning `a` as its storage (contiguous, offset 0). One compiled copy per dtype
/// (autograd/strided.cpp), flattened: every op makes its result here, and the copy a linker would
/// otherwise keep of an inline template depends on which file it came from.
template <class T>
Tensor make_tensor(Array<T>&& a);
extern template Tensor make_tensor<float>(Array<float>&& a);
extern template Tensor make_tensor<double>(Array<double>&& a);
extern template Tensor make_tensor<int64_t>(Array<int64_t>&& a);
extern template Tensor make_tensor<bool>(Array<bool>&& a);

/// A tensor sharing x's storage (and version counter) with the given geometry: what every view
/// op returns before recording its node. The view's base is x's base, or x.
Tensor make_view(const Tensor& x, Dims sizes, Dims strides, int64_t offset);

/// Whether a view's base has a node other than the one the view's node was made from.
inline bool history_moved(const TensorImpl& view) {
  const std::shared_ptr<Node>& now = view.base->grad_fn;
  return view.view_base_node.owner_before(now) || now.owner_before(view.view_base_node);
}

/// Writes src's values (same shape and dtype) into dst's elements, whatever dst's strides; src
/// may alias dst (it is read in full first then).
void write_into(const Tensor& dst, const Tensor& src);

/// Adds src's values (same shape and dtype) into dst's elements in row-major order: where dst's
/// elements share memory (stride 0), that memory receives the sum of all of them.
void add_into(const Tensor& dst, const Tensor& src);

/// GraphError naming `op` when several elements of t share one memory location (an expanded
/// view): a write through it would be ambiguous, as torch refuses it.
void check_no_internal_overlap(const Tensor& t, const char* op);

template <class T>
Shape shape_of(const T& a) {
  return Shape(a.shape().begin(), a.shape().end());
}

template <class T>
typename Array<T>::shape_type to_xshape(const Shape& s) {
  return typename Array<T>::shape_type(s.begin(), s.end());
}

}  // namespace detail
}  // namespace xg
