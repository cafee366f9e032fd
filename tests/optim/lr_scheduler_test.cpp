// Tests of optim/lr_scheduler: each schedule at several epochs against its closed form
// (torch.optim.lr_scheduler.CosineAnnealingLR's values at lr 0.1, T_max 10 included), warm-up with LinearLR and
// SequentialLR, and the argument checks.
#include <optim/lr_scheduler.hpp>
#include <optim/sgd.hpp>

#include <autograd/error.hpp>
#include <autograd/tensor.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <memory>
#include <numbers>
#include <vector>

using xg::Tensor;
using xg::optim::CosineAnnealingLR;
using xg::optim::ExponentialLR;
using xg::optim::LinearLR;
using xg::optim::LRScheduler;
using xg::optim::SequentialLR;
using xg::optim::SGD;
using xg::optim::StepLR;

namespace {

Tensor parameter() { return xg::tensor({1.0}, {.dtype = xg::float64, .requires_grad = true}); }

// The optimizer's lr of group 0 after each of epochs 0..last (epoch 0: right after construction).
std::vector<double> lrs_over(SGD& sgd, LRScheduler& schedule, int64_t last) {
  std::vector<double> lrs = {sgd.lr(0)};
  for (int64_t epoch = 1; epoch <= last; ++epoch) {
    schedule.step();
    CHECK(schedule.last_epoch() == epoch);
    CHECK(schedule.get_last_lr()[0] == sgd.lr(0));
    lrs.push_back(sgd.lr(0));
  }
  return lrs;
}

}  // namespace

TEST_CASE("StepLR multiplies the lr by gamma every step_size epochs") {
  Tensor w = parameter();
  SGD sgd({w}, {.lr = 0.1});
  StepLR schedule(sgd, 3, 0.5);
  CHECK(schedule.last_epoch() == 0);
  const std::vector<double> lrs = lrs_over(sgd, schedule, 9);
  for (int64_t t = 0; t <= 9; ++t) {
    INFO("epoch " << t);
    CHECK(lrs[t] == Approx(0.1 * std::pow(0.5, t / 3)).epsilon(1e-15));
  }
  CHECK(lrs[2] == Approx(0.1));
  CHECK(lrs[3] == Approx(0.05));
  CHECK(lrs[9] == Approx(0.0125));
}

TEST_CASE("StepLR's gamma defaults to torch's 0.1") {
  Tensor w = parameter();
  SGD sgd({w}, {.lr = 1.0});
  StepLR schedule(sgd, 2);
  CHECK(lrs_over(sgd, schedule, 4) == std::vector<double>{1.0, 1.0, 0.1, 0.1, 1.0 * std::pow(0.1, 2)});
}

TEST_CASE("ExponentialLR multiplies the lr by gamma every epoch") {
  Tensor w = parameter();
  SGD sgd({w}, {.lr = 0.2});
  ExponentialLR schedule(sgd, 0.9);
  const std::vector<double> lrs = lrs_over(sgd, schedule, 6);
  for (int64_t t = 0; t <= 6; ++t) {
    INFO("epoch " << t);
    CHECK(lrs[t] == Approx(0.2 * std::pow(0.9, t)).epsilon(1e-15));
  }
  CHECK(lrs[2] == Approx(0.162));
}

TEST_CASE("CosineAnnealingLR matches torch's values and rises again past T_max") {
  Tensor w = parameter();
  SGD sgd({w}, {.lr = 0.1});
  CosineAnnealingLR schedule(sgd, 10);
  const std::vector<double> lrs = lrs_over(sgd, schedule, 20);
  const std::map<int64_t, double> reference = {{1, 0.097553}, {5, 0.05},      {9, 0.002447},
                                               {10, 0.0},     {11, 0.002447}, {20, 0.1}};
  for (const auto& [t, lr] : reference) {
    INFO("epoch " << t);
    CHECK(lrs[t] == Approx(lr).margin(5e-7));
  }
  for (int64_t t = 0; t <= 20; ++t) {
    INFO("epoch " << t);
    CHECK(lrs[t] == Approx(0.1 * (1 + std::cos(std::numbers::pi * t / 10)) / 2).margin(1e-15));
  }
  CHECK(lrs[11] > lrs[10]);  // no clamp at T_max
}

