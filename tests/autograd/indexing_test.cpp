// Tests of autograd/indexing: x.index({...}) and index_put_ with integers, Slice, None and
// Ellipsis, as LibTorch's torch::indexing (values and layouts from torch 1.13's x[...]).
#include <autograd/error.hpp>
#include <autograd/indexing.hpp>
#include <autograd/ops/arithmetic.hpp>
#include <autograd/ops/compare.hpp>
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

namespace {
// an int64 index tensor of the given values (1-d unless a shape is given)
Tensor ids(const std::vector<double>& v, Shape shape = {}) {
  return values_of(v, shape.empty() ? Shape{static_cast<int64_t>(v.size())} : shape, xg::int64, false);
}
}  // namespace

TEST_CASE("index with int64 tensors gathers as torch's advanced indexing", "[op:index_advanced]") {
  // x = torch.arange(24.).reshape(2, 3, 4); L = lambda *a: torch.tensor(list(a))
  const Tensor x = counting({2, 3, 4});
  const Tensor a = x.index({ids({1, 0})});  // x[L(1, 0)]: a copy, not a view
  CHECK(a.shape() == Shape{2, 3, 4});
  CHECK_FALSE(a.is_alias_of(x));
  CHECK_THAT(first(a, 6), Equals(std::vector<double>{12, 13, 14, 15, 16, 17}));
  const Tensor b = x.index({Slice(), ids({2, 0, 2})});  // x[:, L(2, 0, 2)]: repeats
  CHECK(b.shape() == Shape{2, 3, 4});
  CHECK_THAT(first(b, 9), Equals(std::vector<double>{8, 9, 10, 11, 0, 1, 2, 3, 8}));
  // x[L(1, 0), :, L(3, -1)]: the indexed axes are not adjacent, so B goes first
  const Tensor c = x.index({ids({1, 0}), Slice(), ids({3, -1})});
  CHECK(c.shape() == Shape{2, 3});
  CHECK_THAT(c.to_vector(), Equals(std::vector<double>{15, 19, 23, 3, 7, 11}));
  // x[:, [[0], [2]], L(1, 3)]: adjacent, broadcast to [2, 2], in place of axes 1 and 2
  const Tensor d = x.index({Slice(), ids({0, 2}, {2, 1}), ids({1, 3})});
  CHECK(d.shape() == Shape{2, 2, 2});
  CHECK_THAT(d.to_vector(), Equals(std::vector<double>{1, 3, 9, 11, 13, 15, 21, 23}));
  // x[None, L(1, 0), ..., L(3, -1)] and x[0, :, L(1)] (an integer selects first, as torch)
  const Tensor e = x.index({None, ids({1, 0}), Ellipsis, ids({3, -1})});
  CHECK(e.shape() == Shape{2, 1, 3});
  CHECK_THAT(e.to_vector(), Equals(std::vector<double>{15, 19, 23, 3, 7, 11}));
  const Tensor f = x.index({0, Slice(), ids({1})});
  CHECK(f.shape() == Shape{3, 1});
  CHECK_THAT(f.to_vector(), Equals(std::vector<double>{1, 5, 9}));
  // x[torch.tensor(1), 1:]: a 0-d index is an integer (torch's applySlicing): a select, a view
  const Tensor one = values_of({1}, {}, xg::int64, false);
  const Tensor g = x.index({one, Slice(1, None)});
  CHECK(g.shape() == Shape{2, 4});
  CHECK(g.is_alias_of(x));
  CHECK_THAT(g.to_vector(), Equals(std::vector<double>{16, 17, 18, 19, 20, 21, 22, 23}));
  // so it does not count as an advanced index when placing B: y[torch.tensor(0), :, L(0, 2)] is
  // y[0][:, L(0, 2)] ([3, 2]), not B first ([2, 3])
  const Tensor y = counting({2, 3, 3});
  const Tensor g2 = y.index({values_of({0}, {}, xg::int64, false), Slice(), ids({0, 2})});
  CHECK(g2.shape() == Shape{3, 2});
  CHECK_THAT(g2.to_vector(), Equals(std::vector<double>{0, 2, 3, 5, 6, 8}));
  CHECK_THROWS_AS(x.index({Slice(), values_of({3}, {}, xg::int64, false)}), xg::IndexError);
  // a strided input: x.transpose(0, 2)[L(1, 3), 1]
  const Tensor h = x.transpose(0, 2).index({ids({1, 3}), 1});
  CHECK(h.shape() == Shape{2, 2});
  CHECK_THAT(h.to_vector(), Equals(std::vector<double>{5, 17, 7, 19}));
  // an empty index tensor
  CHECK(x.index({values_of({}, {0}, xg::int64, false)}).shape() == Shape{0, 3, 4});
  // int64 tensors are indexed as well
  CHECK_THAT(ids({5, 6, 7}).index({ids({2, 0})}).to_vector(), Equals(std::vector<double>{7, 5}));
}

