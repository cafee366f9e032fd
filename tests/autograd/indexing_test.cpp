// Tests of autograd/indexing: x.index({...}) and index_put_ with integers, Slice, None and
// Ellipsis, as LibTorch's torch::indexing (values and layouts from torch 1.13's x[...]).
#include <autograd/error.hpp>
#include <autograd/indexing.hpp>
#include <autograd/ops/arithmetic.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/tensor.hpp>
#include <autograd/testing.hpp>

#include <catch2/catch.hpp>
#include <support/tensors.hpp>

#include <numeric>
#include <vector>

using namespace xg::test;
using namespace xg::indexing;
using Catch::Matchers::Equals;

namespace {
std::vector<double> first(const Tensor& t, size_t n) {
  std::vector<double> v = t.to_vector();
  v.resize(std::min(n, v.size()));
  return v;
}
}  // namespace

TEST_CASE("index takes integers, Slices, None and Ellipsis as Python's x[...] does, as a view", "[op:index]") {
  // x = torch.arange(24.).reshape(2, 3, 4); print(list(v.shape), list(v.stride()), v.storage_offset())
  const Tensor x = counting({2, 3, 4});
  const Tensor a = x.index({Slice(0, 2), 1, Ellipsis, None});  // x[0:2, 1, ..., None]
  CHECK(a.shape() == Shape{2, 4, 1});
  CHECK(a.stride() == Shape{12, 1, 1});
  CHECK(a.storage_offset() == 4);
  CHECK(a.is_alias_of(x));
  CHECK_THAT(first(a, 6), Equals(std::vector<double>{4, 5, 6, 7, 16, 17}));
  const Tensor b = x.index({Ellipsis, -1});  // x[..., -1]
  CHECK(b.shape() == Shape{2, 3});
  CHECK(b.stride() == Shape{12, 4});
  CHECK(b.storage_offset() == 3);
  const Tensor c = x.index({None, Slice(), Slice(None, None, 2), Slice(1, 3)});  // x[None, :, ::2, 1:3]
  CHECK(c.shape() == Shape{1, 2, 2, 2});
  CHECK(c.stride() == Shape{24, 12, 8, 1});
  CHECK(c.storage_offset() == 1);
  CHECK_THAT(first(c, 6), Equals(std::vector<double>{1, 2, 9, 10, 13, 14}));
  const Tensor d = x.index({1, Slice(-2, None), Slice(None, -1)});  // x[1, -2:, :-1]
  CHECK(d.stride() == Shape{4, 1});
  CHECK(d.storage_offset() == 16);
  CHECK_THAT(d.to_vector(), Equals(std::vector<double>{16, 17, 18, 20, 21, 22}));
  const Tensor e = x.index({Slice(), Slice(5, None)});  // x[:, 5:]: empty, offset 12
  CHECK(e.shape() == Shape{2, 0, 4});
  CHECK(e.storage_offset() == 12);
  CHECK(x.index({Ellipsis}).shape() == Shape{2, 3, 4});
  CHECK(x.index({Ellipsis, 0, Ellipsis}).shape() == Shape{2, 3});  // torch: the second ... is empty
  CHECK_DERIVATIVES((Inputs{random_input({2, 3, 4})}), [](const Inputs& in) {
    return in[0].index({Slice(None, None, -1 + 2), -1, None, Slice(1, 3)});
  });
}

TEST_CASE("index refuses too many indices, an integer out of range and a step below 1") {
  const Tensor x = counting({2, 3, 4});
  // torch: "too many indices for tensor of dimension 3"
  CHECK_THROWS_AS(x.index({0, 0, 0, 0}), xg::IndexError);
  CHECK_THROWS_WITH(x.index({0, 0, 0, 0}), Contains("too many indices for a tensor of dimension 3"));
  // torch: "index 2 is out of bounds for dimension 0 with size 2"
  CHECK_THROWS_WITH(x.index({2}), Contains("index 2 is out of range for axis 0 of size 2"));
  CHECK_THROWS_AS(x.index({Slice(None, None, 0)}), xg::ValueError);
}

TEST_CASE("index_put_ writes through the indexed view, in place and differentiably", "[op:index_put]") {
  // w = torch.arange(12., requires_grad=True); b = w.view(3, 4) * 1.0
  // b[1:, ::2] = b[:2, 1::2] * 10; b[0] = 7.; b.sum().backward()
  Tensor w = counting({12}, true);
  Tensor b = w.view({3, 4}) * 1.0;
  b.index_put_({Slice(1, None), Slice(None, None, 2)}, b.index({Slice(None, 2), Slice(1, None, 2)}) * 10.0);
  b.index_put_({0}, 7.0);
  CHECK_THAT(b.to_vector(), Equals(std::vector<double>{7, 7, 7, 7, 10, 5, 30, 7, 50, 9, 70, 11}));
  xg::sum(b).backward();
  CHECK_THAT(w.grad().to_vector(), Equals(std::vector<double>{0, 10, 0, 10, 0, 11, 0, 11, 0, 1, 0, 1}));
  CHECK_DERIVATIVES((Inputs{random_input({3, 4}), random_input({4})}), [](const Inputs& in) {
    Tensor out = in[0] * 1.0;
    out.index_put_({Slice(), Slice(1, 3)}, in[0].index({Slice(), Slice(0, 2)}) * in[1].index({Slice(2, None)}));
    return out.index_put_({-1}, in[1]);
  });
  // a leaf that requires grad refuses, as any in-place op
  CHECK_THROWS_AS(w.index_put_({0}, 1.0), xg::GraphError);
}
