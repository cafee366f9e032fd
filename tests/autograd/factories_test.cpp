// The factories: tensor() from nested lists, zeros/ones/full and their _like forms, arange,
// from_vector, and the default dtype they use.
#include <autograd/dtype.hpp>
#include <autograd/error.hpp>
#include <autograd/tensor.hpp>

#include <catch2/catch.hpp>

#include <vector>

using namespace xg;
using Catch::Contains;

TEST_CASE("tensor() builds 0-d to 3-d tensors from nested lists") {
  Tensor s = tensor(3.5);
  CHECK(s.dim() == 0);
  CHECK(s.shape().empty());
  CHECK(s.item() == 3.5);
  Tensor v = tensor({1, 2, 3});
  CHECK(v.shape() == Shape{3});
  CHECK(v.dtype() == float32);
  Tensor m = tensor({{1, 2, 3}, {4, 5, 6}}, {.dtype = float64});
  CHECK(m.shape() == Shape{2, 3});
  CHECK(m.to_vector() == std::vector<double>{1, 2, 3, 4, 5, 6});
  Tensor c = tensor({{{1, 2}}, {{3, 4}}});
  CHECK(c.shape() == Shape{2, 1, 2});
  Tensor one = tensor({1.0});
  CHECK(one.shape() == Shape{1});  // a one-element list is 1-d, as torch.tensor([1.0])
  CHECK_THROWS_WITH(tensor({{1, 2}, {3}}), Contains("different shapes"));
  Tensor labels = tensor({0, 2, 1}, {.dtype = int64});
  CHECK(labels.dtype() == int64);
  CHECK(labels.to_vector() == std::vector<double>{0, 2, 1});
}

TEST_CASE("factories take a shape and an optional dtype") {
  CHECK(zeros({2, 3}).to_vector() == std::vector<double>(6, 0.0));
  CHECK(ones({2}, float64).dtype() == float64);
  CHECK(full({2, 2}, 7.0).to_vector() == std::vector<double>(4, 7.0));
  CHECK(zeros_like(ones({3}, float64)).dtype() == float64);
  CHECK(ones_like(zeros({1, 4})).shape() == Shape{1, 4});
  CHECK(arange(5).to_vector() == std::vector<double>{0, 1, 2, 3, 4});
  CHECK(arange(1, 2, 0.25, {.dtype = float64}).to_vector() == std::vector<double>{1, 1.25, 1.5, 1.75});
  CHECK(arange(3, 0, -1).to_vector() == std::vector<double>{3, 2, 1});
  CHECK(zeros({0, 3}).numel() == 0);
  CHECK_THROWS_WITH(zeros({2, -1}), Contains("zeros") || Contains("negative size"));
  CHECK_THROWS_AS(zeros({2, -1}), ValueError);
  CHECK_THROWS_AS(arange(0, 1, 0), ValueError);
  CHECK_THROWS_WITH(from_vector({1.0, 2.0, 3.0}, {2, 2}), Contains("3 values") && Contains("[2, 2]"));
  CHECK(zeros({2}, {.requires_grad = true}).requires_grad());
}

TEST_CASE("the default dtype applies to factories and only floats qualify") {
  set_default_dtype(float64);
  CHECK(ones({1}).dtype() == float64);
  CHECK(tensor({1.5}).dtype() == float64);
  set_default_dtype(float32);
  CHECK(ones({1}).dtype() == float32);
  CHECK_THROWS_AS(set_default_dtype(int64), ValueError);
}