TEST_CASE("the gradient of an advanced index adds up at repeated positions, as torch's") {
  // w = torch.arange(24., requires_grad=True); u = w.view(2, 3, 4) * 1.0
  // out = u[:, L(2, 0, 2), L(1, 1, 3)]; (out * torch.arange(1., 7.).view(2, 3)).sum().backward()
  Tensor w = counting({24}, true);
  const Tensor u = w.view({2, 3, 4}) * 1.0;
  const Tensor out = u.index({Slice(), ids({2, 0, 2}), ids({1, 1, 3})});
  CHECK_THAT(out.to_vector(), Equals(std::vector<double>{9, 1, 11, 21, 13, 23}));
  xg::sum(out * values_of({1, 2, 3, 4, 5, 6}, {2, 3}, xg::float64, false)).backward();
  CHECK_THAT(w.grad().to_vector(),
             Equals(std::vector<double>{0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 0, 5, 0, 0, 0, 0, 0, 0, 0, 4, 0, 6}));
  CHECK_DERIVATIVES((Inputs{random_input({3, 4})}), [](const Inputs& in) {
    return in[0].index({ids({2, 0, 2, -1}), ids({1, 3}, {2, 1})});
  });
  CHECK_DERIVATIVES((Inputs{random_input({2, 3, 4})}), [](const Inputs& in) {
    return in[0].transpose(1, 2).index({ids({1, 1}), Slice(), ids({0, 2})});
  });
}

TEST_CASE("index_put_ with int64 tensors scatters values, or adds them with accumulate", "[op:index_put_advanced]") {
  const Tensor x = counting({2, 3, 4});
  Tensor p = x.clone();  // y[L(0, 1), :, L(1, 2)] = torch.tensor([10., 20., 30.])
  p.index_put_({ids({0, 1}), Slice(), ids({1, 2})}, vec({10, 20, 30}, xg::float64, false));
  CHECK_THAT(p.to_vector(), Equals(std::vector<double>{0,  10, 2,  3,  4,  20, 6,  7,  8,  30, 10, 11,
                                                       12, 13, 10, 15, 16, 17, 20, 19, 20, 21, 30, 23}));
  // y.index_put_((L(0, 0, 1), L(2, 2, 0)), torch.tensor(100.), accumulate=True)
  Tensor q = x.clone();
  q.index_put_({ids({0, 0, 1}), ids({2, 2, 0})}, values_of({100}, {}, xg::float64, false), true);
  CHECK_THAT(first(q, 16), Equals(std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 208, 209, 210, 211, 112, 113, 114, 115}));
  Tensor r = x.clone();  // y[:, L(1), L(3, 0)] = -1.
  r.index_put_({Slice(), ids({1}), ids({3, 0})}, -1.0);
  CHECK_THAT(first(r, 20),
             Equals(std::vector<double>{0, 1, 2, 3, -1, 5, 6, -1, 8, 9, 10, 11, 12, 13, 14, 15, -1, 17, 18, -1}));
  // outside a graph the write goes through a strided view into its base, and counts as a write
  Tensor m = counting({3, 4});
  const uint32_t version = m.version();
  Tensor mt = m.t();
  mt.index_put_({ids({1, 3})}, -1.0);  // m[:, [1, 3]] = -1
  CHECK_THAT(first(m, 8), Equals(std::vector<double>{0, -1, 2, -1, 4, -1, 6, -1}));
  CHECK(m.version() == version + 1);
  // values that share the target's storage are read before the first write: m[[1, 2]] = m[[0, 1]]
  // (torch 1.13 refuses: "some elements of the input tensor and the written-to tensor refer to a
  // single memory location"; README "Where xgrad differs")
  m.index_put_({ids({1, 2})}, m.index({Slice(0, 2)}));
  CHECK_THAT(m.to_vector(), Equals(std::vector<double>{0, -1, 2, -1, 0, -1, 2, -1, 4, -1, 6, -1}));
  // as torch's x[...] = v, leading axes of size 1 of the value do not count
  Tensor z = xg::zeros({3, 4}, xg::float64);
  z.index_put_({Slice(), ids({0, 1})}, xg::ones({1, 3, 2}, xg::float64));
  z.index_put_({0}, xg::full({1, 1, 4}, 2.0, xg::float64));
  CHECK_THAT(z.to_vector(), Equals(std::vector<double>{2, 2, 2, 2, 1, 1, 0, 0, 1, 1, 0, 0}));
  // the out-of-place form leaves its input alone
  const Tensor s = xg::index_put(x, {ids({1})}, values_of({0}, {}, xg::float64, false));
  CHECK(xg::sum(s).item() == 276 - 210);
  CHECK(xg::sum(x).item() == 276);
}

