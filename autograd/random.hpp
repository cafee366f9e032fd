// The one seeded random generator every random tensor and initialiser draws from, so that
// manual_seed(n) makes a whole run reproducible.
#pragma once

#include <autograd/tensor.hpp>

#include <cstdint>
#include <random>

namespace xg {

/// Seeds the global generator (torch.manual_seed). Before any call the seed is 5489
/// (std::mt19937_64's default), so even an unseeded run is repeatable. The values differ from
/// torch's for the same seed: the generators differ.
void manual_seed(uint64_t seed);

/// Standard normal values N(0, 1).
Tensor randn(const Shape& shape, TensorOptions options = {});
Tensor randn(const Shape& shape, Dtype dtype);
/// Uniform values in [0, 1).
Tensor rand(const Shape& shape, TensorOptions options = {});
Tensor rand(const Shape& shape, Dtype dtype);
/// Uniform values in [low, high) (for initialisers).
Tensor uniform(const Shape& shape, double low, double high, TensorOptions options = {});
/// Normal values with the given mean and standard deviation.
Tensor normal(const Shape& shape, double mean, double stddev, TensorOptions options = {});
/// Uniform integers in [low, high) as int64.
Tensor randint(int64_t low, int64_t high, const Shape& shape);
/// A random permutation of 0..n-1 as int64 (for shuffling).
Tensor randperm(int64_t n);

/// Runs `fn(engine)` under the generator's lock: for code that needs its own distribution.
void with_generator(const std::function<void(std::mt19937_64&)>& fn);

}  // namespace xg
