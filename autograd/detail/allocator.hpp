// The allocator of tensor storage, tensors and graph nodes: 64-byte aligned blocks, recycled
// through per-thread free lists by size class instead of going back to malloc.
//
// Why: a tensor op allocates its result, and the xsimd aligned allocator xtensor uses by
// default goes through posix_memalign, glibc's slow path (40-60 ns, no tcache); a scalar op
// forward + backward makes ~6 such allocations. Large buffers returned to the system cost a
// page fault per 4 KiB (~10 us each here) when the next step allocates them again. A free list
// per size class answers both: a hit is a few pointer moves, and a training step's buffers are
// the previous step's. (PyTorch's CPU allocator calls malloc; its CUDA one caches like this.)
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <new>

namespace xg::detail {

// The per-thread cache, here so that a hit or a release is inlined into the allocating code (a
// small op allocates and frees about six blocks: a call each costs more than the hit itself).
namespace cache {

inline constexpr size_t kAlignment = 64;
inline constexpr size_t kMaxBlockBytes = size_t{256} << 20;   // larger blocks are not cached
inline constexpr size_t kMaxCachedBytes = size_t{512} << 20;  // per thread
inline constexpr size_t kClasses = 4 * 64;

/// The class of a request (bytes <= kMaxBlockBytes) and the block size it rounds up to: four
/// classes per power of two (1, 1.25, 1.5, 1.75 x 2^k), rounded up to 64 bytes, so that a block
/// over 256 bytes wastes at most 25% (smaller ones at most 63 bytes).
struct SizeClass {
  size_t index;
  size_t bytes;
};
inline SizeClass size_class(size_t bytes) {
  if (bytes <= kAlignment) return {0, kAlignment};
  const size_t exponent = std::bit_width(bytes - 1) - 1;  // 2^exponent < bytes <= 2^(exponent + 1)
  const size_t base = size_t{1} << exponent;
  const size_t quarter = base / 4;
  // 1..4 quarters above base (a shift: exponent >= 6 here, and a division costs more than the rest)
  const size_t step = (bytes - base + quarter - 1) >> (exponent - 2);
  const size_t rounded = base + step * quarter;
  return {exponent * 4 + step - 1, (rounded + kAlignment - 1) / kAlignment * kAlignment};
}

/// A thread's cache: a free list per size class, linked through the blocks themselves (the first
/// bytes of a free block hold the next one). Constant-initialised and trivially destructible, so
/// that reaching it costs no TLS wrapper call nor guard check; the blocks it holds are freed at
/// thread exit (allocator.cpp).
struct ThreadCache {
  void* heads[kClasses];
  size_t cached_bytes;
  int64_t cached_blocks;
  int64_t hits, misses;
  bool ready;  // the cache is on and this thread's freeing at exit is registered
  bool gone;   // this thread's cache has been freed (thread exit): blocks go straight to free()
};
extern constinit thread_local ThreadCache t_cache;

// Everything but a hit and a release: the first use on a thread, a miss, the cache off.
void* allocate_slow(size_t bytes);
void deallocate_slow(void* p, size_t bytes) noexcept;

}  // namespace cache

/// Takes a block of at least `bytes`, 64-byte aligned (throws std::bad_alloc).
inline void* storage_allocate(size_t bytes) {
  cache::ThreadCache& c = cache::t_cache;
  if (c.ready && bytes <= cache::kMaxBlockBytes) {
    const cache::SizeClass sc = cache::size_class(bytes);
    void* p = c.heads[sc.index];
    if (p != nullptr) {
      c.heads[sc.index] = *static_cast<void**>(p);
      c.cached_bytes -= sc.bytes;
      --c.cached_blocks;
      ++c.hits;
      return p;
    }
  }
  return cache::allocate_slow(bytes);
}

/// Gives back a block from storage_allocate with the same `bytes`.
inline void storage_deallocate(void* p, size_t bytes) noexcept {
  cache::ThreadCache& c = cache::t_cache;
  if (c.ready && p != nullptr && bytes <= cache::kMaxBlockBytes) {
    const cache::SizeClass sc = cache::size_class(bytes);
    if (c.cached_bytes + sc.bytes <= cache::kMaxCachedBytes) {
      *static_cast<void**>(p) = c.heads[sc.index];
      c.heads[sc.index] = p;
      c.cached_bytes += sc.bytes;
      ++c.cached_blocks;
      return;
    }
  }
  cache::deallocate_slow(p, bytes);
}

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
