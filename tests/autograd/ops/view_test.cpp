// Tests of autograd/ops/view (and of the views shape.hpp's ops return): sizes, strides, offsets
// and aliasing as torch's, writes through views, gradients through views, and the errors.
// Expected values from torch 1.13 (python3-torch), printed by the snippets in the comments.
#include <autograd/error.hpp>
#include <autograd/ops/arithmetic.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/linalg.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/ops/shape.hpp>
#include <autograd/ops/view.hpp>
#include <autograd/tensor.hpp>
#include <autograd/testing.hpp>

#include <catch2/catch.hpp>
#include <support/tensors.hpp>

#include <numeric>
#include <vector>

using namespace xg::test;

namespace {

using Catch::Matchers::Equals;

struct Layout {
  Shape shape, stride;
  int64_t offset;
  bool contiguous;
};

void check_layout(const Tensor& v, const Tensor& base, const Layout& expected) {
  CHECK(v.shape() == expected.shape);
  CHECK(v.stride() == expected.stride);
  CHECK(v.storage_offset() == expected.offset);
  CHECK(v.is_contiguous() == expected.contiguous);
  CHECK(v.is_alias_of(base));
}

}  // namespace

TEST_CASE("view ops share their input's storage with torch's sizes, strides and offsets") {
  // x = torch.arange(24.).reshape(2, 3, 4); print(list(v.shape), list(v.stride()), v.storage_offset(), ...)
  const Tensor x = counting({2, 3, 4});
  check_layout(x.view({6, 4}), x, {{6, 4}, {4, 1}, 0, true});
  check_layout(x.reshape({4, 6}), x, {{4, 6}, {6, 1}, 0, true});
  check_layout(x.transpose(0, 2), x, {{4, 3, 2}, {1, 4, 12}, 0, false});
  check_layout(x[0].t(), x, {{4, 3}, {1, 4}, 0, false});
  check_layout(x.permute({2, 0, 1}), x, {{4, 2, 3}, {1, 12, 4}, 0, false});
  check_layout(x.unsqueeze(1), x, {{2, 1, 3, 4}, {12, 12, 4, 1}, 0, true});
  check_layout(x.unsqueeze(-1), x, {{2, 3, 4, 1}, {12, 4, 1, 1}, 0, true});
  check_layout(x.unsqueeze(1).squeeze(1), x, {{2, 3, 4}, {12, 4, 1}, 0, true});
  check_layout(xg::slice(x, 1, 0, 1).expand({2, 3, 4}), x, {{2, 3, 4}, {12, 0, 1}, 0, false});
  check_layout(xg::slice(x, 1, 1, 3), x, {{2, 2, 4}, {12, 4, 1}, 4, false});
  check_layout(xg::slice(x, 2, 1, 4, 2), x, {{2, 3, 2}, {12, 4, 2}, 1, false});
  check_layout(x.narrow(2, 1, 2), x, {{2, 3, 2}, {12, 4, 1}, 1, false});
  check_layout(x.select(1, 2), x, {{2, 4}, {12, 1}, 8, false});
  check_layout(x[-1], x, {{3, 4}, {4, 1}, 12, true});
  check_layout(x.unflatten(2, {2, 2}), x, {{2, 3, 2, 2}, {12, 4, 2, 1}, 0, true});
  check_layout(x.diagonal(0, 1, 2), x, {{2, 3}, {12, 5}, 0, false});
  check_layout(x.diagonal(1, 1, 2), x, {{2, 3}, {12, 5}, 1, false});
  check_layout(x.diagonal(-1, 1, 2), x, {{2, 2}, {12, 5}, 4, false});
  check_layout(x.flatten(), x, {{24}, {1}, 0, true});
  const std::vector<Tensor> chunks = x.chunk(2, 2);
  REQUIRE(chunks.size() == 2);
  check_layout(chunks[1], x, {{2, 3, 2}, {12, 4, 1}, 2, false});
  const std::vector<Tensor> pieces = x.split(3, 2);
  REQUIRE(pieces.size() == 2);
  check_layout(pieces[0], x, {{2, 3, 3}, {12, 4, 1}, 0, false});
  check_layout(pieces[1], x, {{2, 3, 1}, {12, 4, 1}, 3, false});
  const std::vector<Tensor> sized = x.split(Shape{1, 3}, 2);
  check_layout(sized[1], x, {{2, 3, 3}, {12, 4, 1}, 1, false});
  // torch.arange(3.).expand(2, -1)
  const Tensor row = counting({3});
  check_layout(row.expand({2, -1}), row, {{2, 3}, {0, 1}, 0, false});
  // a new leading axis of size 1 steps over the axes after it: torch.arange(3.).expand(1, 3).stride() == (3, 1)
  CHECK(row.expand({1, 3}).stride() == Shape{3, 1});
  CHECK(row.expand({2, 1, 3}).stride() == Shape{0, 3, 1});
  // a view's base is the tensor that owns the storage, never another view
  CHECK(x[1].t().is_view());
  CHECK(x[1].t().base().is_same(x));
  CHECK_FALSE(x.is_view());
  CHECK_FALSE(x.base().defined());
}

