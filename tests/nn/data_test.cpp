// TensorDataset and DataLoader: batches, shuffling, drop_last.
#include <autograd/error.hpp>
#include <nn/data.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>

using namespace xg;

namespace {
nn::TensorDataset ten_samples() {
  std::vector<double> x(20);
  for (int i = 0; i < 20; ++i) x[i] = i;
  std::vector<int64_t> y(10);
  for (int i = 0; i < 10; ++i) y[i] = i % 3;
  return nn::TensorDataset(from_vector(x, {10, 2}), from_vector(y, {10}));
}
}  // namespace

TEST_CASE("DataLoader yields (inputs, targets) batches in order") {
  nn::DataLoader loader(ten_samples(), {.batch_size = 4});
  CHECK(loader.num_batches() == 3);
  std::vector<Shape> shapes;
  std::vector<double> firsts;
  for (auto [x, y] : loader) {
    shapes.push_back(x.shape());
    firsts.push_back(x.to_vector()[0]);
    CHECK(y.dtype() == int64);
    CHECK(y.size(0) == x.size(0));
  }
  CHECK(shapes == std::vector<Shape>{{4, 2}, {4, 2}, {2, 2}});
  CHECK(firsts == std::vector<double>{0, 8, 16});
}

TEST_CASE("drop_last drops the short batch") {
  nn::DataLoader loader(ten_samples(), {.batch_size = 4, .drop_last = true});
  int batches = 0;
  for (auto batch : loader) {
    CHECK(batch.inputs.size(0) == 4);
    ++batches;
  }
  CHECK(batches == 2);
}

TEST_CASE("shuffling visits every sample once, differently each epoch, the same for the same seed") {
  auto epoch_order = [](nn::DataLoader& loader) {
    std::vector<double> order;
    for (auto [x, y] : loader) {
      const auto v = x.to_vector();
      for (size_t i = 0; i < v.size(); i += 2) order.push_back(v[i] / 2);
    }
    return order;
  };
  nn::DataLoader a(ten_samples(), {.batch_size = 3, .shuffle = true, .seed = 7});
  nn::DataLoader b(ten_samples(), {.batch_size = 3, .shuffle = true, .seed = 7});
  const auto first = epoch_order(a);
  auto sorted = first;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 10; ++i) CHECK(sorted[i] == i);
  CHECK(first != std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(epoch_order(b) == first);  // same seed, same first epoch
  CHECK(epoch_order(a) != first);  // the next epoch reshuffles
}

TEST_CASE("a loop nested in another over the same loader leaves the outer epoch's order alone") {
  nn::DataLoader loader(ten_samples(), {.batch_size = 3, .shuffle = true, .seed = 7});
  std::vector<double> outer;
  int inner_epochs = 0;
  for (auto [x, y] : loader) {
    const auto v = x.to_vector();
    for (size_t i = 0; i < v.size(); i += 2) outer.push_back(v[i] / 2);
    std::vector<double> inner;
    for (auto [xi, yi] : loader) {  // starts (and shuffles) an epoch of its own
      const auto w = xi.to_vector();
      for (size_t i = 0; i < w.size(); i += 2) inner.push_back(w[i] / 2);
    }
    std::sort(inner.begin(), inner.end());
    CHECK(inner == std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    ++inner_epochs;
  }
  CHECK(inner_epochs == 4);
  // the outer loop still saw one permutation: every sample exactly once
  std::sort(outer.begin(), outer.end());
  CHECK(outer == std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("an iterator keeps its epoch when the loader is moved away and destroyed") {
  auto loader = std::make_unique<nn::DataLoader>(ten_samples(), nn::DataLoaderOptions{.batch_size = 4});
  auto it = loader->begin();
  const auto end = loader->end();
  nn::DataLoader moved = std::move(*loader);
  loader.reset();
  std::vector<double> firsts;
  for (; it != end; ++it) firsts.push_back((*it).inputs.to_vector()[0]);
  CHECK(firsts == std::vector<double>{0, 8, 16});
  CHECK(moved.num_batches() == 3);
  int batches = 0;
  for (auto [x, y] : moved) batches += x.size(0) > 0;
  CHECK(batches == 3);
}

TEST_CASE("datasets and loaders check their arguments") {
  CHECK_THROWS_AS(nn::TensorDataset(zeros({3, 2}), zeros({4})), ShapeError);
  CHECK_THROWS_AS(nn::DataLoader(ten_samples(), {.batch_size = 0}), ValueError);
}