TEST_CASE("CosineAnnealingLR anneals down to eta_min") {
  Tensor w = parameter();
  SGD sgd({w}, {.lr = 0.1});
  CosineAnnealingLR schedule(sgd, 4, 0.02);
  const std::vector<double> lrs = lrs_over(sgd, schedule, 8);
  CHECK(lrs[0] == Approx(0.1));
  CHECK(lrs[2] == Approx(0.06));
  CHECK(lrs[4] == Approx(0.02));
  CHECK(lrs[6] == Approx(0.06));
  CHECK(lrs[8] == Approx(0.1));
  CHECK(schedule.lr_at(1, 0.1) == Approx(0.02 + 0.08 * (1 + std::cos(std::numbers::pi / 4)) / 2));
}

TEST_CASE("LinearLR warms the lr up from start_factor to end_factor over total_iters epochs") {
  Tensor w = parameter();
  SGD sgd({w}, {.lr = 0.3});
  LinearLR warmup(sgd);  // torch's defaults: 1/3 -> 1 over 5 epochs
  const std::vector<double> lrs = lrs_over(sgd, warmup, 8);
  for (int64_t t = 0; t <= 8; ++t) {
    INFO("epoch " << t);
    const double factor = 1.0 / 3 + (1.0 - 1.0 / 3) * static_cast<double>(std::min<int64_t>(t, 5)) / 5;
    CHECK(lrs[t] == Approx(0.3 * factor).epsilon(1e-15));
  }
  CHECK(lrs[0] == Approx(0.1));
  CHECK(lrs[5] == Approx(0.3));
  CHECK(lrs[8] == Approx(0.3));
}

TEST_CASE("LinearLR can also decay linearly") {
  Tensor w = parameter();
  SGD sgd({w}, {.lr = 1.0});
  LinearLR decay(sgd, 1.0, 0.5, 4);
  CHECK(lrs_over(sgd, decay, 5) == std::vector<double>{1.0, 0.875, 0.75, 0.625, 0.5, 0.5});
}

TEST_CASE("SequentialLR runs a linear warm-up, then cosine annealing from the configured lr") {
  Tensor w = parameter();
  SGD sgd({w}, {.lr = 0.1});
  auto warmup = std::make_shared<LinearLR>(sgd, 0.1, 1.0, 5);
  auto cosine = std::make_shared<CosineAnnealingLR>(sgd, 10);
  SequentialLR schedule(sgd, {warmup, cosine}, {5});
  const std::vector<double> lrs = lrs_over(sgd, schedule, 25);
  for (int64_t t = 0; t < 5; ++t) {
    INFO("warm-up epoch " << t);
    CHECK(lrs[t] == Approx(0.1 * (0.1 + 0.9 * static_cast<double>(t) / 5)).epsilon(1e-15));
  }
  for (int64_t t = 5; t <= 25; ++t) {
    INFO("cosine epoch " << t << " (its own epoch " << t - 5 << ")");
    CHECK(lrs[t] == Approx(0.1 * (1 + std::cos(std::numbers::pi * static_cast<double>(t - 5) / 10)) / 2).margin(1e-15));
  }
  CHECK(lrs[0] == Approx(0.01));
  CHECK(lrs[5] == Approx(0.1));  // the cosine starts from the configured lr, not the warm-up's
  CHECK(lrs[10] == Approx(0.05));
  CHECK(lrs[15] == Approx(0.0).margin(1e-15));
}

TEST_CASE("SequentialLR chains three schedules at two milestones") {
  Tensor w = parameter();
  SGD sgd({w}, {.lr = 1.0});
  auto warmup = std::make_shared<LinearLR>(sgd, 0.5, 1.0, 2);
  auto steady = std::make_shared<StepLR>(sgd, 100, 0.1);
  auto decay = std::make_shared<ExponentialLR>(sgd, 0.5);
  SequentialLR schedule(sgd, {warmup, steady, decay}, {2, 5});
  const std::vector<double> lrs = lrs_over(sgd, schedule, 7);
  CHECK(lrs == std::vector<double>{0.5, 0.75, 1.0, 1.0, 1.0, 1.0, 0.5, 0.25});
}

TEST_CASE("a schedule sets each param group's lr from that group's own initial lr") {
  Tensor a = parameter();
  Tensor b = parameter();
  SGD sgd({{.params = {a}, .options = {.lr = 0.1}}, {.params = {b}, .options = {.lr = 0.01}}});
  ExponentialLR schedule(sgd, 0.5);
  schedule.step();
  CHECK(schedule.get_last_lr() == std::vector<double>{0.05, 0.005});
  CHECK(sgd.lr(0) == 0.05);
  CHECK(sgd.lr(1) == 0.005);
  CHECK(sgd.initial_lr(0) == 0.1);
  CHECK(sgd.initial_lr(1) == 0.01);
}