TEST_CASE("values read through a view are the viewed elements, in the view's order") {
  const Tensor x = counting({2, 3, 4});
  CHECK_THAT(x.transpose(0, 2)[1].to_vector(), Equals(std::vector<double>{1, 13, 5, 17, 9, 21}));
  CHECK_THAT(x.diagonal(-1, 1, 2).to_vector(), Equals(std::vector<double>{4, 9, 16, 21}));
  CHECK_THAT(xg::slice(x, 2, 1, 4, 2)[1].to_vector(), Equals(std::vector<double>{13, 15, 17, 19, 21, 23}));
  CHECK(x.permute({2, 0, 1}).select(0, 3).select(0, 1).select(0, 2).item() == 23);
  // ops read strided inputs as their values: a sum, an exp, a matmul of a transposed view
  CHECK(xg::sum(x.transpose(0, 2)[3]).item() == 3 + 7 + 11 + 15 + 19 + 23);
  const Tensor m = counting({2, 3});
  CHECK_THAT(xg::matmul(m.t(), m).to_vector(), Equals(std::vector<double>{9, 12, 15, 12, 17, 22, 15, 22, 29}));
}

TEST_CASE("reshape views when strides fit and copies otherwise, view refuses then, as torch") {
  const Tensor x = counting({2, 3, 4});
  const Tensor y = x.transpose(1, 2);
  // y.view(2, 4, 3): strides fit
  check_layout(y.view({2, 4, 3}), x, {{2, 4, 3}, {12, 1, 4}, 0, false});
  // y.reshape(2, 12): a copy, contiguous
  const Tensor copied = y.reshape({2, 12});
  CHECK_FALSE(copied.is_alias_of(x));
  CHECK(copied.is_contiguous());
  CHECK(copied.stride() == Shape{12, 1});
  CHECK_THAT(copied[0].to_vector(), Equals(std::vector<double>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  // torch: "view size is not compatible with input tensor's size and stride ... Use .reshape(...) instead."
  CHECK_THROWS_AS(y.view({2, 12}), xg::ShapeError);
  CHECK_THROWS_WITH(y.view({2, 12}), Contains("view: shape [2, 12] is not compatible") && Contains("use reshape"));
}

TEST_CASE("a write through a view shows in the base and every other view, which share one version") {
  // a = torch.zeros(2, 3); v = a.view(6); v[1:3].fill_(1)
  Tensor a = xg::zeros({2, 3}, xg::float64);
  Tensor v = a.view({6});
  Tensor other = a.t();
  xg::slice(v, 0, 1, 3).fill_(1);
  CHECK_THAT(a.to_vector(), Equals(std::vector<double>{0, 1, 1, 0, 0, 0}));
  CHECK_THAT(other.to_vector(), Equals(std::vector<double>{0, 0, 1, 0, 1, 0}));
  CHECK(a.version() == 1);
  CHECK(v.version() == 1);
  CHECK(other.version() == 1);
  // a.t()[2].fill_(5)
  Tensor b = xg::zeros({2, 3}, xg::float64);
  b.t()[2].fill_(5);
  CHECK_THAT(b.to_vector(), Equals(std::vector<double>{0, 0, 5, 0, 0, 5}));
  // a.diagonal().copy_(torch.tensor([1., 2, 3]))
  Tensor c = xg::zeros({3, 3}, xg::float64);
  c.diagonal().copy_(vec({1, 2, 3}, xg::float64, false));
  CHECK_THAT(c.to_vector(), Equals(std::vector<double>{1, 0, 0, 0, 2, 0, 0, 0, 3}));
  // a.t().add_(torch.ones(3, 2) * torch.arange(2.))
  Tensor d = xg::zeros({2, 3}, xg::float64);
  d.t().add_(counting({2}));
  CHECK_THAT(d.to_vector(), Equals(std::vector<double>{0, 0, 0, 1, 1, 1}));
  // a = torch.arange(6.).reshape(2, 3); a.mul_(2); a[1].mul_(-1)
  Tensor e = counting({2, 3});
  e.mul_(2);
  e[1].mul_(-1);
  CHECK_THAT(e.to_vector(), Equals(std::vector<double>{0, 2, 4, -6, -8, -10}));
  // a source that overlaps its destination is read in full first
  Tensor f = counting({2, 2});
  f.copy_(f.t());
  CHECK_THAT(f.to_vector(), Equals(std::vector<double>{0, 2, 1, 3}));
  Tensor g = counting({2, 2});
  g.add_(g.t());
  CHECK_THAT(g.to_vector(), Equals(std::vector<double>{0, 3, 3, 6}));
}

TEST_CASE("detach shares the storage and its version counter but is not a view") {
  // a = torch.zeros(3); d = a.detach(); d.fill_(2) -> a [2, 2, 2], a._version 1, d._is_view() False
  Tensor a = xg::zeros({3}, xg::float64);
  Tensor d = a.detach();
  d.fill_(2);
  CHECK_THAT(a.to_vector(), Equals(std::vector<double>{2, 2, 2}));
  CHECK(a.version() == 1);
  CHECK_FALSE(d.is_view());
  CHECK(d.is_alias_of(a));
}

TEST_CASE("a write into an expanded view is refused: its elements share memory") {
  Tensor e = xg::zeros({3}, xg::float64).expand({2, 3});
  CHECK_THROWS_AS(e.fill_(1), xg::GraphError);
  CHECK_THROWS_WITH(e.fill_(1), Contains("fill_: more than one element of the written-to tensor (shape [2, 3], "
                                         "strides [0, 1]) refers to a single memory location"));
  CHECK_THROWS_AS(e.copy_(xg::ones({2, 3}, xg::float64)), xg::GraphError);
  CHECK_THROWS_AS(e.add_(xg::ones({2, 3}, xg::float64)), xg::GraphError);
  CHECK_THROWS_AS(e.mul_(2), xg::GraphError);
}

TEST_CASE("gradients flow back through chains of views as torch's do") {
  // w = torch.arange(6., requires_grad=True)
  // (w.view(2, 3).t()[1:, :] * torch.tensor([[1., 2], [3, 4]])).sum().backward()
  Tensor w = counting({6}, true);
  xg::sum(xg::slice(w.view({2, 3}).t(), 0, 1, 3) * values_of({1, 2, 3, 4}, {2, 2}, xg::float64, false)).backward();
  CHECK_THAT(w.grad().to_vector(), Equals(std::vector<double>{0, 1, 3, 0, 2, 4}));
  // m = w.view(3, 4); ((m.diagonal(1) ** 2).sum() + m.select(1, 0).sum()
  //                    + m.permute(1, 0).narrow(0, 1, 2).sum() * 2).backward()
  Tensor w2 = counting({12}, true);
  Tensor m = w2.view({3, 4});
  Tensor z =
      xg::sum(xg::pow(m.diagonal(1), 2.0)) + xg::sum(m.select(1, 0)) + xg::sum(m.permute({1, 0}).narrow(0, 1, 2)) * 2.0;
  z.backward();
  CHECK_THAT(w2.grad().to_vector(), Equals(std::vector<double>{1, 4, 2, 0, 1, 2, 14, 0, 1, 2, 2, 22}));
  CHECK(w2.grad().is_contiguous());
}

TEST_CASE("a saved tensor modified through a view is caught by the shared version counter") {
  // w = torch.ones(3, requires_grad=True); a = torch.arange(3.); y = (w * a).sum(); a[0:2].fill_(7)
  Tensor w = xg::ones({3}, {.dtype = xg::float64, .requires_grad = true});
  Tensor a = counting({3});
  Tensor y = xg::sum(w * a);
  xg::slice(a, 0, 0, 2).fill_(7);
  CHECK_THROWS_WITH(y.backward(), Contains("was modified in place") && Contains("version 1, expected 0"));
}

// ---- the ops one by one ----

TEST_CASE("permute reorders the axes, backward permutes the gradient back", "[op:permute]") {
  xg::manual_seed(3);
  const Inputs in{random_input({2, 3, 4})};
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::permute(x[0], {2, 0, 1}); });
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::permute(x[0], {-1, 1, 0}); });
  CHECK_THROWS_AS(xg::permute(in[0], {0, 1}), xg::ShapeError);
  CHECK_THROWS_WITH(xg::permute(in[0], {0, 1, 1}), Contains("permute: dims [0, 1, 1] repeat axis 1"));
}

