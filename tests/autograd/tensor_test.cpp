// The Tensor handle: data access, autograd state, in-place updates, to and clone (the factories
// are tested in factories_test.cpp).
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/gradcheck.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/random.hpp>
#include <autograd/tensor.hpp>
#include <autograd/testing.hpp>

#include <catch2/catch.hpp>
#include <support/tensors.hpp>

#include <cstdint>
#include <vector>

using namespace xg;
using namespace xg::test;
using Catch::Contains;

TEST_CASE("an undefined tensor says so instead of crashing") {
  Tensor t;
  CHECK_FALSE(t.defined());
  CHECK_THROWS_AS(t.shape(), ValueError);
  CHECK_THROWS_WITH(t.numel(), Contains("undefined"));
  CHECK_THROWS_WITH(add(t, ones({1})), Contains("add") && Contains("undefined"));
}

TEST_CASE("item() needs exactly one element") {
  CHECK(tensor({{4.0}}).item() == 4.0);
  CHECK_THROWS_WITH(tensor({1, 2}).item(), Contains("item") && Contains("[2]"));
}

TEST_CASE("size() and dim() accept negative axes") {
  Tensor t = zeros({2, 3, 4});
  CHECK(t.dim() == 3);
  CHECK(t.size(-1) == 4);
  CHECK(t.size(0) == 2);
  CHECK_THROWS_AS(t.size(3), ShapeError);
}

TEST_CASE("data_ptr gives the contiguous row-major data of the right type") {
  Tensor t = tensor({{1, 2}, {3, 4}}, {.dtype = float64});
  const double* p = t.data_ptr<double>();
  CHECK(p[0] == 1.0);
  CHECK(p[3] == 4.0);
  CHECK_THROWS_WITH(t.data_ptr<float>(), Contains("float32") && Contains("float64"));
}

TEST_CASE("to() converts and passes the gradient back converted") {
  Tensor x = tensor({1.5, -2.0}, {.requires_grad = true});
  Tensor y = x.to(float64);
  CHECK(y.dtype() == float64);
  (y * y).sum().backward();
  CHECK(x.grad().dtype() == float32);
  CHECK(x.grad().to_vector() == std::vector<double>{3.0, -4.0});
  CHECK(tensor({2.7}).to(int64).to_vector() == std::vector<double>{2.0});
  CHECK_THROWS_AS(x.to(int64), DtypeError);
}

TEST_CASE("clone copies the data and keeps the history") {
  Tensor x = tensor({1.0, 2.0}, {.dtype = float64, .requires_grad = true});
  Tensor c = x.clone();
  CHECK(c.grad_fn() != nullptr);
  CHECK(c.grad_fn()->name() == std::string("clone"));
  (c * 3.0).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<double>{3.0, 3.0});
}

TEST_CASE("to converts the values and passes the gradient back in the source dtype") {
  Tensor x = vec({0.5, -1.25, 3});
  Tensor y = x.to(xg::float32);
  CHECK(y.dtype() == xg::float32);
  CHECK_THAT(y.to_vector(), Catch::Matchers::Approx(Values{0.5, -1.25, 3}));
  (y * 2.0).backward(xg::ones({3}, xg::float32));
  REQUIRE(x.grad().defined());
  CHECK(x.grad().dtype() == xg::float64);
  CHECK_THAT(x.grad().to_vector(), Catch::Matchers::Approx(Values{2, 2, 2}));
}

TEST_CASE("to the same dtype returns the tensor itself, as torch") {
  Tensor x = vec({1, 2});
  CHECK(x.to(xg::float64).is_same(x));
}

TEST_CASE("to converts int64 labels to floats and floats to int64 by truncation") {
  Tensor labels = xg::from_vector(std::vector<int64_t>{0, 2, 5}, {3});
  Tensor floats = labels.to(xg::float64);
  CHECK(floats.dtype() == xg::float64);
  CHECK_THAT(floats.to_vector(), Catch::Matchers::Approx(Values{0, 2, 5}));
  Tensor back = vec({1.7, -2.5, 3}, xg::float64, false).to(xg::int64);
  CHECK(back.dtype() == xg::int64);
  CHECK_THAT(back.to_vector(), Catch::Matchers::Approx(Values{1, -2, 3}));
}

