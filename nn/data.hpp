// TensorDataset and DataLoader: (inputs, targets) batches, shuffled reproducibly.
#pragma once

#include <autograd/tensor.hpp>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

namespace xg::nn {

struct Batch {
  Tensor inputs;
  Tensor targets;
};

/// Samples along the first axis of two tensors of equal length (torch's TensorDataset).
class TensorDataset {
 public:
  TensorDataset(Tensor inputs, Tensor targets);
  int64_t size() const { return inputs_.size(0); }
  /// The samples at `indices` (int64, 1-D), stacked along a new first axis.
  Batch get(const Tensor& indices) const;
  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor inputs_, targets_;
};

struct DataLoaderOptions {
  int64_t batch_size = 1;
  bool shuffle = false;
  uint64_t seed = 0;       // the loader's own generator: the same seed gives the same order every run
  bool drop_last = false;  // drop a last batch smaller than batch_size
};

///   nn::DataLoader loader(dataset, {.batch_size = 64, .shuffle = true, .seed = 1});
///   for (auto [x, y] : loader) { ... }   // one epoch; the next loop reshuffles
/// Each begin() draws the order of a new epoch; an iterator keeps the order it started with
/// (and shares the dataset), so nested loops over one loader, or a loader moved or destroyed
/// while an iterator runs, leave that iterator's epoch as it was.
class DataLoader {
 public:
  DataLoader(TensorDataset dataset, DataLoaderOptions options = {});

  class Iterator {
   public:
    Batch operator*() const;
    Iterator& operator++() {
      ++batch_;
      return *this;
    }
    bool operator==(const Iterator& other) const { return batch_ == other.batch_; }
    bool operator!=(const Iterator& other) const { return batch_ != other.batch_; }

   private:
    friend class DataLoader;
    Iterator(std::shared_ptr<const TensorDataset> dataset, std::shared_ptr<const std::vector<int64_t>> order,
             int64_t batch_size, int64_t batch)
        : dataset_(std::move(dataset)), order_(std::move(order)), batch_size_(batch_size), batch_(batch) {}
    std::shared_ptr<const TensorDataset> dataset_;
    std::shared_ptr<const std::vector<int64_t>> order_;  // this epoch's sample order (null for end())
    int64_t batch_size_;
    int64_t batch_;
  };

  /// Starts an epoch: draws a new order when shuffling.
  Iterator begin();
  Iterator end() const { return Iterator(nullptr, nullptr, options_.batch_size, num_batches()); }
  int64_t num_batches() const;
  const TensorDataset& dataset() const { return *dataset_; }

 private:
  std::shared_ptr<const TensorDataset> dataset_;
  DataLoaderOptions options_;
  std::mt19937_64 generator_;
};

}  // namespace xg::nn
