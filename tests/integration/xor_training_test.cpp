// Training sanity: the 2-4-1 sigmoid network learns XOR with SGD + momentum, seeded and
// repeatable to the bit.
#include <autograd/autograd.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <catch2/catch.hpp>

using namespace xg;

namespace {
struct Result {
  std::vector<double> losses;
  std::vector<double> predictions;
  std::vector<std::vector<double>> weights;
};

Result train_xor(uint64_t seed) {
  manual_seed(seed);
  nn::Sequential net(nn::Linear(2, 4), nn::Sigmoid(), nn::Linear(4, 1), nn::Sigmoid());
  Tensor x = tensor({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  Tensor y = tensor({{0}, {1}, {1}, {0}});
  optim::SGD sgd(net.parameters(), {.lr = 0.5, .momentum = 0.9});
  nn::MSELoss loss_fn;
  Result r;
  for (int epoch = 0; epoch < 2000; ++epoch) {
    sgd.zero_grad();
    Tensor loss = loss_fn(net(x), y);
    loss.backward();
    sgd.step();
    r.losses.push_back(loss.item());
  }
  r.predictions = net(x).to_vector();
  for (const Tensor& p : net.parameters()) r.weights.push_back(p.to_vector());
  return r;
}
}  // namespace

TEST_CASE("a 2-4-1 sigmoid network learns XOR with SGD and momentum") {
  const Result r = train_xor(7);
  CHECK(r.losses.back() < 0.01);
  CHECK(r.predictions[0] < 0.2);
  CHECK(r.predictions[1] > 0.8);
  CHECK(r.predictions[2] > 0.8);
  CHECK(r.predictions[3] < 0.2);
}

TEST_CASE("XOR training is repeatable to the bit with the same seed") {
  const Result a = train_xor(7);
  const Result b = train_xor(7);
  CHECK(a.losses == b.losses);
  CHECK(a.weights == b.weights);
  CHECK(train_xor(8).losses != a.losses);
}
