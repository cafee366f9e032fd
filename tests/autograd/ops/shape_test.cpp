// Tests of autograd/ops/shape: reshape and its relatives, transpose, concat, stack, slice,
// index_select and one_hot: forward values, first and second derivatives, and the errors.
#include <autograd/error.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/ops/shape.hpp>
#include <autograd/random.hpp>
#include <autograd/tensor.hpp>
#include <autograd/testing.hpp>

#include <catch2/catch.hpp>
#include <support/tensors.hpp>

#include <numeric>
#include <vector>

using namespace xg::test;

namespace {

using Catch::Matchers::Equals;

// start, start + 1, ... laid out as `shape` (float64).
Tensor iota(const Shape& shape, double start = 0) {
  std::vector<double> values(static_cast<size_t>(xg::numel(shape)));
  std::iota(values.begin(), values.end(), start);
  return xg::from_vector(values, shape, {.dtype = xg::float64});
}

Tensor indices(const std::vector<int64_t>& values) {
  return xg::from_vector(values, {static_cast<int64_t>(values.size())});
}

std::vector<double> range(double from, double to, double step = 1) {
  std::vector<double> out;
  for (double v = from; v < to; v += step) out.push_back(v);
  return out;
}

}  // namespace

// ---- reshape, view, flatten ----

TEST_CASE("reshape keeps the row-major order of the elements") {
  const Tensor y = xg::reshape(iota({2, 3}), {3, 2});
  CHECK(y.shape() == Shape{3, 2});
  CHECK_THAT(y.to_vector(), Equals(range(0, 6)));
  CHECK(iota({2, 3}).reshape({6}).shape() == Shape{6});
  CHECK(xg::reshape(iota({6}), {1, 2, 3, 1}).shape() == Shape{1, 2, 3, 1});
}

TEST_CASE("reshape infers a size given as -1 from the others") {
  CHECK(xg::reshape(iota({2, 3, 4}), {-1, 4}).shape() == Shape{6, 4});
  CHECK(xg::reshape(iota({2, 3, 4}), {2, -1}).shape() == Shape{2, 12});
  CHECK(xg::reshape(iota({2, 3, 4}), {-1}).shape() == Shape{24});
  CHECK(xg::reshape(iota({1}), {}).shape() == Shape{});
  CHECK(xg::reshape(iota({0, 3}), {-1, 3}).shape() == Shape{0, 3});
  CHECK_THAT(xg::reshape(iota({2, 3, 4}), {4, -1, 2}).to_vector(), Equals(range(0, 24)));
}

TEST_CASE("reshape refuses two -1 sizes, a wrong element count and negative sizes") {
  CHECK_THROWS_AS(xg::reshape(iota({2, 3}), {-1, -1}), xg::ShapeError);
  CHECK_THROWS_WITH(xg::reshape(iota({2, 3}), {-1, -1}),
                    Catch::Contains("reshape") && Catch::Contains("only one") && Catch::Contains("[-1, -1]"));
  CHECK_THROWS_AS(xg::reshape(iota({2, 3}), {4, 2}), xg::ShapeError);
  CHECK_THROWS_WITH(xg::reshape(iota({2, 3}), {4, 2}),
                    Catch::Contains("reshape") && Catch::Contains("[4, 2]") && Catch::Contains("[2, 3]"));
  CHECK_THROWS_WITH(xg::reshape(iota({2, 3}), {-1, 4}),
                    Catch::Contains("reshape") && Catch::Contains("[-1, 4]") && Catch::Contains("[2, 3]"));
  CHECK_THROWS_AS(xg::reshape(iota({2, 3}), {-2, -3}), xg::ValueError);
  CHECK_THROWS_WITH(xg::reshape(iota({2, 3}), {-2, -3}), Catch::Contains("reshape") && Catch::Contains("-2"));
}

