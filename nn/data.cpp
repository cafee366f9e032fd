// Batching by index_select along the first axis; shuffling with the loader's own generator.
#include <nn/data.hpp>

#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/ops/shape.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <numeric>

namespace xg::nn {

TensorDataset::TensorDataset(Tensor inputs, Tensor targets) : inputs_(std::move(inputs)), targets_(std::move(targets)) {
  if (!inputs_.defined() || !targets_.defined() || inputs_.dim() == 0 || targets_.dim() == 0) {
    throw ShapeError("TensorDataset: inputs and targets must be tensors of at least one dimension");
  }
  if (inputs_.size(0) != targets_.size(0)) {
    throw ShapeError(fmt::format("TensorDataset: inputs {} and targets {} hold different numbers of samples ({} vs {})",
                                 format_shape(inputs_.shape()), format_shape(targets_.shape()), inputs_.size(0),
                                 targets_.size(0)));
  }
}

Batch TensorDataset::get(const Tensor& indices) const {
  NoGradGuard no_grad;  // data, not part of the model's graph
  return {index_select(inputs_, 0, indices), index_select(targets_, 0, indices)};
}

DataLoader::DataLoader(TensorDataset dataset, DataLoaderOptions options)
    : dataset_(std::make_shared<const TensorDataset>(std::move(dataset))), options_(options), generator_(options.seed) {
  if (options_.batch_size < 1) {
    throw ValueError(fmt::format("DataLoader: batch_size must be >= 1, got {}", options_.batch_size));
  }
}

int64_t DataLoader::num_batches() const {
  const int64_t n = dataset_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

DataLoader::Iterator DataLoader::begin() {
  // a fresh vector each epoch, never one rewritten in place: iterators of earlier epochs share theirs
  auto order = std::make_shared<std::vector<int64_t>>(static_cast<size_t>(dataset_->size()));
  std::iota(order->begin(), order->end(), int64_t{0});
  if (options_.shuffle) std::shuffle(order->begin(), order->end(), generator_);
  return Iterator(dataset_, std::move(order), options_.batch_size, 0);
}

Batch DataLoader::Iterator::operator*() const {
  const int64_t start = batch_ * batch_size_;
  const int64_t stop = std::min<int64_t>(start + batch_size_, dataset_->size());
  std::vector<int64_t> idx(order_->begin() + start, order_->begin() + stop);
  return dataset_->get(from_vector(idx, {static_cast<int64_t>(idx.size())}));
}

}  // namespace xg::nn
