// Losses: values against closed forms, reductions, gradients, errors.
#include <autograd/error.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/ops/softmax.hpp>
#include <autograd/random.hpp>
#include <autograd/testing.hpp>
#include <nn/loss.hpp>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace xg;
using Catch::Contains;
using nn::Reduction;

namespace {
Tensor f64(const TensorData& data, bool requires_grad = false) {
  return tensor(data, {.dtype = float64, .requires_grad = requires_grad});
}
Tensor labels(std::vector<int64_t> v) { return from_vector(v, {static_cast<int64_t>(v.size())}); }
double log_softmax_at(const std::vector<double>& row, size_t k) {
  double z = 0;
  for (double v : row) z += std::exp(v);
  return row[k] - std::log(z);
}
}  // namespace

TEST_CASE("MSELoss is the mean, sum or elementwise squared error") {
  Tensor x = f64({1, 2, 3}), y = f64({1, 1, 1});
  CHECK(nn::MSELoss()(x, y).item() == Approx(5.0 / 3.0));
  CHECK(nn::MSELoss(Reduction::sum)(x, y).item() == 5.0);
  CHECK(nn::MSELoss(Reduction::none)(x, y).to_vector() == std::vector<double>{0, 1, 4});
  CHECK_THROWS_WITH(nn::mse_loss(x, f64({1, 1})), Contains("mse_loss") && Contains("[3]") && Contains("[2]"));
}

TEST_CASE("BCELoss matches -[y log x + (1 - y) log(1 - x)] and clamps the logs at -100") {
  Tensor x = f64({0.8, 0.3}), y = f64({1, 0});
  CHECK(nn::BCELoss()(x, y).item() == Approx(-(std::log(0.8) + std::log(0.7)) / 2));
  CHECK(nn::BCELoss(Reduction::none)(f64({0.0, 1.0, 0.0}), f64({1, 0, 0})).to_vector() ==
        std::vector<double>{100, 100, 0});
  Tensor edge = f64({0.0, 1.0, 0.5}, true);
  nn::binary_cross_entropy(edge, f64({0, 1, 1})).backward();
  for (double g : edge.grad().to_vector()) CHECK(std::isfinite(g));  // torch's formula, no NaN at 0 and 1
  CHECK(edge.grad().to_vector()[2] == Approx((0.5 - 1) / 0.25 / 3));
}

TEST_CASE("BCELoss refuses values outside [0, 1]") {
  CHECK_THROWS_WITH(nn::BCELoss()(f64({0.5, 1.2}), f64({1, 0})),
                    Contains("binary_cross_entropy") && Contains("input") && Contains("1.2"));
  CHECK_THROWS_WITH(nn::BCELoss()(f64({0.5, 0.2}), f64({1, -1})), Contains("target") && Contains("-1"));
  CHECK_THROWS_AS(nn::BCELoss()(f64({0.5}), f64({0.5, 0.5})), ShapeError);
}

TEST_CASE("BCEWithLogitsLoss equals BCE of the sigmoid and stays finite for large logits") {
  Tensor z = f64({0, 2, -3}), y = f64({1, 0, 1});
  CHECK(nn::BCEWithLogitsLoss()(z, y).item() == Approx(nn::BCELoss()(sigmoid(z), y).item()).epsilon(1e-12));
  Tensor big = f64({1000, -1000}, true);
  Tensor l = nn::BCEWithLogitsLoss(Reduction::sum)(big, f64({0, 1}));
  CHECK(l.item() == Approx(2000.0));
  l.backward();
  CHECK(big.grad().to_vector() == std::vector<double>{1.0, -1.0});
  Tensor zero = f64({0.0}, true);
  nn::binary_cross_entropy_with_logits(zero, f64({1.0})).backward();
  CHECK(zero.grad().item() == Approx(-0.5));  // sigmoid(0) - 1, exactly at the kink of |z|
}