TEST_CASE("to int64 refuses a tensor that requires grad") {
  CHECK_THROWS_AS(vec({1, 2}).to(xg::int64), xg::DtypeError);
  CHECK_THROWS_WITH(vec({1, 2}).to(xg::int64), Contains("to: ") && Contains("int64") && Contains("detach"));
}

TEST_CASE("blame lists to's node as not checked and says why, instead of a false alarm") {
  Tensor x = xg::from_vector({0.5, -1.25}, {2}, {.dtype = xg::float64, .requires_grad = true});
  Tensor y = xg::sum(x.to(xg::float32) * 3.0);
  const xg::BlameResult r = xg::blame(y);
  CHECK_FALSE(r.found);
  REQUIRE(r.not_rerunnable.size() == 1);
  CHECK_THAT(r.not_rerunnable[0], Catch::Contains("to (a dtype conversion"));
}

TEST_CASE("to's gradient through a float32 round trip matches central differences in float64", "[op:to]") {
  xg::manual_seed(41);
  Tensor x = random_input({4});
  // float32 rounding is far below the tolerance once multiplied back up
  auto fn = [](const std::vector<Tensor>& in) { return (in[0] * 3.0).to(xg::float32).to(xg::float64); };
  CHECK_THAT((std::vector<Tensor>{x}), PassesGradcheck(fn, {.eps = 1e-3, .atol = 1e-4, .rtol = 1e-3}));
}

TEST_CASE("clone copies the values into storage of its own and passes the gradient through", "[op:clone]") {
  Tensor x = vec({1, 2, 3}, xg::float64, false);
  Tensor c = x.clone();
  CHECK_THAT(c.to_vector(), Catch::Matchers::Approx(Values{1, 2, 3}));
  c.fill_(7);
  CHECK_THAT(x.to_vector(), Catch::Matchers::Approx(Values{1, 2, 3}));

  Tensor w = vec({1, 2, 3});
  Tensor cw = w.clone();
  CHECK_FALSE(cw.is_leaf());
  CHECK_THAT(gradient(cw * 4.0, w), Catch::Matchers::Approx(Values{4, 4, 4}));
}

TEST_CASE("contiguous copies a strided tensor row-major (recorded as clone) and returns a contiguous one as it is",
          "[op:contiguous]") {
  // torch.zeros(2, 3).t().contiguous().stride() == (2, 1); its grad_fn is CloneBackward0
  Tensor x = xg::from_vector({0, 1, 2, 3, 4, 5}, {2, 3}, {.dtype = xg::float64, .requires_grad = true});
  Tensor c = x.t().contiguous();
  CHECK(c.stride() == Shape{2, 1});
  CHECK(c.is_contiguous());
  CHECK_FALSE(c.is_alias_of(x));
  CHECK_THAT(c.to_vector(), Catch::Matchers::Approx(Values{0, 3, 1, 4, 2, 5}));
  CHECK(c.grad_fn()->type_name() == "CloneBackward");
  CHECK(x.contiguous().is_same(x));
  CHECK_DERIVATIVES((Inputs{x}), [](const Inputs& in) { return in[0].t().contiguous() * 2.0; });
  // clone is row-major whatever its input's strides (torch keeps a dense input's strides: (1, 3))
  CHECK(x.t().clone().stride() == Shape{2, 1});
}

TEST_CASE("requires_grad_ applies to float leaves only") {
  Tensor x = tensor({1.0});
  CHECK_FALSE(x.requires_grad());
  x.requires_grad_();
  CHECK(x.requires_grad());
  CHECK(x.is_leaf());
  Tensor y = x * 2.0;
  CHECK_FALSE(y.is_leaf());
  CHECK_THROWS_WITH(y.requires_grad_(false), Contains("not a leaf"));
  CHECK_THROWS_AS(tensor({1}, {.dtype = int64}).requires_grad_(), DtypeError);
}

