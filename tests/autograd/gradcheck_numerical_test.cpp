// gradcheck's numerical side: inputs checked as float64 copies (and left untouched), float32
// parameters converted and restored, keep_float32 with Stan's step.
#include <autograd/anomaly.hpp>
#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/gradcheck.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/linalg.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/random.hpp>
#include <autograd/testing.hpp>
#include <nn/linear.hpp>
#include <support/broken_ops.hpp>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <algorithm>
#include <functional>
#include <iostream>
#include <stdexcept>

using namespace xg;
using namespace xg::test;
using Catch::Contains;
using Catch::StartsWith;

TEST_CASE("gradcheck refuses float32 inputs unless asked to check float64 copies") {
  Tensor x = tensor({0.7}, {.requires_grad = true});  // float32
  auto fn = [](const std::vector<Tensor>& in) { return in[0] * tanh(in[0]); };
  CHECK_THROWS_AS(gradcheck(fn, {x}), DtypeError);
  CHECK_THROWS_WITH(gradcheck(fn, {x}), Contains("float32") && Contains("allow_float32"));
  GradcheckResult r = gradcheck(fn, {x}, {.allow_float32 = true});
  CHECK(r.passed);
  CHECK(r.max_difference < 1e-8);  // float64 copies: torch's float32 check is off by 9.3e-3 here
}

TEST_CASE("gradcheck does not modify its inputs") {
  Tensor x = tensor({0.25, 0.5}, {.dtype = float64, .requires_grad = true});
  gradcheck([](const std::vector<Tensor>& in) { return exp(in[0]); }, {x});
  CHECK(x.to_vector() == std::vector<double>{0.25, 0.5});
  CHECK(x.version() == 0);
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("float32 parameters are checked as float64 and restored exactly") {
  manual_seed(3);
  Tensor w = randn({3, 2}).requires_grad_();  // float32
  Tensor b = randn({2}).requires_grad_();
  Tensor x = randn({4, 3}).requires_grad_();
  const std::vector<double> w_before = w.to_vector(), b_before = b.to_vector();
  std::vector<Dtype> seen;
  auto model = [&](const std::vector<Tensor>& in) {
    seen.push_back(w.dtype());
    return tanh(matmul(in[0], w) + b);
  };
  GradcheckResult r = gradcheck(model, {x}, {.allow_float32 = true, .parameters = {w, b}});
  CHECK(r.passed);
  CHECK(r.max_difference < 1e-8);
  REQUIRE(r.pairs.size() == 1);
  CHECK(r.pairs[0].dtype == Dtype::float32);
  CHECK_THAT(r.report(), Contains("float32 inputs checked as float64 copies"));
  REQUIRE_FALSE(seen.empty());
  CHECK(std::all_of(seen.begin(), seen.end(), [](Dtype d) { return d == Dtype::float64; }));
  CHECK(w.dtype() == Dtype::float32);
  CHECK(b.dtype() == Dtype::float32);
  CHECK(w.to_vector() == w_before);
  CHECK(b.to_vector() == b_before);
  CHECK_FALSE(w.grad().defined());
  CHECK(gradgradcheck(model, {x}, {.allow_float32 = true, .parameters = {w, b}}).passed);
  CHECK(w.dtype() == Dtype::float32);

  // restored when fn throws, too
  auto throwing = [&](const std::vector<Tensor>& in) -> Tensor {
    if (w.dtype() == Dtype::float64) throw std::runtime_error("boom");
    return in[0];
  };
  CHECK_THROWS_WITH(gradcheck(throwing, {x}, {.allow_float32 = true, .parameters = {w, b}}), "boom");
  CHECK(w.dtype() == Dtype::float32);
  CHECK(w.to_vector() == w_before);
  CHECK(b.to_vector() == b_before);
}

TEST_CASE("a float32 nn::Linear model is checked through its parameters") {
  manual_seed(5);
  nn::Linear model(3, 2);  // float32
  REQUIRE(model.weight.dtype() == Dtype::float32);
  const std::vector<double> weight_before = model.weight.to_vector();
  Tensor x = randn({4, 3}).requires_grad_();
  auto fn = [&](const std::vector<Tensor>& in) { return tanh(model.forward(in[0])); };
  GradcheckResult r = gradcheck(fn, {x}, {.allow_float32 = true, .parameters = model.parameters()});
  CHECK(r.passed);
  CHECK(r.max_difference < 1e-8);
  CHECK(model.weight.dtype() == Dtype::float32);
  CHECK(model.bias.dtype() == Dtype::float32);
  CHECK(model.weight.to_vector() == weight_before);
}

TEST_CASE("keep_float32 checks a float32 function in float32 with Stan's step and the realised step") {
  // torch's example f(x) = x tanh x at 0.7: float32 with eps 1e-6 is off by 9.3e-3
  Tensor x = xg::tensor({0.7, -1.3, 2.5}, {.requires_grad = true});  // float32
  auto fn = [](const std::vector<Tensor>& in) { return in[0] * xg::tanh(in[0]); };
  const GradcheckResult r = xg::gradcheck(fn, {x}, {.keep_float32 = true});
  CHECK(r.passed);
  CHECK(r.max_difference < 1e-3);
  CHECK_THAT(r.step_note, Contains("Stan's step") && Contains("realised steps"));
  CHECK_THAT(r.report(), Contains("float32 kept"));
  // the realised step differs from 2h in float32: h = cbrt(eps32) * max(1, |x|) is ~4.9e-3 at 0.7
  const double h = std::cbrt(static_cast<double>(std::numeric_limits<float>::epsilon()));
  CHECK(h == Approx(4.9e-3).epsilon(0.01));
  // a broken float32 op still fails in this mode
  const GradcheckResult bad =
      xg::gradcheck([](const std::vector<Tensor>& in) { return bad_square(in[0]); }, {x}, {.keep_float32 = true});
  CHECK_FALSE(bad.passed);
  CHECK(bad.diagnosis.find("0.5 x numerical") != std::string::npos);
}
