// Strided storage: tensor geometry (sizes, strides, offset), views that share a storage, and the
// loops that read a strided tensor into a contiguous buffer and write one back.
#include <autograd/detail/kernels.hpp>
#include <autograd/detail/tensor_impl.hpp>
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace xg {

void TensorImpl::set_geometry(Dims new_sizes, Dims new_strides, int64_t new_offset) {
  sizes = std::move(new_sizes);
  strides = std::move(new_strides);
  offset = new_offset;
  contiguous = detail::is_contiguous(sizes, strides);
  own_array.reset();
  whole = std::visit(
      [&](auto& b) {
        const auto& shape = b.whole.shape();
        return contiguous && offset == 0 && shape.size() == sizes.size() &&
               std::equal(sizes.begin(), sizes.end(), shape.begin(),
                          [](int64_t a, size_t s) { return static_cast<size_t>(a) == s; });
      },
      storage->data);
  if (whole || !contiguous) return;
  std::visit(
      [&](auto& b) {
        using T = typename std::decay_t<decltype(b.values)>::value_type;
        typename MutArray<T>::shape_type shape(sizes.begin(), sizes.end());
        own_array = std::allocate_shared<OwnArray>(
            detail::StorageAllocator<OwnArray>(), std::in_place_type<MutArray<T>>,
            xt::xbuffer_adaptor<T*, xt::no_ownership>(first<T>(), static_cast<size_t>(numel())), shape);
      },
      storage->data);
}

namespace detail {

Dims contiguous_strides(const Dims& sizes) {
  Dims strides(sizes.size());
  int64_t stride = 1;
  for (size_t k = sizes.size(); k-- > 0;) {
    strides[k] = stride;
    stride *= std::max<int64_t>(sizes[k], 1);
  }
  return strides;
}

bool is_contiguous(const Dims& sizes, const Dims& strides) {
  int64_t expected = 1;
  for (size_t k = sizes.size(); k-- > 0;) {
    if (sizes[k] == 0) return true;
    if (sizes[k] == 1) continue;
    if (strides[k] != expected) return false;
    expected *= sizes[k];
  }
  return true;
}

std::optional<Dims> view_strides(const Dims& old_sizes, const Dims& old_strides, const Dims& sizes) {
  int64_t numel = 1;
  for (int64_t s : old_sizes) numel *= s;
  if (old_sizes.empty() || numel == 0) {
    // a 0-d tensor views as any all-ones shape; an empty one's strides are arbitrary (torch
    // keeps them for an unchanged shape and uses row-major ones otherwise)
    if (old_sizes == sizes) return old_strides;
    return contiguous_strides(sizes);
  }
  Dims strides(sizes.size());
  auto view_d = static_cast<int64_t>(sizes.size()) - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (auto tensor_d = static_cast<int64_t>(old_sizes.size()) - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= old_sizes[tensor_d];
    // the end of a run of axes that are contiguous with each other: the view's axes must cover it
    if (tensor_d == 0 ||
        (old_sizes[tensor_d - 1] != 1 && old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || sizes[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= sizes[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (tensor_d > 0) {
        chunk_base_stride = old_strides[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}

void internal_non_contiguous(const char* what) {
  throw Error(fmt::format("internal: {} was given a strided tensor; the kernel should read contiguous(t)", what));
}

namespace {

// f(position) for the storage position of the first element of each innermost row, in row-major
// order; the rows have sizes.back() elements spaced strides.back() apart (a 0-d tensor is one
// row of one element).
template <class F>
void for_each_row(const Dims& sizes, const Dims& strides, int64_t offset, F&& f) {
  const size_t d = sizes.size();
  for (int64_t s : sizes) {
    if (s == 0) return;
  }
  if (d <= 1) {
    f(offset);
    return;
  }
  Dims index(d - 1, 0);
  int64_t position = offset;
  for (;;) {
    f(position);
    size_t k = d - 1;
    while (k-- > 0) {
      if (++index[k] < sizes[k]) {
        position += strides[k];
        break;
      }
      position -= (sizes[k] - 1) * strides[k];
      index[k] = 0;
    }
    if (k == static_cast<size_t>(-1)) return;
  }
}

template <class T>
void gather(const TensorImpl& src, T* out) {
  const T* base = std::get<Buffer<T>>(src.storage->data).values.data();
  const int64_t n = src.sizes.empty() ? 1 : src.sizes.back();
  const int64_t step = src.sizes.empty() ? 1 : src.strides.back();
  for_each_row(src.sizes, src.strides, src.offset, [&](int64_t position) {
    const T* p = base + position;
    if (step == 1) {
      std::copy(p, p + n, out);
    } else {
      for (int64_t i = 0; i < n; ++i) out[i] = p[i * step];
    }
    out += n;
  });
}

template <class T, bool Add = false>
void scatter(const T* in, const TensorImpl& dst) {
  T* base = std::get<Buffer<T>>(dst.storage->data).values.data();
  const int64_t n = dst.sizes.empty() ? 1 : dst.sizes.back();
  const int64_t step = dst.sizes.empty() ? 1 : dst.strides.back();
  for_each_row(dst.sizes, dst.strides, dst.offset, [&](int64_t position) {
    T* p = base + position;
    if constexpr (Add) {
      for (int64_t i = 0; i < n; ++i) p[i * step] += in[i];
    } else if (step == 1) {
      std::copy(in, in + n, p);
    } else {
      for (int64_t i = 0; i < n; ++i) p[i * step] = in[i];
    }
    in += n;
  });
}

}  // namespace

Tensor contiguous(const Tensor& t) {
  const TensorImpl& impl = *t.impl();
  if (impl.contiguous) return t;
  return dispatch<Dtypes::all>(impl.dtype(), "contiguous", [&](auto tag) {
    using T = decltype(tag);
    Array<T> out = Array<T>::from_shape(typename Array<T>::shape_type(impl.sizes.begin(), impl.sizes.end()));
    gather<T>(impl, out.data());
    return make_tensor<T>(std::move(out));
  });
}

Tensor copy_values(const Tensor& t) {
  const Tensor c = contiguous(t);
  if (!c.is_same(t)) return c;  // already a fresh copy
  return dispatch<Dtypes::all>(t.dtype(), "copy", [&](auto tag) {
    using T = decltype(tag);
    return make_tensor<T>(Array<T>(array<T>(t)));
  });
}

template <class T>
Tensor make_tensor(Array<T>&& a) {
  auto impl = std::allocate_shared<TensorImpl>(StorageAllocator<TensorImpl>());
  impl->storage = std::allocate_shared<StorageImpl>(StorageAllocator<StorageImpl>(), std::move(a));
  const auto& shape = std::get<Buffer<T>>(impl->storage->data).whole.shape();
  const size_t d = shape.size();
  // push_back, not assign or resize: GCC keeps those out of line here (a call each, and resize a
  // memset), where a push_back within the inline capacity is two stores
  for (size_t k = 0; k < d; ++k) {
    impl->sizes.push_back(static_cast<int64_t>(shape[k]));
    impl->strides.push_back(1);
  }
  int64_t stride = 1;
  for (size_t k = d; k-- > 0;) {
    impl->strides[k] = stride;
    stride *= std::max<int64_t>(impl->sizes[k], 1);
  }
  impl->dtype_ = dtype_of<T>();
  return Tensor(std::move(impl));
}
template Tensor make_tensor<float>(Array<float>&& a);
template Tensor make_tensor<double>(Array<double>&& a);
template Tensor make_tensor<int64_t>(Array<int64_t>&& a);
template Tensor make_tensor<bool>(Array<bool>&& a);

Tensor make_view(const Tensor& x, Dims sizes, Dims strides, int64_t offset) {
  const TensorImpl& src = *x.impl();
  auto impl = std::allocate_shared<TensorImpl>(StorageAllocator<TensorImpl>());
  impl->storage = src.storage;
  impl->dtype_ = src.dtype_;
  impl->set_geometry(std::move(sizes), std::move(strides), offset);
  impl->base = src.base ? src.base : x.impl();
  impl->tracks_base = is_grad_enabled();
  impl->view_base_node = impl->base->grad_fn;
  return Tensor(std::move(impl));
}

namespace {
// src's values, contiguous, read in full first when they share dst's storage (x.copy_(x.t()),
// x[0] = x[1], ...), scattered into dst's elements: assigned, or added (Add).
template <bool Add>
void scatter_into(const Tensor& dst, const Tensor& src) {
  const TensorImpl& d = *dst.impl();
  Tensor values = contiguous(src);
  if (values.impl()->storage == d.storage) values = copy_values(values);
  dispatch<Add ? Dtypes::numeric : Dtypes::all>(d.dtype(), Add ? "add" : "write", [&](auto tag) {
    using T = decltype(tag);
    const T* in = values.impl()->template first<T>();
    if (!Add && d.contiguous) {
      std::copy(in, in + d.numel(), d.template first<T>());
    } else {
      scatter<T, Add>(in, d);
    }
    return 0;
  });
}
}  // namespace

void write_into(const Tensor& dst, const Tensor& src) { scatter_into<false>(dst, src); }
void add_into(const Tensor& dst, const Tensor& src) { scatter_into<true>(dst, src); }

void check_no_internal_overlap(const Tensor& t, const char* op) {
  const TensorImpl& impl = *t.impl();
  for (size_t k = 0; k < impl.sizes.size(); ++k) {
    if (impl.sizes[k] > 1 && impl.strides[k] == 0) {
      throw GraphError(fmt::format(
          "{}: more than one element of the written-to tensor (shape {}, strides {}) refers to a single memory "
          "location (an expanded view); clone() it before writing",
          op, format_shape(to_shape(impl.sizes)), format_shape(to_shape(impl.strides))));
    }
  }
}

}  // namespace detail
}  // namespace xg