TEST_CASE("names are kept on the tensor") {
  Tensor w = tensor({1.0}).name("w_o");
  CHECK(w.name() == "w_o");
  CHECK(Tensor(w).name() == "w_o");  // handles share the tensor
}

TEST_CASE("copies of a handle share one tensor") {
  Tensor a = zeros({2});
  Tensor b = a;
  CHECK(a.is_same(b));
  b.fill_(3.0);
  CHECK(a.to_vector() == std::vector<double>{3.0, 3.0});
  CHECK_FALSE(a.is_same(a.clone()));
}

TEST_CASE("in-place updates write the data and bump the version") {
  Tensor t = tensor({1.0, 2.0});
  CHECK(t.version() == 0);
  t.mul_(2.0);
  CHECK(t.to_vector() == std::vector<double>{2.0, 4.0});
  t.add_(tensor({1.0, 1.0}), 0.5);
  CHECK(t.to_vector() == std::vector<double>{2.5, 4.5});
  t.add_(tensor(1.0));  // broadcast
  CHECK(t.to_vector() == std::vector<double>{3.5, 5.5});
  t.copy_(tensor({7.0, 8.0}, {.dtype = float64}));  // converted to this dtype
  CHECK(t.dtype() == float32);
  CHECK(t.to_vector() == std::vector<double>{7.0, 8.0});
  t.zero_();
  CHECK(t.to_vector() == std::vector<double>{0.0, 0.0});
  CHECK(t.version() == 5);
  CHECK_THROWS_AS(t.add_(zeros({3})), ShapeError);
  CHECK_THROWS_AS(zeros({2}, int64).add_(t), DtypeError);  // float32 into int64: torch's can_cast refuses
  CHECK_THROWS_AS(t.copy_(zeros({3})), ShapeError);
  CHECK(t.version() == 5);     // failed updates change nothing
  t.add_(ones({2}, float64));  // float64 into float32: allowed, as torch's
  CHECK(t.to_vector() == std::vector<double>{1.0, 1.0});
}

TEST_CASE("members mirror the free functions") {
  Tensor x = tensor({{1.0, -2.0}, {3.0, 4.0}}, {.dtype = float64});
  CHECK(x.sum().item() == 6.0);
  CHECK(x.mean(0).to_vector() == std::vector<double>{2.0, 1.0});
  CHECK(x.max().item() == 4.0);
  CHECK(x.min(1).to_vector() == std::vector<double>{-2.0, 3.0});
  CHECK(x.t().to_vector() == std::vector<double>{1.0, 3.0, -2.0, 4.0});
  CHECK(x.reshape({4}).shape() == Shape{4});
  CHECK(x.abs().sum().item() == 10.0);
  CHECK(x.relu().to_vector() == std::vector<double>{1.0, 0.0, 3.0, 4.0});
  CHECK(x.pow(2.0).sum().item() == 30.0);
  CHECK(x.matmul(x).to_vector() == std::vector<double>{-5.0, -10.0, 15.0, 10.0});
  CHECK(x.flatten().unsqueeze(0).shape() == Shape{1, 4});
  CHECK(x.softmax(1).sum(1).to_vector()[0] == Approx(1.0));
  CHECK(x.clamp(0.0, 2.0).to_vector() == std::vector<double>{1.0, 0.0, 2.0, 2.0});
}

TEST_CASE("set_data replaces a leaf's data, shape and dtype for every handle") {
  Tensor w = tensor({1.0, 2.0}, {.requires_grad = true});
  Tensor alias = w;
  (w * w).sum().backward();
  REQUIRE(w.grad().defined());
  w.set_data(tensor({{3.0, 4.0, 5.0}}, {.dtype = float64}));
  CHECK(alias.dtype() == float64);
  CHECK(alias.shape() == Shape{1, 3});
  CHECK(alias.requires_grad());
  CHECK_FALSE(alias.grad().defined());  // the old gradient no longer fits
  CHECK(w.version() == 1);
  CHECK_THROWS_AS((w * 2.0).set_data(zeros({1})), GraphError);
  CHECK_THROWS_AS(w.set_data(zeros({1}, int64)), DtypeError);
}
