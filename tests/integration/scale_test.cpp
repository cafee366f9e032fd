// Deep and wide graphs, and long training: a node with 100,000 inputs, a tensor read 100,000
// times, and 1,000 training steps, each checked with the live-node counter (Node::live_count)
// to leave no node behind, and with the process's resident memory to stay flat. (The
// 1,000,000-node chain is in tests/autograd/engine_test.cpp.)
#include "support/sanitizers.hpp"

#include <autograd/autograd.hpp>
#include <autograd/detail/allocator.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdint>
#include <fstream>
#include <vector>

using namespace xg;

namespace {

// Resident memory of this process in bytes (/proc/self/statm, second field, in pages).
int64_t resident_bytes() {
  int64_t pages_total = 0, pages_resident = 0;
  std::ifstream("/proc/self/statm") >> pages_total >> pages_resident;
  return pages_resident * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST_CASE("a 100,000-wide fan-in: one node with 100,000 inputs, each an op on one shared leaf") {
  const int64_t before = Node::live_count();
  const int64_t n = 100'000;
  {
    Tensor x = from_vector({1.5}, {1}, {.dtype = float64, .requires_grad = true});
    std::vector<Tensor> parts;
    parts.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) parts.push_back(x * static_cast<double>(i));
    Tensor wide = concat(parts);  // one ConcatBackward with 100,000 inputs
    parts.clear();
    CHECK(wide.shape() == Shape{n});
    CHECK(Node::live_count() - before == n + 1);  // the 100,000 muls (kept by the concat) and the concat
    Tensor loss = wide.sum();
    loss.backward();
    // d loss / dx = sum of i: 100,000 contributions accumulated into one gradient
    CHECK(x.grad().to_vector() == std::vector<double>{static_cast<double>(n * (n - 1) / 2)});
  }
  CHECK(Node::live_count() == before);
}

TEST_CASE("100,000 leaves into one node: every leaf gets its own gradient, and the graph is freed") {
  const int64_t before = Node::live_count();
  {
    std::vector<Tensor> leaves;
    for (int i = 0; i < 100'000; ++i) {
      leaves.push_back(from_vector({static_cast<double>(i % 7)}, {1}, {.dtype = float64, .requires_grad = true}));
    }
    Tensor loss = (concat(leaves) * concat(leaves)).sum();  // d/dleaf_i = 2 leaf_i
    CHECK(Node::live_count() - before == 4);
    loss.backward();
    for (size_t i : {size_t{0}, size_t{1}, size_t{6}, size_t{99'999}}) {
      CHECK(leaves[i].grad().item() == 2.0 * static_cast<double>(i % 7));
    }
  }
  CHECK(Node::live_count() == before);
}

TEST_CASE("1,000 training steps leave no node behind and keep memory flat") {
  manual_seed(3);
  nn::Sequential model(nn::Linear(64, 32), nn::ReLU(), nn::Linear(32, 10));
  optim::SGD sgd(model.parameters(), {.lr = 0.01, .momentum = 0.9});
  const Tensor x = randn({32, 64});
  const Tensor y = randint(0, 10, {32});
  const int64_t nodes = Node::live_count();
  int64_t resident_at_100 = 0, cached_at_100 = 0;
  double first_loss = 0, last_loss = 0;
  for (int step = 1; step <= 1000; ++step) {
    sgd.zero_grad();
    Tensor loss = nn::cross_entropy(model.forward(x), y);
    loss.backward();
    sgd.step();
    if (step == 1) first_loss = loss.item();
    last_loss = loss.item();
    loss = Tensor();
    if (Node::live_count() != nodes) {
      FAIL_CHECK("step " << step << " left " << Node::live_count() - nodes << " nodes alive");
      break;
    }
    if (step == 100) {
      resident_at_100 = resident_bytes();
      cached_at_100 = detail::storage_stats().cached_bytes;
    }
  }
  CHECK(last_loss < first_loss);  // it trained
  CHECK(detail::storage_stats().cached_bytes == cached_at_100);
  const int64_t growth = resident_bytes() - resident_at_100;
  INFO("resident memory growth from step 100 to 1,000: " << growth << " bytes");
  if (XGRAD_TEST_SANITIZED) {
    WARN("resident memory not compared under a sanitizer (its quarantine holds freed blocks)");
  } else {
    CHECK(growth < (int64_t{1} << 20));
  }
}
