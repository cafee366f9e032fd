// The allocator of tensor storage, tensors and graph nodes: 64-byte aligned blocks, recycled
// through per-thread free lists by size class instead of going back to malloc.
//
// Why: a tensor op allocates its result, and the xsimd aligned allocator xtensor uses by
// default goes through posix_memalign, glibc's slow path (40-60 ns, no tcache); a scalar op
// forward + backward makes ~9 such allocations. Large buffers returned to the system cost a
// page fault per 4 KiB (~10 us each here) when the next step allocates them again. A free list
// per size class answers both: a hit is a few pointer moves, and a training step's buffers are
// the previous step's. (PyTorch's CPU allocator calls malloc; its CUDA one caches like this.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

namespace xg::detail {

/// Takes a block of at least `bytes`, 64-byte aligned (throws std::bad_alloc).
void* storage_allocate(size_t bytes);
/// Gives back a block from storage_allocate with the same `bytes`.
void storage_deallocate(void* p, size_t bytes) noexcept;

/// What the calling thread's cache holds, and how often it answered (tests and benchmarks).
struct StorageStats {
  int64_t cached_blocks = 0;
  int64_t cached_bytes = 0;
  int64_t hits = 0;
  int64_t misses = 0;
};
StorageStats storage_stats();
/// Frees every block the calling thread's cache holds.
void storage_release_cached();
/// False in builds made with -DXGRAD_STORAGE_CACHE=OFF, as the ASan build is, and under
/// XGRAD_STORAGE_CACHE=0 in the environment (for valgrind): then every block goes to the system
/// allocator and back, so that a tool watching malloc/free sees each use after free.
bool storage_cache_enabled();

template <class T>
struct StorageAllocator {
  using value_type = T;
  StorageAllocator() noexcept = default;
  template <class U>
  StorageAllocator(const StorageAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    if (n > SIZE_MAX / sizeof(T) / 2) throw std::bad_array_new_length();
    return static_cast<T*>(storage_allocate(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept { storage_deallocate(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const StorageAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace xg::detail
