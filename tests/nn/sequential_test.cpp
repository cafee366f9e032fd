// nn::Sequential: construction from modules, order, names.
#include <autograd/error.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/random.hpp>
#include <nn/activation.hpp>
#include <nn/linear.hpp>
#include <nn/sequential.hpp>

#include <catch2/catch.hpp>

using namespace xg;

TEST_CASE("Sequential applies its modules in order and names them 0, 1, ...") {
  manual_seed(1);
  nn::Sequential net(nn::Linear(4, 8), nn::Tanh(), nn::Linear(8, 3));
  CHECK(net.size() == 3);
  CHECK(net.named_parameters()[0].first == "0.weight");
  CHECK(net.named_parameters()[3].first == "2.bias");
  Tensor x = randn({5, 4});
  auto first = std::dynamic_pointer_cast<nn::Linear>(net[0]);
  auto last = std::dynamic_pointer_cast<nn::Linear>(net[2]);
  REQUIRE(first);
  REQUIRE(last);
  CHECK(net(x).to_vector() == (*last)(tanh((*first)(x))).to_vector());
  CHECK(net(x).shape() == Shape{5, 3});
  CHECK_THROWS_AS(net[3], ValueError);
}

TEST_CASE("Sequential takes shared modules too, and push_back extends it") {
  auto shared = std::make_shared<nn::Linear>(2, 2);
  nn::Sequential net(shared, nn::ReLU());
  net.push_back(nn::Linear(2, 1));
  CHECK(net.size() == 3);
  CHECK(net.parameters()[0].is_same(shared->weight));
  CHECK(net(ones({1, 2})).shape() == Shape{1, 1});
}

TEST_CASE("Sequential built from another Sequential moved in takes its children, and push_back nests it") {
  nn::Sequential a(nn::Linear(2, 3), nn::Tanh());
  nn::Sequential b(std::move(a));  // the move constructor, as for any C++ object: b is what a was
  CHECK(b.size() == 2);
  CHECK(b.named_parameters()[0].first == "0.weight");
  nn::Sequential outer;
  outer.push_back(std::make_shared<nn::Sequential>(std::move(b)));
  outer.push_back(nn::Linear(3, 1));
  CHECK(outer.size() == 2);
  CHECK(outer.named_parameters()[0].first == "0.0.weight");
  CHECK(outer(ones({4, 2})).shape() == Shape{4, 1});
}