TEST_CASE("the optimizer steps with the lr the schedule set") {
  Tensor w = parameter();
  SGD sgd({w}, {.lr = 0.1});
  StepLR schedule(sgd, 1, 0.5);
  w.mutable_grad() = xg::ones({1}, xg::float64);
  sgd.step();  // lr 0.1
  schedule.step();
  sgd.step();  // lr 0.05
  CHECK(w.item() == Approx(1.0 - 0.1 - 0.05).epsilon(1e-14));
}

TEST_CASE("a schedule refuses to run on an optimizer whose groups changed, changing nothing") {
  Tensor a = parameter();
  Tensor b = parameter();
  SGD sgd({a}, {.lr = 0.1});
  ExponentialLR schedule(sgd, 0.5);
  sgd.add_param_group({.params = {b}, .options = {.lr = 0.3}});
  CHECK_THROWS_WITH(schedule.step(),
                    Catch::Contains("ExponentialLR") && Catch::Contains("2 param groups") && Catch::Contains("had 1"));
  CHECK(sgd.lr(0) == 0.1);
  CHECK(sgd.lr(1) == 0.3);
  CHECK(schedule.last_epoch() == 0);
}

TEST_CASE("schedules refuse invalid arguments as torch does, before touching the optimizer") {
  Tensor w = parameter();
  SGD sgd({w}, {.lr = 0.1});
  CHECK_THROWS_AS(StepLR(sgd, 0), xg::ValueError);
  CHECK_THROWS_WITH(StepLR(sgd, 0),
                    Catch::Contains("StepLR") && Catch::Contains("step_size = 0") && Catch::Contains("step_size > 0"));
  CHECK_THROWS_WITH(StepLR(sgd, 2, -0.5), Catch::Contains("gamma = -0.5") && Catch::Contains("gamma > 0"));
  CHECK_THROWS_WITH(ExponentialLR(sgd, 0.0), Catch::Contains("ExponentialLR") && Catch::Contains("gamma > 0"));
  CHECK_THROWS_WITH(CosineAnnealingLR(sgd, 0), Catch::Contains("CosineAnnealingLR") && Catch::Contains("T_max = 0") &&
                                                   Catch::Contains("T_max > 0"));
  CHECK_THROWS_WITH(CosineAnnealingLR(sgd, 10, -0.1), Catch::Contains("eta_min = -0.1"));
  CHECK_THROWS_WITH(LinearLR(sgd, 0.0), Catch::Contains("LinearLR") && Catch::Contains("start_factor = 0") &&
                                            Catch::Contains("0 < start_factor <= 1"));
  CHECK_THROWS_WITH(LinearLR(sgd, 1.5), Catch::Contains("start_factor = 1.5"));
  CHECK_THROWS_WITH(LinearLR(sgd, 0.5, 1.5),
                    Catch::Contains("end_factor = 1.5") && Catch::Contains("0 <= end_factor <= 1"));
  CHECK_THROWS_WITH(LinearLR(sgd, 0.5, 1.0, 0), Catch::Contains("total_iters = 0"));
  CHECK(sgd.lr(0) == 0.1);
  CHECK_FALSE(sgd.initial_lr(0).has_value());

  auto first = std::make_shared<LinearLR>(sgd, 0.5, 1.0, 2);
  auto second = std::make_shared<ExponentialLR>(sgd, 0.9);
  auto third = std::make_shared<ExponentialLR>(sgd, 0.8);
  CHECK_THROWS_WITH(SequentialLR(sgd, {first, second}, {}),
                    Catch::Contains("SequentialLR") && Catch::Contains("2 schedulers need 1 milestones, got 0"));
  CHECK_THROWS_WITH(SequentialLR(sgd, {first, second}, {2, 4}), Catch::Contains("got 2"));
  CHECK_THROWS_WITH(SequentialLR(sgd, {first, second, third}, {4, 2}),
                    Catch::Contains("milestones, [4, 2]") && Catch::Contains("strictly increasing"));
  CHECK_THROWS_WITH(SequentialLR(sgd, {first, second}, {0}), Catch::Contains("> 0"));
  CHECK_THROWS_WITH(SequentialLR(sgd, {}, {}), Catch::Contains("no schedulers"));
  CHECK_THROWS_WITH(SequentialLR(sgd, {first, nullptr}, {2}), Catch::Contains("scheduler 1 is null"));

  Tensor v = parameter();
  SGD other({v}, {.lr = 0.1});
  auto elsewhere = std::make_shared<ExponentialLR>(other, 0.9);
  CHECK_THROWS_WITH(SequentialLR(sgd, {first, elsewhere}, {2}),
                    Catch::Contains("scheduler 1 belongs to another optimizer"));
}
