// Tests of autograd/strided: contiguity as torch defines it, which reshapes of strided tensors
// are views (torch's computeStride), and the gather/scatter loops behind contiguous() and writes.
#include <autograd/error.hpp>
#include <autograd/ops/shape.hpp>
#include <autograd/ops/view.hpp>
#include <autograd/tensor.hpp>

#include <catch2/catch.hpp>
#include <support/tensors.hpp>

#include <numeric>
#include <vector>

using Catch::Matchers::Equals;
using xg::Shape;
using xg::Tensor;
using xg::test::counting;

TEST_CASE("size-1 axes and empty tensors are contiguous whatever their strides, as in torch") {
  // torch.zeros(3, 1).t(): shape [1, 3], strides [1, 1], contiguous
  CHECK(xg::zeros({3, 1}).t().is_contiguous());
  CHECK(xg::zeros({3, 1}).t().stride() == Shape{1, 1});
  CHECK(xg::zeros({0, 3}).t().is_contiguous());
  CHECK_FALSE(xg::zeros({2, 3}).t().is_contiguous());
  CHECK(xg::scalar_tensor(2.0).is_contiguous());
  CHECK(xg::scalar_tensor(2.0).stride().empty());
}

TEST_CASE("reshape of a strided tensor is a view exactly when torch's computeStride finds strides") {
  const Tensor x = counting({4, 6});
  // x[:, :4] is [4, 4] strides [6, 1]: merging its axes would need one stride, none fits
  CHECK_FALSE(xg::slice(x, 1, 0, 4).reshape({16}).is_alias_of(x));
  // x[:, ::2] is [4, 3] strides [6, 2]: a row ends where the next starts, so stride 2 fits
  const Tensor every_other = xg::slice(x, 1, 0, 6, 2);
  CHECK(every_other.reshape({12}).is_alias_of(x));
  CHECK(every_other.reshape({12}).stride() == Shape{2});
  // splitting an axis always fits: [4, 3] -> [2, 2, 3] strides [12, 6, 2]
  const Tensor split_rows = every_other.reshape({2, 2, 3});
  CHECK(split_rows.is_alias_of(x));
  CHECK(split_rows.stride() == Shape{12, 6, 2});
  // x[1:3] is contiguous rows at an offset: any reshape is a view
  const Tensor rows = xg::slice(x, 0, 1, 3);
  CHECK(rows.reshape({3, 4}).is_alias_of(x));
  CHECK(rows.reshape({3, 4}).storage_offset() == 6);
  // size-1 axes come and go freely; merging the transposed axes needs a copy
  CHECK(x.t().reshape({6, 1, 4}).is_alias_of(x));
  CHECK(x.t().reshape({6, 1, 4}).stride() == Shape{1, 24, 6});  // torch's too
  CHECK_FALSE(x.t().reshape({24}).is_alias_of(x));
  // a 0-d tensor views as any all-ones shape
  const Tensor s = xg::scalar_tensor(3.0);
  CHECK(s.view({1, 1}).is_alias_of(s));
  CHECK(s.view({1, 1}).stride() == Shape{1, 1});
}

TEST_CASE("contiguous() gathers a strided tensor row-major, and writes scatter back through the strides") {
  Tensor x = counting({3, 4});
  Tensor strided = xg::slice(x.t(), 0, 1, 4, 2);  // columns 1 and 3 as rows: [2, 3]
  CHECK_THAT(strided.contiguous().to_vector(), Equals(std::vector<double>{1, 5, 9, 3, 7, 11}));
  strided.copy_(xg::from_vector({-1, -2, -3, -4, -5, -6}, {2, 3}, {.dtype = xg::float64}));
  CHECK_THAT(x.to_vector(), Equals(std::vector<double>{0, -1, 2, -4, 4, -2, 6, -5, 8, -3, 10, -6}));
  // 0-d and empty views
  Tensor e = xg::slice(x, 0, 1, 1);
  CHECK(e.contiguous().numel() == 0);
  e.fill_(9);
  x.select(0, 2).select(0, 3).fill_(100);
  CHECK(x.to_vector()[11] == 100);
}
