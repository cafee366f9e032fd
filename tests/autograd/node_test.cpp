// Graph nodes: names, the input/edge rules, release, and the live-node statistic.
#include <autograd/detail/allocator.hpp>
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/softmax.hpp>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>

using namespace xg;
using Catch::Contains;

// Counts heap allocations made by this test program (replaces the global operator new). Not
// inlined, so that valgrind, which redirects operator new and delete to its own, redirects
// every one of them (an inlined delete would free() valgrind's new'd blocks: "mismatched").
static std::atomic<int64_t> g_allocations{0};
[[gnu::noinline]] void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }

TEST_CASE("recording a unary or binary op's node costs exactly one block and no operator new") {
  Tensor x = tensor({0.5, 1.5}, {.requires_grad = true});
  Tensor w = tensor({2.0, 3.0}, {.requires_grad = true});
  // (operator new calls, blocks taken from the storage allocator) of one op
  auto allocations = [](auto&& op) {
    const int64_t before = g_allocations.load();
    const detail::StorageStats stats = detail::storage_stats();
    Tensor out = op();
    const detail::StorageStats after = detail::storage_stats();
    return std::pair<int64_t, int64_t>{g_allocations.load() - before,
                                       (after.hits + after.misses) - (stats.hits + stats.misses)};
  };
  (void)tanh(x);  // the first node a thread makes registers the thread's live-node count (once)
  const auto tanh_recorded = allocations([&] { return tanh(x); });
  const auto mul_recorded = allocations([&] { return x * w; });
  NoGradGuard no_grad;
  const auto tanh_plain = allocations([&] { return tanh(x); });
  const auto mul_plain = allocations([&] { return x * w; });
  // the node and its control block are one block of the per-thread cache (detail/allocator.hpp)
  CHECK(tanh_recorded.second - tanh_plain.second == 1);
  CHECK(mul_recorded.second - mul_plain.second == 1);
  CHECK(tanh_recorded.first == tanh_plain.first);
  CHECK(mul_recorded.first == mul_plain.first);
  CHECK(tanh_plain.first == 0);  // the result tensor and its data come from the cache too
}

TEST_CASE("a node's type name is its op name in PascalCase + Backward") {
  Tensor x = tensor({1.0, 2.0}, {.requires_grad = true});
  CHECK(tanh(x).grad_fn()->type_name() == "TanhBackward");
  CHECK(log_softmax(x, 0).grad_fn()->type_name() == "LogSoftmaxBackward");
  CHECK(leaky_relu(x).grad_fn()->name() == std::string("leaky_relu"));
  CHECK(tanh(x).grad_fn()->derivative() == "d tanh(x)/dx = 1 - tanh(x)^2");
}

TEST_CASE("a node holds its inputs and knows which need gradients") {
  Tensor a = tensor({1.0}, {.requires_grad = true});
  Tensor b = tensor({2.0});
  Tensor y = a * b;
  const auto& node = *y.grad_fn();
  REQUIRE(node.num_inputs() == 2);
  CHECK(node.input(0).is_same(a));
  CHECK(node.input(1).is_same(b));
  CHECK(node.needs_input_grad(0));
  CHECK_FALSE(node.needs_input_grad(1));
}

TEST_CASE("only ops on inputs that require grad record a node") {
  Tensor a = tensor({1.0});
  CHECK((a * 2.0).grad_fn() == nullptr);
  CHECK((a * tensor({1.0}, {.requires_grad = true})).grad_fn() != nullptr);
}

TEST_CASE("a released node refuses to run again and says why") {
  Tensor x = tensor({0.5}, {.requires_grad = true});
  Tensor y = tanh(x);
  y.sum().backward();
  REQUIRE(y.grad_fn()->released());
  CHECK_THROWS_AS(y.grad_fn()->input(0), GraphError);
  CHECK_THROWS_WITH(y.grad_fn()->input(0), Contains("TanhBackward") && Contains("freed"));
}

TEST_CASE("sequence numbers grow in creation order") {
  Tensor x = tensor({1.0}, {.requires_grad = true});
  Tensor a = x * 2.0;
  Tensor b = a * 3.0;
  CHECK(b.grad_fn()->sequence_nr() > a.grad_fn()->sequence_nr());
}

TEST_CASE("nodes are freed with the last tensor that references them") {
  const int64_t before = Node::live_count();
  {
    Tensor x = tensor({1.0}, {.requires_grad = true});
    Tensor y = tanh(x) * 2.0;
    CHECK(Node::live_count() == before + 2);
  }
  CHECK(Node::live_count() == before);
}

TEST_CASE("a node never owns its output: dropping the output frees the node") {
  const int64_t before = Node::live_count();
  Tensor x = tensor({1.0}, {.requires_grad = true});
  {
    Tensor y = tanh(x);
    y.retain_grad();  // the node then holds the output weakly
    y.register_hook([](const Tensor& g) { return g; });
  }
  CHECK(Node::live_count() == before);
}

TEST_CASE("a tensor-op-scalar node keeps the scalar as an argument, not as a second input") {
  Tensor x = tensor({1.0, 2.0}, {.requires_grad = true});
  for (const auto& [y, op] : {std::pair{x * 2.5, "mul"}, {x + 2.5, "add"}, {x - 2.5, "sub"}, {x / 2.5, "div"}}) {
    REQUIRE(y.grad_fn() != nullptr);
    CHECK(y.grad_fn()->name() == std::string(op));
    CHECK(y.grad_fn()->num_inputs() == 1);
    CHECK(y.grad_fn()->extra_args() == "2.5");
  }
  // the scalar on the left keeps the two-input form (sub(2, x) is not sub(x, 2))
  CHECK((2.5 - x).grad_fn()->num_inputs() == 2);
}