TEST_CASE("CrossEntropyLoss with class indices is log_softmax then NLL, mean over N") {
  Tensor logits = f64({{1, 2, 3}, {1, 1, 1}});
  const double l0 = -log_softmax_at({1, 2, 3}, 2), l1 = -log_softmax_at({1, 1, 1}, 0);
  CHECK(nn::CrossEntropyLoss()(logits, labels({2, 0})).item() == Approx((l0 + l1) / 2));
  CHECK(nn::CrossEntropyLoss(Reduction::sum)(logits, labels({2, 0})).item() == Approx(l0 + l1));
  const auto none = nn::CrossEntropyLoss(Reduction::none)(logits, labels({2, 0})).to_vector();
  CHECK(none[0] == Approx(l0));
  CHECK(none[1] == Approx(std::log(3.0)));
  CHECK(nn::cross_entropy(f64({1, 2, 3}), tensor(2.0, {.dtype = int64})).item() == Approx(l0));  // unbatched
}

TEST_CASE("CrossEntropyLoss with class probabilities") {
  Tensor logits = f64({{1, 2, 3}, {1, 1, 1}});
  Tensor p = f64({{0, 0, 1}, {0.5, 0.25, 0.25}});
  const double expected = (-log_softmax_at({1, 2, 3}, 2) + std::log(3.0)) / 2;
  CHECK(nn::CrossEntropyLoss()(logits, p).item() == Approx(expected));
  CHECK_THROWS_AS(nn::CrossEntropyLoss()(logits, f64({{0, 0, 2}, {1, 0, 0}})), ValueError);
}

TEST_CASE("CrossEntropyLoss is stable for large logits") {
  Tensor logits = f64({{1000, 0, -1000}}, true);
  Tensor l = nn::cross_entropy(logits, labels({0}));
  CHECK(l.item() == Approx(0.0).margin(1e-12));
  l.backward();
  for (double g : logits.grad().to_vector()) CHECK(std::isfinite(g));
}

TEST_CASE("NLLLoss picks -input[n, target[n]]") {
  Tensor logp = f64({{-1, -2, -3}, {-0.5, -0.25, -4}});
  CHECK(nn::NLLLoss()(logp, labels({1, 2})).item() == Approx((2 + 4) / 2.0));
  CHECK(nn::NLLLoss(Reduction::none)(logp, labels({0, 1})).to_vector() == std::vector<double>{1, 0.25});
}

TEST_CASE("class-index losses name an out-of-range label and mismatched shapes") {
  Tensor logits = f64({{1, 2, 3}, {1, 1, 1}});
  CHECK_THROWS_WITH(nn::cross_entropy(logits, labels({2, 3})),
                    Contains("cross_entropy") && Contains("target 3") && Contains("3 classes"));
  CHECK_THROWS_AS(nn::cross_entropy(logits, labels({-1, 0})), ValueError);
  CHECK_THROWS_WITH(nn::nll_loss(logits, labels({0, 1, 2})), Contains("[2, 3]") && Contains("[3]"));
  CHECK_THROWS_AS(nn::nll_loss(logits, f64({0, 1})), DtypeError);
}

TEST_CASE("errors reached through cross_entropy name cross_entropy, not the nll_loss it is built on") {
  Tensor logits = f64({{1, 2, 3}, {1, 1, 1}});
  CHECK_THROWS_WITH(nn::cross_entropy(logits, labels({0, 5})),
                    Contains("cross_entropy: target 5 at index 1") && !Contains("nll_loss"));
  CHECK_THROWS_WITH(nn::cross_entropy(logits, labels({0, 1, 2})),
                    Contains("cross_entropy:") && Contains("[2, 3]") && Contains("[3]") && !Contains("nll_loss"));
  CHECK_THROWS_WITH(nn::nll_loss(logits, labels({0, 5})), Contains("nll_loss: target 5 at index 1"));
}