TEST_CASE("view and flatten reshape like reshape") {
  CHECK(xg::view(iota({2, 3}), {3, -1}).shape() == Shape{3, 2});
  CHECK(iota({2, 3}).view({6}).shape() == Shape{6});
  CHECK_THAT(xg::view(iota({2, 3}), {3, 2}).to_vector(), Equals(range(0, 6)));
  const Tensor flat = xg::flatten(iota({2, 3, 4}));
  CHECK(flat.shape() == Shape{24});
  CHECK_THAT(flat.to_vector(), Equals(range(0, 24)));
  CHECK(iota({2, 3}).flatten().shape() == Shape{6});
  CHECK(xg::flatten(xg::scalar_tensor(2.0)).shape() == Shape{1});
  CHECK_THROWS_AS(xg::view(iota({2, 3}), {5}), xg::ShapeError);
}

TEST_CASE("reshape, view and flatten backward reshape the gradient back", "[op:reshape][op:view][op:flatten]") {
  xg::manual_seed(1);
  const Inputs in{random_input({2, 3, 2})};
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::reshape(x[0], {3, -1}); });
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::view(x[0], {-1, 6}); });
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::flatten(x[0]); });
  const Tensor x = iota({2, 3}).requires_grad_();
  xg::reshape(x, {3, 2}).backward(iota({3, 2}));
  CHECK(x.grad().shape() == Shape{2, 3});
  CHECK_THAT(x.grad().to_vector(), Equals(range(0, 6)));
}

// ---- unsqueeze, squeeze ----

TEST_CASE("unsqueeze inserts an axis of size 1, counting negative axes from the end") {
  const Tensor x = iota({2, 3});
  CHECK(xg::unsqueeze(x, 0).shape() == Shape{1, 2, 3});
  CHECK(xg::unsqueeze(x, 1).shape() == Shape{2, 1, 3});
  CHECK(xg::unsqueeze(x, 2).shape() == Shape{2, 3, 1});
  CHECK(xg::unsqueeze(x, -1).shape() == Shape{2, 3, 1});
  CHECK(xg::unsqueeze(x, -3).shape() == Shape{1, 2, 3});
  CHECK(x.unsqueeze(-2).shape() == Shape{2, 1, 3});
  CHECK(xg::unsqueeze(xg::scalar_tensor(1.0), 0).shape() == Shape{1});
  CHECK_THAT(xg::unsqueeze(x, 1).to_vector(), Equals(range(0, 6)));
  CHECK_THROWS_AS(xg::unsqueeze(x, 3), xg::ShapeError);
  CHECK_THROWS_WITH(xg::unsqueeze(x, -4), Catch::Contains("unsqueeze") && Catch::Contains("-4"));
}

TEST_CASE("squeeze removes an axis of size 1 and leaves other axes alone") {
  const Tensor x = iota({2, 1, 3, 1});
  CHECK(xg::squeeze(x, 1).shape() == Shape{2, 3, 1});
  CHECK(xg::squeeze(x, -1).shape() == Shape{2, 1, 3});
  CHECK(xg::squeeze(x, -3).shape() == Shape{2, 3, 1});
  CHECK(x.squeeze(3).shape() == Shape{2, 1, 3});
  CHECK(xg::squeeze(x, 0).shape() == Shape{2, 1, 3, 1});   // size 2: unchanged, as torch
  CHECK(xg::squeeze(x, -2).shape() == Shape{2, 1, 3, 1});  // size 3: unchanged
  CHECK_THAT(xg::squeeze(x, 1).to_vector(), Equals(range(0, 6)));
  CHECK(xg::squeeze(xg::scalar_tensor(1.0), 0).shape() == Shape{});
  CHECK_THROWS_AS(xg::squeeze(x, 4), xg::ShapeError);
  CHECK_THROWS_WITH(xg::squeeze(x, -5), Catch::Contains("squeeze") && Catch::Contains("-5"));
}

