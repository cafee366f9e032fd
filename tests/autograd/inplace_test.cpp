// Tests of autograd/inplace: in-place ops outside and inside graphs, writes through views of
// tensors with history (CopySlices), the views that rebuild their history from their base, and
// the refusals. Expected values from torch 1.13 (python3-torch), snippets in the comments.
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/arithmetic.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/ops/shape.hpp>
#include <autograd/ops/view.hpp>
#include <autograd/tensor.hpp>
#include <autograd/testing.hpp>

#include <catch2/catch.hpp>
#include <support/tensors.hpp>

#include <cmath>
#include <vector>

using namespace xg::test;
using Catch::Matchers::Approx;
using Catch::Matchers::Equals;

namespace {
Tensor leaf(const Values& v, const Shape& shape) { return values_of(v, shape); }
Tensor constant(const Values& v, const Shape& shape) { return values_of(v, shape, xg::float64, false); }
}  // namespace

TEST_CASE("in-place ops on a tensor with history record the op, as torch") {
  // y = w * 2; y.mul_(c); y += 1; y *= 3; y -= 4; y /= 2; y.relu_(); y.sum().backward()
  Tensor w = leaf({1, -2, 3}, {3});
  Tensor y = w * 2.0;
  y.mul_(constant({1, 2, 3}, {3}));
  y += 1.0;
  y *= 3.0;
  y -= 4.0;
  y /= 2.0;
  y.relu_();
  CHECK(y.grad_fn()->type_name() == "ReluBackward");
  xg::sum(y).backward();
  CHECK_THAT(w.grad().to_vector(), Approx(Values{3, 0, 9}));
}

TEST_CASE("masked_fill_, clamp_, div_ and sub_ with alpha give torch's values and gradients") {
  // y = w * 1.5; y.masked_fill_(m, 7.0); y.clamp_(0.2, 10); y.div_(d); y.sub_(w, alpha=2)
  Tensor w = leaf({1, -2, 3, 0.5}, {4});
  Tensor y = w * 1.5;
  y.masked_fill_(constant({1, 0, 0, 1}, {4}) > 0, 7.0);
  y.clamp_(0.2, 10.0);
  y.div_(constant({1, 2, 4, 8}, {4}));
  y.sub_(w, 2.0);
  CHECK_THAT(y.to_vector(), Approx(Values{5, 4.1, -4.875, -0.125}));
  xg::sum(y).backward();
  CHECK_THAT(w.grad().to_vector(), Approx(Values{-2, -2, -1.625, -2}));
}

TEST_CASE("a write through a view gives the base a CopySlices node and the view as_strided's") {
  // b = w * 1.0; v = b[0]; v.mul_(c); (b * k).sum().backward()
  Tensor w = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = w * 1.0;
  Tensor v = b[0];
  v.mul_(constant({2, 3, 4}, {3}));
  CHECK(b.grad_fn()->type_name() == "CopySlicesBackward");
  CHECK(v.grad_fn()->type_name() == "AsStridedBackward");
  CHECK_THAT(b.to_vector(), Approx(Values{2, 6, 12, 4, 5, 6}));
  xg::sum(b * constant({1, 1, 1, 10, 10, 10}, {2, 3})).backward();
  CHECK_THAT(w.grad().to_vector(), Approx(Values{2, 3, 4, 10, 10, 10}));
}

TEST_CASE("other views of the base rebuild their history after a write through one of them") {
  // b = w.clone(); v1 = b[:2]; v2 = b[1:]; v1.mul_(10); (v2 ** 2).sum().backward()
  Tensor w = leaf({1, 2, 3, 4}, {4});
  Tensor b = w.clone();
  Tensor v1 = xg::slice(b, 0, 0, 2);
  Tensor v2 = xg::slice(b, 0, 1, 4);
  v1.mul_(10.0);
  CHECK(v2.grad_fn()->type_name() == "AsStridedBackward");
  xg::sum(xg::pow(v2, 2.0)).backward();
  CHECK_THAT(w.grad().to_vector(), Approx(Values{0, 400, 6, 8}));
}

TEST_CASE("a base without history gets one when a view of it takes a value that requires grad") {
  // x = torch.zeros(2, 3); x[1].add_(a); x[0].copy_(a * a); (x * k).sum().backward()
  Tensor x = xg::zeros({2, 3}, xg::float64);
  Tensor a = leaf({1, 2, 3}, {3});
  x[1].add_(a);
  x[0].copy_(a * a);
  CHECK(x.requires_grad());
  CHECK_FALSE(x.is_leaf());
  CHECK(x.grad_fn()->type_name() == "CopySlicesBackward");
  xg::sum(x * constant({1, 2, 3, 4, 5, 6}, {2, 3})).backward();
  CHECK_THAT(a.grad().to_vector(), Approx(Values{6, 13, 24}));
}

