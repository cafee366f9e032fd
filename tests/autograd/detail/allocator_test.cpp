// The storage allocator: aligned blocks, recycled by size class per thread, bounded.
#include <autograd/detail/allocator.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/tensor.hpp>

#include <malloc.h>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <thread>
#include <vector>

using namespace xg;
using namespace xg::detail;

TEST_CASE("storage blocks are 64-byte aligned, for every size") {
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{1000}, size_t{1} << 20}) {
    void* p = storage_allocate(bytes);
    CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
    storage_deallocate(p, bytes);
  }
}

// The cases below return early when the cache is off; this one makes sure that happens only when
// the build (-DXGRAD_STORAGE_CACHE, off under ASan) or the environment (valgrind) asks for it.
TEST_CASE("the storage cache is on exactly when the build and the environment say so") {
  const char* env = std::getenv("XGRAD_STORAGE_CACHE");
  const bool off_by_environment = env != nullptr && std::string_view(env) == "0";
  CHECK(storage_cache_enabled() == (XGRAD_STORAGE_CACHE_BUILT && !off_by_environment));
}

TEST_CASE("a freed block is handed out again for a request of its size class") {
  if (!storage_cache_enabled()) {
    WARN("storage cache off in this build (ASan, or XGRAD_STORAGE_CACHE=0): nothing to check");
    return;
  }
  storage_release_cached();
  void* a = storage_allocate(1000);
  storage_deallocate(a, 1000);
  const StorageStats cached = storage_stats();
  CHECK(cached.cached_blocks == 1);
  CHECK(cached.cached_bytes >= 1000);
  CHECK(cached.cached_bytes <= 1280);  // at most 25% over the request
  const int64_t hits = cached.hits;
  void* b = storage_allocate(990);  // same class (1024 bytes)
  CHECK(b == a);
  CHECK(storage_stats().hits == hits + 1);
  CHECK(storage_stats().cached_blocks == 0);
  void* c = storage_allocate(5000);  // another class: a new block
  CHECK(c != a);
  storage_deallocate(b, 990);
  storage_deallocate(c, 5000);
  storage_release_cached();
  CHECK(storage_stats().cached_blocks == 0);
  CHECK(storage_stats().cached_bytes == 0);
}

TEST_CASE("size classes waste at most a quarter, checked over a range of sizes") {
  if (!storage_cache_enabled()) {
    WARN("storage cache off in this build (ASan, or XGRAD_STORAGE_CACHE=0): nothing to check");
    return;
  }
  storage_release_cached();
  for (size_t bytes = 65; bytes < (size_t{1} << 22); bytes = bytes * 9 / 8 + 1) {
    void* p = storage_allocate(bytes);
    storage_deallocate(p, bytes);
    const int64_t held = storage_stats().cached_bytes;
    CHECK(static_cast<double>(held) <= 1.25 * static_cast<double>(bytes) + 64);
    CHECK(held >= static_cast<int64_t>(bytes));
    storage_release_cached();
  }
}

TEST_CASE("a training-like loop reuses its buffers instead of allocating new ones") {
  if (!storage_cache_enabled()) {
    WARN("storage cache off in this build (ASan, or XGRAD_STORAGE_CACHE=0): nothing to check");
    return;
  }
  Tensor w = xg::ones({64, 64}, {.requires_grad = true});
  for (int step = 0; step < 3; ++step) (xg::sum(w * w + 1.0)).backward();  // warm the cache
  const StorageStats before = storage_stats();
  for (int step = 0; step < 10; ++step) (xg::sum(w * w + 1.0)).backward();
  const StorageStats after = storage_stats();
  CHECK(after.misses == before.misses);  // every block came from the cache
  CHECK(after.hits > before.hits);
}

TEST_CASE("each thread has its own cache, and blocks may be freed on another thread") {
  if (!storage_cache_enabled()) {
    WARN("storage cache off in this build (ASan, or XGRAD_STORAGE_CACHE=0): nothing to check");
    return;
  }
  storage_release_cached();
  void* p = nullptr;
  std::thread t([&] {
    p = storage_allocate(4096);
    CHECK(storage_stats().misses >= 1);
  });
  t.join();
  storage_deallocate(p, 4096);  // joins this thread's cache
  CHECK(storage_stats().cached_blocks == 1);
  storage_release_cached();
  // a thread's cache is freed when the thread ends (valgrind/LSan would report otherwise)
  std::thread u([] {
    for (int i = 0; i < 100; ++i) storage_deallocate(storage_allocate(256), 256);
    CHECK(storage_stats().cached_blocks == 1);
  });
  u.join();
}

TEST_CASE("without the cache every block goes back to the system at once") {
  if (storage_cache_enabled()) return;  // the cached behaviour is checked above
  void* p = storage_allocate(1000);
  storage_deallocate(p, 1000);
  CHECK(storage_stats().cached_blocks == 0);
  CHECK(storage_stats().hits == 0);
}

TEST_CASE("blocks over 256 MiB are not cached") {
  storage_release_cached();
  const size_t big = (size_t{256} << 20) + 1;
  void* p = storage_allocate(big);
  REQUIRE(p != nullptr);
  storage_deallocate(p, big);
  CHECK(storage_stats().cached_blocks == 0);
}

namespace {
// Allocates in its destructor. thread_locals are destroyed in the reverse order of their
// construction: made before the thread's first allocation makes the cache's owner, it allocates
// after the thread's cache is gone.
void* g_late_block = nullptr;
struct LateAllocation {
  ~LateAllocation() { g_late_block = storage_allocate(100); }
};
}  // namespace

TEST_CASE("a block taken after its thread's cache is gone may join another thread's cache") {
  if (!storage_cache_enabled()) {
    WARN("storage cache off in this build (ASan, or XGRAD_STORAGE_CACHE=0): nothing to check");
    return;
  }
  storage_release_cached();
  std::thread t([] {
    thread_local LateAllocation late;
    (void)late;
    storage_deallocate(storage_allocate(64), 64);  // the cache and its owner exist from here
  });
  t.join();
  REQUIRE(g_late_block != nullptr);
  storage_deallocate(g_late_block, 100);  // joins this thread's list of 128-byte blocks
  void* again = storage_allocate(112);    // the same class: that block, which must hold 128 bytes
  CHECK(again == g_late_block);
  CHECK(malloc_usable_size(again) >= 128);
  storage_deallocate(again, 112);
  storage_release_cached();
}