TEST_CASE("unsqueeze and squeeze backward give the gradient its input's shape", "[op:unsqueeze][op:squeeze]") {
  xg::manual_seed(2);
  const Inputs in{random_input({2, 1, 3})};
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::unsqueeze(x[0], -1); });
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::unsqueeze(x[0], 0); });
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::squeeze(x[0], 1); });
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::squeeze(x[0], -2); });
}

// ---- transpose ----

TEST_CASE("transpose with no axes swaps the last two axes") {
  const Tensor m = xg::transpose(iota({2, 3}));
  CHECK(m.shape() == Shape{3, 2});
  CHECK_THAT(m.to_vector(), Equals(std::vector<double>{0, 3, 1, 4, 2, 5}));
  const Tensor b = xg::transpose(iota({2, 2, 3}));
  CHECK(b.shape() == Shape{2, 3, 2});
  CHECK_THAT(b.to_vector(), Equals(std::vector<double>{0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11}));
}

TEST_CASE("transpose with no axes refuses tensors below two dimensions") {
  CHECK_THROWS_AS(xg::transpose(iota({3})), xg::ShapeError);
  CHECK_THROWS_WITH(xg::transpose(iota({3})), Catch::Contains("transpose") && Catch::Contains("[3]"));
  CHECK_THROWS_WITH(xg::transpose(xg::scalar_tensor(1.0)), Catch::Contains("transpose") && Catch::Contains("[]"));
}

TEST_CASE("transpose of two given axes of a 3-D tensor moves every element") {
  const Tensor x = iota({2, 3, 4});
  const Tensor y = xg::transpose(x, 0, 2);
  CHECK(y.shape() == Shape{4, 3, 2});
  const std::vector<double> values = y.to_vector();
  bool all_moved = true;  // y[k][j][i] == x[i][j][k] == i*12 + j*4 + k
  for (int64_t k = 0; k < 4; ++k)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t i = 0; i < 2; ++i) all_moved = all_moved && values[(k * 3 + j) * 2 + i] == i * 12 + j * 4 + k;
  CHECK(all_moved);
  CHECK(xg::transpose(x, 0, 1).shape() == Shape{3, 2, 4});
  CHECK(xg::transpose(x, -1, -2).shape() == Shape{2, 4, 3});
  CHECK(x.transpose(1, -1).shape() == Shape{2, 4, 3});
  CHECK_THAT(xg::transpose(x, 1, 1).to_vector(), Equals(range(0, 24)));
  CHECK_THAT(xg::transpose(x, 0, 1).to_vector(),
             Equals(std::vector<double>{0,  1,  2,  3,  12, 13, 14, 15, 4,  5,  6,  7,  //
                                        16, 17, 18, 19, 8,  9,  10, 11, 20, 21, 22, 23}));
  CHECK_THROWS_AS(xg::transpose(x, 0, 3), xg::ShapeError);
  CHECK_THROWS_WITH(xg::transpose(x, -4, 0), Catch::Contains("transpose") && Catch::Contains("-4"));
}

TEST_CASE("Tensor::t transposes a matrix, returns a vector as it is and refuses 3-D") {
  const Tensor m = iota({2, 3}).t();
  CHECK(m.shape() == Shape{3, 2});
  CHECK_THAT(m.to_vector(), Equals(std::vector<double>{0, 3, 1, 4, 2, 5}));
  CHECK(iota({3}).t().shape() == Shape{3});
  CHECK_THAT(iota({3}).t().to_vector(), Equals(range(0, 3)));
  CHECK_THROWS_AS(iota({2, 3, 4}).t(), xg::ShapeError);
  CHECK_THROWS_WITH(iota({2, 3, 4}).t(), Catch::Contains("t:") && Catch::Contains("[2, 3, 4]"));
}