TEST_CASE("a -inf log-probability of a class not picked gives a finite loss, as in torch") {
  const double inf = std::numeric_limits<double>::infinity();
  // torch.nn.functional.nll_loss(torch.tensor([[-inf, -0.5], [-1.0, -inf]]), torch.tensor([1, 0])) == 0.75
  Tensor logp = f64({{-inf, -0.5}, {-1.0, -inf}}, true);
  Tensor nll = nn::nll_loss(logp, labels({1, 0}));
  CHECK(nll.item() == 0.75);
  nll.backward();
  CHECK(logp.grad().to_vector() == std::vector<double>{0, -0.5, -0.5, 0});
  // the log of a probability 0 (NLL of log(0)) in another class
  Tensor probs = f64({{0.0, 0.25, 0.75}});
  CHECK(nn::nll_loss(log(probs), labels({2})).item() == Approx(-std::log(0.75)));
  // cross_entropy([[0, -inf]], [0]) == 0: the -inf logit has probability 0
  Tensor logits = f64({{0.0, -inf}}, true);
  Tensor ce = nn::cross_entropy(logits, labels({0}));
  CHECK(ce.item() == 0.0);
  ce.backward();
  CHECK(logits.grad().to_vector() == std::vector<double>{0, 0});  // softmax - one_hot
  // picking the -inf class itself is an infinite loss, as in torch
  CHECK(nn::nll_loss(f64({{-inf, -0.5}}), labels({0})).item() == inf);
}

TEST_CASE("every loss's gradients match central differences",
          "[op:mse_loss][op:bce_with_logits][op:bce][op:cross_entropy][op:nll_loss]") {
  manual_seed(11);
  Tensor x = randn({4, 3}, float64).requires_grad_();
  Tensor probs = sigmoid(randn({4, 3}, float64)).detach().requires_grad_();
  Tensor target = rand({4, 3}, float64);
  Tensor idx = labels({0, 2, 1, 2});
  using In = std::vector<Tensor>;
  for (Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
    CHECK_THAT((In{x, target}), testing::PassesGradcheck([r](const In& in) { return nn::mse_loss(in[0], in[1], r); }));
    CHECK_THAT((In{probs}),
               testing::PassesGradcheck([&](const In& in) { return nn::binary_cross_entropy(in[0], target, r); }));
    CHECK_THAT((In{x}), testing::PassesGradcheck(
                            [&](const In& in) { return nn::binary_cross_entropy_with_logits(in[0], target, r); }));
    CHECK_THAT((In{x}), testing::PassesGradcheck([&](const In& in) { return nn::cross_entropy(in[0], idx, r); }));
    CHECK_THAT((In{x}), testing::PassesGradcheck([&](const In& in) { return nn::nll_loss(in[0], idx, r); }));
  }
  Tensor soft = softmax(randn({4, 3}, float64), 1).detach();
  CHECK_THAT((In{x}), testing::PassesGradcheck([&](const In& in) { return nn::cross_entropy(in[0], soft); }));
  // targets may require grad too (BCE, BCE with logits, MSE), as in torch
  Tensor t2 = target.detach().requires_grad_();
  CHECK_THAT((In{probs, t2}),
             testing::PassesGradcheck([](const In& in) { return nn::binary_cross_entropy(in[0], in[1]); }));
  CHECK_THAT((In{x, t2}),
             testing::PassesGradcheck([](const In& in) { return nn::binary_cross_entropy_with_logits(in[0], in[1]); }));
}

TEST_CASE("the smooth losses have correct second derivatives") {
  manual_seed(12);
  Tensor x = randn({3, 4}, float64).requires_grad_();
  Tensor target = rand({3, 4}, float64);
  using In = std::vector<Tensor>;
  CHECK_THAT((In{x}), testing::PassesGradgradcheck([&](const In& in) { return nn::mse_loss(in[0], target); }));
  CHECK_THAT((In{x}), testing::PassesGradgradcheck([&](const In& in) {
               return nn::cross_entropy(in[0], labels({1, 0, 3}));
             }));
  CHECK_THAT((In{x}), testing::PassesGradgradcheck(
                          [&](const In& in) { return nn::binary_cross_entropy_with_logits(in[0], target); }));
}