TEST_CASE("index_put_ with tensors records inside a graph and through views, as torch's") {
  // w = torch.arange(12., requires_grad=True); v = torch.tensor([1., 2., 3.], requires_grad=True)
  // b = w.view(3, 4) * 1.0; b[:, L(0, 2)] = b[:, L(1, 3)] * 10; b[L(2, 0), L(1, 1)] = v[:2]
  // b.index_put_((L(1, 1),), v.view(1, 3).expand(2, 3).sum(1, keepdim=True) * torch.ones(2, 4), accumulate=True)
  // (b * torch.arange(12.).view(3, 4)).sum().backward()
  Tensor w = counting({12}, true);
  Tensor v = vec({1, 2, 3});
  Tensor b = w.view({3, 4}) * 1.0;
  b.index_put_({Slice(), ids({0, 2})}, b.index({Slice(), ids({1, 3})}) * 10.0);
  b.index_put_({ids({2, 0}), ids({1, 1})}, v.index({Slice(None, 2)}));
  b.index_put_({ids({1, 1})}, xg::sum(v.view({1, 3}).expand({2, 3}), 1, true) * xg::ones({2, 4}, xg::float64), true);
  CHECK_THAT(b.to_vector(), Equals(std::vector<double>{10, 2, 30, 3, 62, 17, 82, 19, 90, 1, 110, 11}));
  xg::sum(b * counting({3, 4})).backward();
  CHECK_THAT(w.grad().to_vector(), Equals(std::vector<double>{0, 0, 0, 23, 0, 45, 0, 67, 0, 80, 0, 111}));
  CHECK_THAT(v.grad().to_vector(), Equals(std::vector<double>{53, 45, 44}));
  // both forms, both operands, second order
  for (const bool accumulate : {false, true}) {
    CHECK_DERIVATIVES((Inputs{random_input({3, 4}), random_input({2, 1})}), [accumulate](const Inputs& in) {
      Tensor out = in[0] * 1.0;
      out.index_put_({ids({2, 0}), Slice(1, 3)}, in[1] * in[0].index({ids({1, 1}), ids({0, 3})}).view({2, 1}),
                     accumulate);
      return out;
    });
    CHECK_DERIVATIVES((Inputs{random_input({3, 4}), random_input({4})}), [accumulate](const Inputs& in) {
      // a repeated position only with accumulate: torch's gradient gives each repeat the gradient of
      // the one element the last write set, which no central difference sees
      return xg::index_put(in[0], {accumulate ? ids({1, 1, 0}) : ids({2, 0})}, in[1], accumulate);
    });
  }
}

TEST_CASE("advanced indexing refuses what torch refuses, naming the op and the shapes") {
  const Tensor x = counting({2, 3, 4});
  // torch: "tensors used as indices must be long, byte or bool tensors"
  CHECK_THROWS_AS(x.index({vec({0.0}, xg::float64, false)}), xg::IndexError);
  CHECK_THROWS_WITH(x.index({vec({0.0}, xg::float64, false)}), Contains("tensors used as indices must be int64"));
  // torch: "index 2 is out of bounds for dimension 0 with size 2"
  CHECK_THROWS_AS(x.index({ids({0, 2})}), xg::IndexError);
  CHECK_THROWS_WITH(x.index({ids({0, 2})}), Contains("index 2 is out of range for axis 0 of size 2"));
  CHECK_THROWS_WITH(x.index({Slice(), ids({-4})}), Contains("index -4 is out of range for axis 1 of size 3"));
  // torch: "shape mismatch: indexing tensors could not be broadcast together with shapes [2], [3]"
  CHECK_THROWS_AS(x.index({ids({0, 1}), ids({0, 1, 2})}), xg::IndexError);
  CHECK_THROWS_WITH(x.index({ids({0, 1}), ids({0, 1, 2})}), Contains("cannot be broadcast together (shapes [2], [3])"));
  CHECK_THROWS_WITH(x.index({ids({0}), 0, 0, ids({0})}), Contains("too many indices"));
  Tensor y = x.clone();
  // torch: "shape mismatch: value tensor of shape [3] cannot be broadcast to indexing result of shape [2, 4]"
  CHECK_THROWS_AS(y.index_put_({ids({0, 1}), 0}, vec({1, 2, 3}, xg::float64, false)), xg::ShapeError);
  CHECK_THROWS_WITH(y.index_put_({ids({0, 1}), 0}, vec({1, 2, 3}, xg::float64, false)),
                    Contains("values of shape [3] cannot be broadcast to the indexed shape [2, 4]"));
  CHECK_THROWS_AS(y.index_put_({ids({0})}, vec({1}, xg::float32, false)), xg::DtypeError);
  CHECK_THROWS_AS(y.index_put_({ids({5})}, 1.0), xg::IndexError);
  CHECK(xg::sum(y).item() == 276);  // nothing was written
  // an expanded target refuses, as every in-place op
  Tensor e = counting({3}).expand({2, 3});
  CHECK_THROWS_WITH(e.index_put_({ids({0})}, 1.0), Contains("refers to a single memory location"));
}