TEST_CASE("transpose backward transposes the gradient back", "[op:transpose][op:transpose_axes]") {
  xg::manual_seed(3);
  const Inputs matrix{random_input({3, 4})};
  CHECK_DERIVATIVES(matrix, [](const Inputs& x) { return xg::transpose(x[0]); });
  CHECK_DERIVATIVES(matrix, [](const Inputs& x) { return x[0].t(); });
  const Inputs cube{random_input({2, 3, 4})};
  CHECK_DERIVATIVES(cube, [](const Inputs& x) { return xg::transpose(x[0]); });
  CHECK_DERIVATIVES(cube, [](const Inputs& x) { return xg::transpose(x[0], 0, 2); });
  CHECK_DERIVATIVES(cube, [](const Inputs& x) { return xg::transpose(x[0], -3, 1); });
}

// ---- concat ----

TEST_CASE("concat joins tensors along axis 0") {
  const Tensor a = iota({2, 3});
  const Tensor b = iota({1, 3}, 10);
  const Tensor c = xg::concat({a, b});
  CHECK(c.shape() == Shape{3, 3});
  CHECK_THAT(c.to_vector(), Equals(std::vector<double>{0, 1, 2, 3, 4, 5, 10, 11, 12}));
}

TEST_CASE("concat joins more than two tensors along axis 1") {
  const Tensor a = iota({2, 1});
  const Tensor b = iota({2, 2}, 10);
  const Tensor c = iota({2, 3}, 20);
  const Tensor out = xg::concat({a, b, c}, 1);
  CHECK(out.shape() == Shape{2, 6});
  CHECK_THAT(out.to_vector(), Equals(std::vector<double>{0, 10, 11, 20, 21, 22, 1, 12, 13, 23, 24, 25}));
  CHECK(xg::concat({a, b, c}, -1).shape() == Shape{2, 6});
  CHECK_THAT(xg::concat({iota({2}), iota({0}), iota({1})}).to_vector(), Equals(std::vector<double>{0, 1, 0}));
}

TEST_CASE("concat refuses sizes that differ off the joined axis and names the shapes") {
  CHECK_THROWS_AS(xg::concat({iota({2, 3}), iota({2, 4})}, 0), xg::ShapeError);
  CHECK_THROWS_WITH(xg::concat({iota({2, 3}), iota({2, 4})}, 0),
                    Catch::Contains("concat") && Catch::Contains("[2, 3]") && Catch::Contains("[2, 4]"));
  CHECK_THROWS_WITH(xg::concat({iota({2, 3}), iota({2, 3}), iota({3, 3})}, 1),
                    Catch::Contains("concat") && Catch::Contains("[3, 3]") && Catch::Contains("axis 1"));
  CHECK_THROWS_AS(xg::concat({iota({2, 3}), iota({2, 3, 1})}), xg::ShapeError);
  CHECK_THROWS_AS(xg::concat({iota({2}), xg::zeros({2}, xg::float32)}), xg::DtypeError);
  CHECK_THROWS_AS(xg::concat({}), xg::ValueError);
  CHECK_THROWS_AS(xg::concat({xg::scalar_tensor(1.0), xg::scalar_tensor(2.0)}), xg::ShapeError);
  CHECK_THROWS_AS(xg::concat({iota({2, 3})}, 2), xg::ShapeError);
}

TEST_CASE("concat backward hands each input its part of the gradient", "[op:concat][op:concat3]") {
  xg::manual_seed(4);
  const Inputs rows{random_input({2, 3}), random_input({1, 3}), random_input({3, 3})};
  CHECK_DERIVATIVES(rows, [](const Inputs& x) { return xg::concat(x, 0); });
  const Inputs columns{random_input({2, 1, 2}), random_input({2, 3, 2})};
  CHECK_DERIVATIVES(columns, [](const Inputs& x) { return xg::concat(x, 1); });
  CHECK_DERIVATIVES(columns, [](const Inputs& x) { return xg::concat({x[0], x[1], x[0]}, -2); });
  const Tensor a = iota({2}).requires_grad_(), b = iota({3}).requires_grad_();
  xg::concat({a, b}).backward(iota({5}));
  CHECK_THAT(a.grad().to_vector(), Equals(std::vector<double>{0, 1}));
  CHECK_THAT(b.grad().to_vector(), Equals(std::vector<double>{2, 3, 4}));
}