TEST_CASE("expand broadcasts without a copy, -1 keeping a size, backward sums over the copies", "[op:expand]") {
  xg::manual_seed(4);
  const Inputs in{random_input({3, 1})};
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::expand(x[0], {2, -1, 4}); });
  Tensor w = counting({3, 1}, true);
  xg::sum(w.expand({2, 3, 4})).backward();
  CHECK_THAT(w.grad().to_vector(), Equals(std::vector<double>{8, 8, 8}));
  // torch: "The expanded size of the tensor (4) must match the existing size (3) at non-singleton dimension 0."
  CHECK_THROWS_WITH(counting({3}).expand({4}), Contains("expand: the expanded size 4 must match the existing size 3"));
  CHECK_THROWS_WITH(counting({3}).expand({-1, 3}), Contains("-1 is not allowed for a new leading axis"));
  CHECK_THROWS_AS(counting({2, 3}).expand({3}), xg::ShapeError);
}

TEST_CASE("select and x[i] pick one slice (negative counting from the end), backward embeds it", "[op:select]") {
  xg::manual_seed(5);
  const Inputs in{random_input({2, 3, 4})};
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::select(x[0], 1, -1); });
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return x[0][1]; });
  Tensor w = counting({2, 3}, true);
  (w[1] * counting({3})).sum().backward();
  CHECK_THAT(w.grad().to_vector(), Equals(std::vector<double>{0, 0, 0, 0, 1, 2}));
  // torch.arange(3.)[3]: IndexError "index 3 is out of bounds for dimension 0 with size 3"
  CHECK_THROWS_AS(counting({3})[3], xg::IndexError);
  CHECK_THROWS_WITH(counting({3})[-4], Contains("select: index -4 is out of range for axis 0 of size 3"));
  CHECK_THROWS_AS(xg::scalar_tensor(1.0)[0], xg::ShapeError);
}