TEST_CASE("copy_ broadcasts its source and passes the gradient to it, fill_ cuts the old history") {
  // x = torch.zeros(3, 2); x.copy_(w * 3); x.sum().backward() -> w.grad [9, 9]
  Tensor w = leaf({1, 2}, {2});
  Tensor x = xg::zeros({3, 2}, xg::float64);
  x.copy_(w * 3.0);
  xg::sum(x).backward();
  CHECK_THAT(w.grad().to_vector(), Approx(Values{9, 9}));
  // y = w * 3; y[0].fill_(5); (y * y).sum().backward() -> w.grad [0, 36]
  Tensor w2 = leaf({1, 2}, {2});
  Tensor y = w2 * 3.0;
  y[0].fill_(5);
  xg::sum(y * y).backward();
  CHECK_THAT(w2.grad().to_vector(), Approx(Values{0, 36}));
}

TEST_CASE("writes through views pass gradcheck and gradgradcheck") {
  xg::manual_seed(11);
  const Inputs in{random_input({3, 3})};
  CHECK_DERIVATIVES(in, [](const Inputs& x) {
    Tensor b = x[0] * 1.0;
    b.diagonal().mul_(2.0);
    b.t()[0].add_(x[0][1]);
    xg::slice(b, 1, 1, 3) *= x[0].narrow(1, 0, 2);
    return b;
  });
  CHECK_DERIVATIVES(in, [](const Inputs& x) {
    Tensor b = xg::zeros({2, 3, 3}, xg::float64);
    b[1].copy_(x[0]);
    b.select(2, 0).add_(x[0].t()[2].unsqueeze(0));
    return b;
  });
}

TEST_CASE("in-place ops refuse a leaf that requires grad and views of one, as torch") {
  Tensor w = xg::ones({3}, {.dtype = xg::float64, .requires_grad = true});
  // torch: "a leaf Variable that requires grad is being used in an in-place operation."
  CHECK_THROWS_AS(w.add_(1.0), xg::GraphError);
  CHECK_THROWS_WITH(w.add_(1.0), Contains("add_: a leaf tensor that requires grad"));
  CHECK_THROWS_WITH(w[0].mul_(2.0), Contains("mul_: a view of a leaf tensor that requires grad"));
  Tensor v;
  {
    xg::NoGradGuard no_grad;
    v = xg::slice(w, 0, 1, 3);
    v.mul_(2.0);  // allowed: grad mode is off (an optimizer's write)
  }
  CHECK_THAT(w.to_vector(), Equals(Values{1, 2, 2}));
  // torch: "A view was created in no_grad mode and is being modified inplace with grad mode enabled."
  CHECK_THROWS_WITH(v.mul_(leaf({1, 1}, {2})), Contains("was made with grad mode off"));
  CHECK_THAT(w.to_vector(), Equals(Values{1, 2, 2}));  // nothing written
}

TEST_CASE("an in-place write after an op saved the tensor is caught at backward") {
  // y = w * 1.0; z = y * y; y.add_(1); z.sum().backward() -> "modified by an inplace operation"
  Tensor w = leaf({1, 2}, {2});
  Tensor y = w * 1.0;
  Tensor z = y * y;
  y.add_(1.0);
  CHECK_THROWS_WITH(xg::sum(z).backward(), Contains("was modified in place"));
}

TEST_CASE("an in-place op cannot grow its target by broadcasting") {
  // torch: "output with shape [3] doesn't match the broadcast shape [2, 3]"
  Tensor x = xg::zeros({3}, xg::float64);
  CHECK_THROWS_AS(x.add_(xg::ones({2, 3}, xg::float64)), xg::ShapeError);
  CHECK_THROWS_WITH(x.mul_(leaf({1, 1, 1, 1, 1, 1}, {2, 3})), Contains("result's shape [2, 3] does not match"));
  CHECK_THAT(x.to_vector(), Equals(Values{0, 0, 0}));
}

TEST_CASE("outside a graph the in-place ops write in place and bump the version once each") {
  Tensor x = xg::from_vector({1, 2, 3, 4}, {2, 2}, {.dtype = xg::float64});
  x.add_(x.t());
  x -= 1.0;
  x *= x;
  x.div_(2.0);
  x.clamp_(std::nullopt, 10.0);
  CHECK_THAT(x.to_vector(), Equals(Values{0.5, 8, 8, 10}));
  CHECK(x.version() == 5);
  CHECK_FALSE(x.requires_grad());
}

