// Per-thread size-class free lists for tensor storage: the slow paths (see allocator.hpp for why,
// and for the hit and the release, inlined there).
//
// Each thread keeps at most kMaxCachedBytes; beyond that, and for blocks over kMaxBlockBytes,
// blocks go straight back to free(). A block freed on another thread than the one that allocated
// it joins that other thread's cache, which is fine: every block is an aligned_alloc block and
// ends in free().
#include <autograd/detail/allocator.hpp>

#include <cstdlib>
#include <string_view>

namespace xg::detail {

namespace cache {

constinit thread_local ThreadCache t_cache{};

namespace {

void release(ThreadCache& c) {
  for (void*& head : c.heads) {
    while (head != nullptr) {
      void* next = *static_cast<void**>(head);
      std::free(head);
      head = next;
    }
  }
  c.cached_bytes = 0;
  c.cached_blocks = 0;
}

// Frees the thread's cached blocks at thread exit (for the main thread, with the static objects).
// A tensor freed after that goes straight to free().
struct CacheOwner {
  ~CacheOwner() {
    release(t_cache);
    t_cache.ready = false;
    t_cache.gone = true;
  }
};

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

// The first use on a thread: turns its cache on (when the build and the environment allow it) and
// registers the freeing at thread exit.
bool make_ready() {
  if (t_cache.gone || !cache_enabled()) return false;
  thread_local CacheOwner owner;
  (void)owner;
  t_cache.ready = true;
  return true;
}

void* allocate_block(size_t bytes) {
  void* p = std::aligned_alloc(kAlignment, bytes);
  if (p == nullptr) {
    // what is cached may be what the system lacks
    release(t_cache);
    p = std::aligned_alloc(kAlignment, bytes);
    if (p == nullptr) throw std::bad_alloc();
  }
  return p;
}

}  // namespace

void* allocate_slow(size_t bytes) {
  if (bytes > SIZE_MAX / 2) throw std::bad_alloc();  // the size classes would wrap around
  ThreadCache& c = t_cache;
  if (!c.ready && !make_ready()) {
    if (!c.gone) ++c.misses;  // still counted: tests count the blocks an op takes
    if (!cache_enabled()) return system_allocate(bytes);
    // this thread's cache is gone (thread exit) but the cache is on: a block of its class's size,
    // since it may join the list of a thread that frees it
    return allocate_block(size_class(bytes).bytes);
  }
  const SizeClass sc = size_class(bytes);
  if (sc.bytes > kMaxBlockBytes) return allocate_block(sc.bytes);
  if (c.heads[sc.index] != nullptr) return storage_allocate(bytes);  // (the cache was just made ready)
  ++c.misses;
  return allocate_block(sc.bytes);
}

void deallocate_slow(void* p, size_t bytes) noexcept {
  if (p == nullptr) return;
  // without the cache (or after this thread's is gone) the block goes back at once; a block freed
  // on another thread than the one that took it joins this thread's cache (see the top)
  if (!t_cache.ready && make_ready()) {
    storage_deallocate(p, bytes);
    return;
  }
  std::free(p);
}

}  // namespace cache

StorageStats storage_stats() {
  const cache::ThreadCache& c = cache::t_cache;
  if (c.gone) return {};
  return {.cached_blocks = c.cached_blocks,
          .cached_bytes = static_cast<int64_t>(c.cached_bytes),
          .hits = c.hits,
          .misses = c.misses};
}

bool storage_cache_enabled() { return cache::cache_enabled(); }

void storage_release_cached() { cache::release(cache::t_cache); }

}  // namespace xg::detail