TEST_CASE("narrow takes length entries from start, it refuses what does not fit, unlike slice", "[op:narrow]") {
  xg::manual_seed(6);
  const Inputs in{random_input({3, 5})};
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::narrow(x[0], 1, -4, 2); });
  CHECK_THAT(counting({6}).narrow(0, -2, 2).to_vector(), Equals(std::vector<double>{4, 5}));
  // torch: "start (2) + length (2) exceeds dimension size (3)."
  CHECK_THROWS_AS(counting({2, 3}).narrow(1, 2, 2), xg::IndexError);
  CHECK_THROWS_WITH(counting({2, 3}).narrow(1, 4, 0), Contains("narrow: start 4 is out of range for axis 1 of size 3"));
}

TEST_CASE("unflatten splits an axis into sizes, one of them inferred", "[op:unflatten]") {
  xg::manual_seed(7);
  const Inputs in{random_input({2, 6})};
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::unflatten(x[0], 1, {3, -1}); });
  CHECK(counting({2, 6}).unflatten(-1, {-1, 2}).shape() == Shape{2, 3, 2});
  CHECK_THROWS_WITH(counting({2, 6}).unflatten(1, {4, 2}),
                    Contains("unflatten: sizes [4, 2] do not multiply to the size 6"));
}

TEST_CASE("diagonal views a diagonal of two axes as the last axis, backward embeds it", "[op:diagonal]") {
  xg::manual_seed(8);
  const Inputs in{random_input({3, 4, 2})};
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::diagonal(x[0]); });
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::diagonal(x[0], -1, 2, 0); });
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::diagonal(x[0], 2, 0, 1); });
  CHECK_THAT(counting({3, 3}).diagonal().to_vector(), Equals(std::vector<double>{0, 4, 8}));
  CHECK(counting({2, 2}).diagonal(5).shape() == Shape{0});
  CHECK_THROWS_WITH(counting({3}).diagonal(), Contains("diagonal: needs at least 2 dimensions"));
  CHECK_THROWS_WITH(counting({3, 3}).diagonal(0, 1, -1), Contains("axis1 and axis2 are both axis 1"));
}

