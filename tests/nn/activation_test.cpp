// Activation modules, Flatten and Dropout.
#include <autograd/error.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/ops/softmax.hpp>
#include <autograd/random.hpp>
#include <nn/activation.hpp>

#include <catch2/catch.hpp>
#include <cmath>

using namespace xg;

TEST_CASE("activation modules compute their functions") {
  Tensor x = tensor({-2.0, 0.0, 40.0, 50.0}, {.dtype = float64});
  CHECK(nn::Sigmoid()(x).to_vector() == sigmoid(x).to_vector());
  CHECK(nn::Tanh()(x).to_vector() == tanh(x).to_vector());
  CHECK(nn::ReLU()(x).to_vector() == std::vector<double>{0, 0, 40, 50});
  CHECK(nn::LeakyReLU()(x).to_vector()[0] == Approx(-0.02));
  CHECK(nn::LeakyReLU(0.5)(x).to_vector()[0] == Approx(-1.0));
  CHECK(nn::Softplus()(x).to_vector()[1] == Approx(std::log(2.0)));
  CHECK(nn::Softmax(0)(x).to_vector() == softmax(x, 0).to_vector());
  CHECK(nn::LogSoftmax()(x).to_vector() == log_softmax(x, -1).to_vector());
}

TEST_CASE("Step is the perceptron's threshold unit") {
  // inputs summed against a threshold of 40: 30 does not fire, 40 and 50 do
  nn::Step unit(40.0);
  CHECK(unit(tensor({30.0, 40.0, 50.0})).to_vector() == std::vector<double>{0, 1, 1});
  CHECK(nn::Step()(tensor({-1.0, 0.0, 1.0})).to_vector() == std::vector<double>{0, 1, 1});
}

TEST_CASE("Flatten keeps the batch axis") {
  CHECK(nn::Flatten()(zeros({5, 28, 28})).shape() == Shape{5, 784});
  CHECK_THROWS_AS(nn::Flatten()(tensor(1.0)), ShapeError);
}

TEST_CASE("Dropout zeroes about p of the elements in training and scales the rest") {
  manual_seed(9);
  nn::Dropout dropout(0.25);
  Tensor x = ones({10000}, float64);
  const auto y = dropout(x).to_vector();
  int zeros_seen = 0;
  for (double v : y) {
    if (v == 0.0)
      ++zeros_seen;
    else
      CHECK(v == Approx(1.0 / 0.75));
  }
  CHECK(zeros_seen == Approx(2500).margin(150));
  CHECK(sum(dropout(x)).item() == Approx(10000).epsilon(0.03));  // expectation preserved
}

TEST_CASE("Dropout is the identity in eval mode, and its mask is seeded") {
  nn::Dropout dropout(0.5);
  Tensor x = randn({100});
  dropout.eval();
  CHECK(dropout(x).is_same(x));
  dropout.train();
  manual_seed(4);
  const auto a = dropout(x).to_vector();
  manual_seed(4);
  CHECK(dropout(x).to_vector() == a);
  CHECK_THROWS_AS(nn::Dropout(1.5), ValueError);
}

TEST_CASE("Dropout passes gradients through the kept elements only") {
  manual_seed(2);
  nn::Dropout dropout(0.5);
  Tensor x = ones({50}, {.dtype = float64, .requires_grad = true});
  Tensor y = dropout(x);
  y.sum().backward();
  CHECK(x.grad().to_vector() == y.detach().to_vector());  // 2 where kept, 0 where dropped
}