// ---- stack ----

TEST_CASE("stack joins tensors of one shape along a new axis") {
  const Tensor a = iota({2, 3});
  const Tensor b = iota({2, 3}, 10);
  const Tensor first = xg::stack({a, b});
  CHECK(first.shape() == Shape{2, 2, 3});
  CHECK_THAT(first.to_vector(), Equals(std::vector<double>{0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15}));
  const Tensor middle = xg::stack({a, b}, 1);
  CHECK(middle.shape() == Shape{2, 2, 3});
  CHECK_THAT(middle.to_vector(), Equals(std::vector<double>{0, 1, 2, 10, 11, 12, 3, 4, 5, 13, 14, 15}));
  const Tensor last = xg::stack({a, b}, -1);
  CHECK(last.shape() == Shape{2, 3, 2});
  CHECK_THAT(last.to_vector(), Equals(std::vector<double>{0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15}));
  CHECK(xg::stack({a, b, a}, -3).shape() == Shape{3, 2, 3});
  const Tensor scalars = xg::stack({xg::scalar_tensor(1.0), xg::scalar_tensor(2.0)});
  CHECK(scalars.shape() == Shape{2});
  CHECK_THAT(scalars.to_vector(), Equals(std::vector<double>{1, 2}));
}

TEST_CASE("stack refuses tensors of different shapes and out-of-range axes") {
  CHECK_THROWS_AS(xg::stack({iota({2, 3}), iota({3, 2})}), xg::ShapeError);
  CHECK_THROWS_WITH(xg::stack({iota({2, 3}), iota({3, 2})}),
                    Catch::Contains("stack") && Catch::Contains("[2, 3]") && Catch::Contains("[3, 2]"));
  CHECK_THROWS_AS(xg::stack({iota({2, 3}), iota({2, 3})}, 3), xg::ShapeError);
  CHECK_THROWS_AS(xg::stack({iota({2, 3}), iota({2, 3})}, -4), xg::ShapeError);
  CHECK_THROWS_AS(xg::stack({}), xg::ValueError);
}

TEST_CASE("stack backward hands each input its slice of the gradient", "[op:stack]") {
  xg::manual_seed(5);
  const Inputs in{random_input({2, 3}), random_input({2, 3}), random_input({2, 3})};
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::stack(x, 0); });
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::stack(x, -1); });
  CHECK_DERIVATIVES(in, [](const Inputs& x) { return xg::stack({x[0], x[1], x[2], x[0]}, 1); });
}

// ---- slice ----

TEST_CASE("slice takes start to end in steps along an axis") {
  const Tensor x = iota({10});
  CHECK_THAT(xg::slice(x, 0, 2, 5).to_vector(), Equals(std::vector<double>{2, 3, 4}));
  CHECK_THAT(xg::slice(x, 0, 1, 8, 2).to_vector(), Equals(std::vector<double>{1, 3, 5, 7}));
  CHECK_THAT(xg::slice(x, 0, 0, 10, 3).to_vector(), Equals(std::vector<double>{0, 3, 6, 9}));
  CHECK_THAT(xg::slice(x, 0, 0, 10, 2).to_vector(), Equals(std::vector<double>{0, 2, 4, 6, 8}));
  const Tensor m = xg::slice(iota({3, 4}), 1, 1, 3);
  CHECK(m.shape() == Shape{3, 2});
  CHECK_THAT(m.to_vector(), Equals(std::vector<double>{1, 2, 5, 6, 9, 10}));
  const Tensor rows = xg::slice(iota({3, 4}), -2, 0, 3, 2);
  CHECK(rows.shape() == Shape{2, 4});
  CHECK_THAT(rows.to_vector(), Equals(std::vector<double>{0, 1, 2, 3, 8, 9, 10, 11}));
}