TEST_CASE("chunk and split cut an axis into views of torch's sizes", "[op:chunk][op:split]") {
  xg::manual_seed(9);
  const Inputs in{random_input({5, 2})};
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::chunk(x[0], 3)[2]; });
  CHECK_DERIVATIVES(in, [](const Inputs& x) {
    std::vector<Tensor> p = xg::split(x[0], Shape{1, 4}, 0);
    return xg::concat({p[1], p[0]}, 0);
  });
  auto sizes = [](const std::vector<Tensor>& pieces) {
    std::vector<Shape> out;
    for (const Tensor& p : pieces) out.push_back(p.shape());
    return out;
  };
  // torch.arange(5.).chunk(3), torch.arange(6.).chunk(4), torch.empty(0, 2).chunk(3) and .split(2)
  CHECK(sizes(counting({5}).chunk(3)) == std::vector<Shape>{{2}, {2}, {1}});
  CHECK(sizes(counting({6}).chunk(4)) == std::vector<Shape>{{2}, {2}, {2}});
  CHECK(sizes(xg::zeros({0, 2}).chunk(3)) == std::vector<Shape>{{0, 2}, {0, 2}, {0, 2}});
  CHECK(sizes(xg::zeros({0, 2}).split(2)) == std::vector<Shape>{{0, 2}});
  CHECK_THROWS_WITH(counting({5}).split(Shape{2, 2}), Contains("split: sizes [2, 2] add up to 4, not to the size 5"));
  CHECK_THROWS_AS(counting({5}).chunk(0), xg::ValueError);
}

TEST_CASE("as_strided views any geometry inside the storage, its gradients adding up where elements repeat",
          "[op:as_strided]") {
  xg::manual_seed(10);
  const Inputs in{random_input({3, 4})};
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::as_strided(x[0], {2, 2}, {4, 1}, 5); });
  // overlapping windows: torch.arange(6.).as_strided((3, 3), (1, 1)) reads elements twice
  CHECK_DERIVATIVES((Inputs{random_input({6})}), [](const Inputs& x) { return xg::as_strided(x[0], {3, 3}, {1, 1}); });
  // torch.arange(6.).as_strided((3, 3), (1, 1)); y.sum().backward() -> [1, 2, 3, 2, 1, 0]
  Tensor w = counting({6}, true);
  Tensor y = xg::as_strided(w, {3, 3}, {1, 1});
  CHECK_THAT(y.to_vector(), Equals(std::vector<double>{0, 1, 2, 1, 2, 3, 2, 3, 4}));
  CHECK(y.is_alias_of(w));
  xg::sum(y).backward();
  CHECK_THAT(w.grad().to_vector(), Equals(std::vector<double>{1, 2, 3, 2, 1, 0}));
  CHECK_THROWS_WITH(xg::as_strided(counting({6}), {3, 3}, {2, 1}),
                    Contains("reach element 6, out of bounds for a storage of 6 elements"));
  CHECK_THROWS_AS(xg::as_strided(counting({6}), {3}, {1, 1}), xg::ShapeError);
  // a region outside the input's own elements cannot take a gradient
  Tensor part = (counting({6}, true) * 1.0).narrow(0, 1, 2);
  CHECK_THROWS_WITH(xg::as_strided(part, {4}, {1}, 0), Contains("reaches outside the input's own elements"));
  // gradients through as_strided of a strided tensor are refused (its element order is not the storage's)
  CHECK_THROWS_AS(xg::as_strided(counting({2, 3}, true).t(), {2}, {1}), xg::GraphError);
}

TEST_CASE("as_strided_scatter writes src at the strided elements of a copy of x", "[op:as_strided_scatter]") {
  xg::manual_seed(12);
  const Inputs in{random_input({2, 3}), random_input({2})};
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::as_strided_scatter(x[0], x[1], {2}, {4}, 0); });
  // torch.as_strided_scatter(torch.zeros(2, 3), torch.tensor([2., 3.]), (2,), (4,), 0)
  const Tensor x = xg::zeros({2, 3}, xg::float64);
  const Tensor r = xg::as_strided_scatter(x, vec({2, 3}, xg::float64, false), {2}, {4}, 0);
  CHECK_THAT(r.to_vector(), Equals(std::vector<double>{2, 0, 0, 0, 3, 0}));
  CHECK_THAT(x.to_vector(), Equals(std::vector<double>{0, 0, 0, 0, 0, 0}));
  CHECK_THROWS_WITH(xg::as_strided_scatter(x, vec({1, 2, 3}, xg::float64, false), {2}, {4}, 0),
                    Contains("src has shape [3], the region [2]"));
}