TEST_CASE("a view that requires grad only through its base records the ops that use it") {
  // x = torch.zeros(2, 3); v = x[0]; v.copy_(w * 1.0); (v * 2.0).sum().backward() -> w.grad [2, 2, 2]
  Tensor w = leaf({1, 1, 1}, {3});
  Tensor x = xg::zeros({2, 3}, xg::float64);
  Tensor v = x[0];
  Tensor sibling = x[1];
  v.copy_(w * 1.0);
  CHECK(sibling.requires_grad());
  xg::sum(v * 2.0).backward();
  CHECK_THAT(w.grad().to_vector(), Approx(Values{2, 2, 2}));
  CHECK_NOTHROW(sibling.retain_grad());
}

TEST_CASE("copy_ of a leaf of the same shape connects to the leaf, fill_ leaves no NaN") {
  // x = torch.zeros(3); x.copy_(w); x.sum().backward() -> w.grad [1, 1, 1] (CopyBackwards)
  Tensor w = leaf({1, 2, 3}, {3});
  Tensor x = xg::zeros({3}, xg::float64);
  x.copy_(w);
  CHECK_FALSE(x.grad_fn() == w.grad_fn());
  xg::sum(x).backward();
  CHECK_THAT(w.grad().to_vector(), Approx(Values{1, 1, 1}));
  CHECK_FALSE(w.grad_fn());
  // y = torch.log(torch.tensor([0., 1.], requires_grad=True)); y.fill_(2.) -> [2, 2], FillBackward
  Tensor z = leaf({0, 1}, {2});
  Tensor y = xg::log(z);
  y.fill_(2.0);
  CHECK_THAT(y.to_vector(), Equals(Values{2, 2}));
  // the zero gradient meets log's 1/0 as in torch: y.sum().backward(); z.grad -> [nan, 0]
  xg::sum(y).backward();
  CHECK(std::isnan(z.grad().to_vector()[0]));
  CHECK(z.grad().to_vector()[1] == 0);
}

TEST_CASE("retain_grad follows a tensor to the node an in-place op gives it") {
  // torch 1.13: y = w * 1.0; y.retain_grad(); y.mul_(3.); y.sum().backward(); y.grad -> [1, 1]
  Tensor w = leaf({1, 1}, {2});
  Tensor y = w * 1.0;
  y.retain_grad();
  y.mul_(3.0);
  xg::sum(y).backward();
  CHECK_THAT(y.grad().to_vector(), Approx(Values{1, 1}));
  CHECK_THAT(w.grad().to_vector(), Approx(Values{3, 3}));
}

TEST_CASE("writes through views in a loop without backward free every node (no reference cycle)") {
  Tensor w = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  const int64_t before = xg::Node::live_count();
  for (int i = 0; i < 10; ++i) {
    Tensor b = w * 1.0;
    b[0].mul_(2.0);
    b.t()[1].add_(w.t()[2]);
  }
  CHECK(xg::Node::live_count() == before);
}

TEST_CASE("x += f(x) and writes of a view's own function free every node (no reference cycle)") {
  Tensor w = leaf({1, -2, 3}, {3});
  const int64_t before = xg::Node::live_count();
  for (int i = 0; i < 10; ++i) {
    Tensor x = w * 2.0;
    x += xg::relu(x);
    x.add_(x);
    Tensor b = w * 1.0;
    Tensor v = xg::slice(b, 0, 0, 2);
    v.add_(v * 2.0);
    b.mul_(xg::exp(b));
  }
  CHECK(xg::Node::live_count() == before);
  // and the gradients stay torch's: x = 2w; x += relu(x); (x * x).sum().backward() -> [32, -16, 96]
  Tensor x = w * 2.0;
  x += xg::relu(x);
  xg::sum(x * x).backward();
  CHECK_THAT(w.grad().to_vector(), Approx(Values{32, -16, 96}));
}

TEST_CASE("a view that is a leaf requiring grad refuses in-place ops, and so does a view made with grad off") {
  Tensor v = xg::zeros({4}, xg::float64).narrow(0, 0, 2);
  v.requires_grad_();
  CHECK_THROWS_WITH(v.mul_(2.0), Contains("a leaf tensor that requires grad"));
  Tensor x = xg::zeros({3}, xg::float64);
  Tensor u;
  {
    xg::NoGradGuard no_grad;
    u = xg::slice(x, 0, 0, 2);
  }
  // torch: "A view was created in no_grad mode and is being modified inplace with grad mode enabled."
  CHECK_THROWS_WITH(u.copy_(leaf({1, 2}, {2}) * 1.0), Contains("was made with grad mode off"));
}