TEST_CASE("slice counts negative start and end from the end and clamps like Python") {
  const Tensor x = iota({10});
  CHECK_THAT(xg::slice(x, 0, -3, 10).to_vector(), Equals(std::vector<double>{7, 8, 9}));       // x[-3:]
  CHECK_THAT(xg::slice(x, 0, 1, -1, 2).to_vector(), Equals(std::vector<double>{1, 3, 5, 7}));  // x[1:-1:2]
  CHECK_THAT(xg::slice(x, 0, -4, -1).to_vector(), Equals(std::vector<double>{6, 7, 8}));       // x[-4:-1]
  CHECK_THAT(xg::slice(x, 0, -100, 2).to_vector(), Equals(std::vector<double>{0, 1}));         // x[-100:2]
  CHECK_THAT(xg::slice(x, 0, 8, 100).to_vector(), Equals(std::vector<double>{8, 9}));          // x[8:100]
  CHECK_THAT(xg::slice(x, 0, -2, 100, 5).to_vector(), Equals(std::vector<double>{8}));         // x[-2:100:5]
  CHECK(xg::slice(x, 0, 5, 2).shape() == Shape{0});                                            // x[5:2]
  CHECK(xg::slice(x, 0, 20, 30).shape() == Shape{0});                                          // x[20:30]
  CHECK(xg::slice(x, 0, -1, -5).shape() == Shape{0});                                          // x[-1:-5]
}

TEST_CASE("slice refuses a step below 1, a bad axis and 0-d tensors") {
  CHECK_THROWS_AS(xg::slice(iota({5}), 0, 0, 5, 0), xg::ValueError);
  CHECK_THROWS_WITH(xg::slice(iota({5}), 0, 0, 5, -1), Catch::Contains("slice") && Catch::Contains("-1"));
  CHECK_THROWS_AS(xg::slice(iota({5}), 1, 0, 5), xg::ShapeError);
  CHECK_THROWS_AS(xg::slice(xg::scalar_tensor(1.0), 0, 0, 1), xg::ShapeError);
}

TEST_CASE("slice backward puts the gradient back at the sliced positions", "[op:slice]") {
  const Tensor x = iota({6}).requires_grad_();
  xg::slice(x, 0, 1, -1, 2).backward(xg::tensor({10, 20}, {.dtype = xg::float64}));
  CHECK_THAT(x.grad().to_vector(), Equals(std::vector<double>{0, 10, 0, 20, 0, 0}));
  xg::manual_seed(6);
  const Inputs in{random_input({4, 5})};
  CHECK_DERIVATIVES(in, [](const Inputs& v) { return xg::slice(v[0], 1, -4, 100, 2); });
  CHECK_DERIVATIVES(in, [](const Inputs& v) { return xg::slice(v[0], 0, 1, 3); });
  CHECK_DERIVATIVES(in, [](const Inputs& v) { return xg::slice(v[0], -1, -100, -1, 3); });
}

// ---- index_select ----

TEST_CASE("index_select picks entries along an axis in the order given") {
  const Tensor x = iota({3, 4});
  const Tensor rows = xg::index_select(x, 0, indices({2, 0}));
  CHECK(rows.shape() == Shape{2, 4});
  CHECK_THAT(rows.to_vector(), Equals(std::vector<double>{8, 9, 10, 11, 0, 1, 2, 3}));
  const Tensor columns = xg::index_select(x, -1, indices({3, 1, 1}));
  CHECK(columns.shape() == Shape{3, 3});
  CHECK_THAT(columns.to_vector(), Equals(std::vector<double>{3, 1, 1, 7, 5, 5, 11, 9, 9}));
  const Tensor labels = xg::index_select(xg::from_vector(std::vector<int64_t>{5, 6, 7}, {3}), 0, indices({2, 2}));
  CHECK(labels.dtype() == xg::int64);
  CHECK_THAT(labels.to_vector(), Equals(std::vector<double>{7, 7}));
}