namespace {
Tensor bools(const std::vector<double>& v, const Shape& shape) {
  return xg::from_vector(v, shape, {.dtype = xg::boolean});
}
}  // namespace

TEST_CASE("a bool mask indexes the positions of its true elements, as torch's x[mask]",
          "[op:index_advanced][op:index_put_advanced]") {
  const Tensor x = counting({3, 4});  // torch.arange(12.).reshape(3, 4)
  const Tensor rows = bools({1, 0, 1}, {3});
  CHECK(x.index({rows}).shape() == Shape{2, 4});
  CHECK(x.index({rows}).to_vector() == std::vector<double>{0, 1, 2, 3, 8, 9, 10, 11});
  CHECK(x.index({Slice(), bools({1, 0, 0, 1}, {4})}).to_vector() == std::vector<double>{0, 3, 4, 7, 8, 11});
  CHECK(x.index({x > 5}).to_vector() == std::vector<double>{6, 7, 8, 9, 10, 11});
  const Tensor m2 = bools({1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1}, {3, 4});
  CHECK(x.index({m2}).to_vector() == std::vector<double>{0, 3, 5, 11});
  CHECK(x.index({None, m2}).shape() == Shape{1, 4});
  CHECK(x.index({Ellipsis, m2}).shape() == Shape{4});
  // a 0-d mask: an axis of size 1 (true) or 0 (false) in front
  CHECK(x.index({xg::scalar_tensor(1, {.dtype = xg::boolean})}).shape() == Shape{1, 3, 4});
  CHECK(x.index({xg::scalar_tensor(0, {.dtype = xg::boolean})}).shape() == Shape{0, 3, 4});
  CHECK(x.index({x > 100}).shape() == Shape{0});
  // x[x > 5] = 0; x[rows] = [-1, -2, -3, -4] (torch 1.13)
  Tensor y = x.clone();
  y.index_put_({y > 5}, 0.0);
  CHECK(y.to_vector() == std::vector<double>{0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0});
  Tensor z = x.clone();
  z.index_put_({rows}, vec({-1, -2, -3, -4}, xg::float64, false));
  CHECK(z.to_vector() == std::vector<double>{-1, -2, -3, -4, 4, 5, 6, 7, -1, -2, -3, -4});
  // gradients: w[w > 1.5] * [1, 2, 3, 4] summed gives [[0, 0, 1], [2, 3, 4]]
  Tensor w = counting({2, 3}, true);
  xg::sum(w.index({w > 1.5}) * vec({1, 2, 3, 4}, xg::float64, false)).backward();
  CHECK(w.grad().to_vector() == std::vector<double>{0, 0, 1, 2, 3, 4});
  const Tensor mask = bools({0, 1, 1, 0, 1, 0}, {2, 3});
  CHECK_DERIVATIVES((std::vector<Tensor>{counting({2, 3}, true) * 0.5}),
                    [&](const std::vector<Tensor>& in) { return in[0].index({mask}); });
  CHECK_DERIVATIVES((std::vector<Tensor>{counting({2, 3}, true) * 0.5, vec({1, 2, 3}, xg::float64, true)}),
                    [&](const std::vector<Tensor>& in) { return xg::index_put(in[0], {mask}, in[1]); });
}

TEST_CASE("a mask whose shape differs from the axes it covers is an IndexError, as torch's") {
  const Tensor x = counting({3, 4});
  // torch: "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [3, 4] at index 0"
  CHECK_THROWS_AS(x.index({bools({1, 0}, {2})}), xg::IndexError);
  CHECK_THROWS_WITH(
      x.index({bools({1, 0}, {2})}),
      Contains("the shape of the mask [2] at index 0 does not match the shape of the indexed tensor [3, 4]"));
  CHECK_THROWS_WITH(x.index({Slice(), bools({1, 0, 1}, {3})}), Contains("at index 1"));
  CHECK_THROWS_WITH(x.index({bools({1, 1, 1, 1, 1, 1}, {2, 3})}), Contains("mask [2, 3]"));
  CHECK_THROWS_WITH(x.index({bools({1, 0, 1}, {3}), 0, 0}), Contains("too many indices"));
  Tensor y = x.clone();
  CHECK_THROWS_AS(y.index_put_({bools({1, 0}, {2})}, 1.0), xg::IndexError);
  CHECK(y.to_vector() == x.to_vector());
}
