// Per-thread size-class free lists for tensor storage (see allocator.hpp for why).
//
// Size classes: four per power of two (1, 1.25, 1.5, 1.75 x 2^k), rounded up to 64 bytes, so a
// block over 256 bytes wastes at most 25% (smaller ones at most 63 bytes). Each thread keeps at most kMaxCachedBytes;
// beyond that, and for blocks over kMaxBlockBytes, blocks go straight back to free(). A block freed on another thread
// than the one that allocated it joins that other thread's cache, which is fine: every block is an aligned_alloc block
// and ends in free().
#include <autograd/detail/allocator.hpp>

#include <array>
#include <bit>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace xg::detail {

namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kMaxBlockBytes = size_t{256} << 20;   // larger blocks are not cached
constexpr size_t kMaxCachedBytes = size_t{512} << 20;  // per thread
constexpr size_t kClasses = 4 * 64;

// The class of a request and the block size it rounds up to.
struct SizeClass {
  size_t index;
  size_t bytes;
};

SizeClass size_class(size_t bytes) {
  if (bytes <= kAlignment) return {0, kAlignment};
  const size_t exponent = std::bit_width(bytes - 1) - 1;  // 2^exponent < bytes <= 2^(exponent + 1)
  const size_t base = size_t{1} << exponent;
  const size_t quarter = base / 4;
  // 1..4 quarters above base (a shift: exponent >= 6 here, and a division costs more than the rest)
  const size_t step = (bytes - base + quarter - 1) >> (exponent - 2);
  const size_t rounded = base + step * quarter;
  return {exponent * 4 + step - 1, (rounded + kAlignment - 1) / kAlignment * kAlignment};
}

struct Cache {
  std::array<std::vector<void*>, kClasses> free_lists;
  size_t cached_bytes = 0;
  int64_t hits = 0, misses = 0;

  void release() {
    for (size_t c = 0; c < kClasses; ++c) {
      for (void* p : free_lists[c]) std::free(p);
      free_lists[c].clear();
    }
    cached_bytes = 0;
  }
  ~Cache() { release(); }
};

// Set when the thread's cache has been destroyed (thread exit; for the main thread before static
// objects are): a tensor freed after that goes straight to free(). A bool has no destructor, so
// it outlives the cache.
thread_local bool t_cache_gone = false;

struct OwnedCache : Cache {
  ~OwnedCache() { t_cache_gone = true; }
};

Cache& cache() {
  thread_local OwnedCache c;
  return c;
}

#ifndef XGRAD_STORAGE_CACHE
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define XGRAD_STORAGE_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define XGRAD_STORAGE_CACHE 0
#endif
#endif
#endif
#ifndef XGRAD_STORAGE_CACHE
#define XGRAD_STORAGE_CACHE 1
#endif

bool cache_enabled_at_start() {
  if (!XGRAD_STORAGE_CACHE) return false;
  const char* env = std::getenv("XGRAD_STORAGE_CACHE");
  return env == nullptr || std::string_view(env) != "0";
}
// Decided once, on the first allocation, and never changed: a block is then always freed the way
// it was taken (an uncached block is of its exact size and must not join a size class's list).
bool cache_enabled() {
  static const bool enabled = cache_enabled_at_start();
  return enabled;
}

// Without the cache: the exact size, so that a sanitizer's redzone starts at the last byte asked for.
void* system_allocate(size_t bytes) {
  void* p = nullptr;
  if (posix_memalign(&p, kAlignment, bytes == 0 ? 1 : bytes) != 0) throw std::bad_alloc();
  return p;
}

}  // namespace

void* storage_allocate(size_t bytes) {
  if (bytes > SIZE_MAX / 2) throw std::bad_alloc();  // the size classes below would wrap around
  if (!cache_enabled()) {
    if (!t_cache_gone) ++cache().misses;  // still counted: tests count the blocks an op takes
    return system_allocate(bytes);
  }
  const SizeClass sc = size_class(bytes);
  if (sc.bytes <= kMaxBlockBytes && !t_cache_gone) {
    Cache& c = cache();
    std::vector<void*>& list = c.free_lists[sc.index];
    if (!list.empty()) {
      void* p = list.back();
      list.pop_back();
      c.cached_bytes -= sc.bytes;
      ++c.hits;
      return p;
    }
    ++c.misses;
  }
  void* p = std::aligned_alloc(kAlignment, sc.bytes);
  if (p == nullptr) {
    // what is cached may be what the system lacks
    if (!t_cache_gone) cache().release();
    p = std::aligned_alloc(kAlignment, sc.bytes);
    if (p == nullptr) throw std::bad_alloc();
  }
  return p;
}

void storage_deallocate(void* p, size_t bytes) noexcept {
  if (p == nullptr) return;
  if (!cache_enabled()) {
    std::free(p);
    return;
  }
  const SizeClass sc = size_class(bytes);
  if (sc.bytes <= kMaxBlockBytes && !t_cache_gone) {
    Cache& c = cache();
    if (c.cached_bytes + sc.bytes <= kMaxCachedBytes) {
      try {
        c.free_lists[sc.index].push_back(p);
        c.cached_bytes += sc.bytes;
        return;
      } catch (...) {
        // no room to remember the block: free it below
      }
    }
  }
  std::free(p);
}

StorageStats storage_stats() {
  if (t_cache_gone) return {};
  const Cache& c = cache();
  StorageStats s;
  for (const auto& list : c.free_lists) s.cached_blocks += static_cast<int64_t>(list.size());
  s.cached_bytes = static_cast<int64_t>(c.cached_bytes);
  s.hits = c.hits;
  s.misses = c.misses;
  return s;
}

bool storage_cache_enabled() { return cache_enabled(); }

void storage_release_cached() {
  if (!t_cache_gone) cache().release();
}

}  // namespace xg::detail