TEST_CASE("index_select backward accumulates the gradient of a repeated index", "[op:index_select]") {
  const Tensor x = xg::tensor({1, 2, 3}, {.dtype = xg::float64, .requires_grad = true});
  xg::sum(xg::index_select(x, 0, indices({1, 1, 0}))).backward();
  CHECK_THAT(x.grad().to_vector(), Equals(std::vector<double>{1, 2, 0}));
  xg::manual_seed(7);
  const Inputs in{random_input({3, 4})};
  CHECK_DERIVATIVES(in, [](const Inputs& v) { return xg::index_select(v[0], 0, indices({1, 1, 0, 2, 1})); });
  CHECK_DERIVATIVES(in, [](const Inputs& v) { return xg::index_select(v[0], 1, indices({3, 0, 3})); });
}

TEST_CASE("index_select refuses an out-of-range index and a non-int64 index") {
  const Tensor x = iota({3, 4});
  CHECK_THROWS_AS(xg::index_select(x, 0, indices({0, 3})), xg::ValueError);
  CHECK_THROWS_WITH(xg::index_select(x, 0, indices({0, 3})),
                    Catch::Contains("index_select") && Catch::Contains("3") && Catch::Contains("[3, 4]"));
  CHECK_THROWS_AS(xg::index_select(x, 1, indices({-1})), xg::ValueError);
  CHECK_THROWS_AS(xg::index_select(x, 0, xg::tensor({0, 1})), xg::DtypeError);
  CHECK_THROWS_AS(xg::index_select(x, 2, indices({0})), xg::ShapeError);
}

// ---- one_hot ----

TEST_CASE("one_hot puts a 1 at each class index and is int64 by default like torch", "[op:one_hot]") {
  const Tensor y = xg::one_hot(indices({0, 2, 1}), 4);
  CHECK(y.dtype() == xg::int64);
  CHECK(y.shape() == Shape{3, 4});
  CHECK_THAT(y.to_vector(), Equals(std::vector<double>{1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0}));
  const Tensor grid = xg::one_hot(xg::from_vector(std::vector<int64_t>{1, 0, 0, 1}, {2, 2}), 2);
  CHECK(grid.shape() == Shape{2, 2, 2});
  CHECK_THAT(grid.to_vector(), Equals(std::vector<double>{0, 1, 1, 0, 1, 0, 0, 1}));
}

TEST_CASE("one_hot with num_classes -1 takes the largest index plus one") {
  const Tensor y = xg::one_hot(indices({0, 3, 1}));
  CHECK(y.shape() == Shape{3, 4});
  CHECK_THAT(y.to_vector(), Equals(std::vector<double>{1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0}));
  CHECK(xg::one_hot(indices({2}), -1).shape() == Shape{1, 3});
}

TEST_CASE("one_hot refuses class indices out of range") {
  CHECK_THROWS_AS(xg::one_hot(indices({0, 3}), 3), xg::ValueError);
  CHECK_THROWS_WITH(xg::one_hot(indices({0, 3}), 3), Catch::Contains("one_hot") && Catch::Contains("3"));
  CHECK_THROWS_AS(xg::one_hot(indices({-1, 0}), 3), xg::ValueError);
  CHECK_THROWS_AS(xg::one_hot(indices({-1, 0})), xg::ValueError);
  CHECK_THROWS_AS(xg::one_hot(indices({0}), 0), xg::ValueError);
  CHECK_THROWS_AS(xg::one_hot(xg::tensor({0, 1}), 2), xg::DtypeError);
}

TEST_CASE("one_hot gives a floating result when a float dtype is asked for") {
  const Tensor y = xg::one_hot(indices({1, 0}), 3, xg::float32);
  CHECK(y.dtype() == xg::float32);
  CHECK_THAT(y.to_vector(), Equals(std::vector<double>{0, 1, 0, 1, 0, 0}));
  const Tensor z = xg::one_hot(indices({2}), 3, xg::float64);
  CHECK(z.dtype() == xg::float64);
  CHECK_THAT(z.to_vector(), Equals(std::vector<double>{0, 0, 1}));
  CHECK_FALSE(z.requires_grad());
}
