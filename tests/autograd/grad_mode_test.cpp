// Grad mode is a thread-local switch.
#include <autograd/grad_mode.hpp>
#include <autograd/ops/elementwise.hpp>

#include <catch2/catch.hpp>
#include <thread>

using namespace xg;

TEST_CASE("NoGradGuard and AutoGradMode restore the previous mode") {
  CHECK(is_grad_enabled());
  {
    NoGradGuard outer;
    CHECK_FALSE(is_grad_enabled());
    {
      AutoGradMode inner(true);
      CHECK(is_grad_enabled());
    }
    CHECK_FALSE(is_grad_enabled());
  }
  CHECK(is_grad_enabled());
}

TEST_CASE("grad mode is per thread") {
  NoGradGuard here;
  bool other_thread_enabled = false;
  bool other_thread_recorded = false;
  std::thread t([&] {
    other_thread_enabled = is_grad_enabled();
    Tensor x = tensor({1.0}, {.requires_grad = true});
    other_thread_recorded = (x * 2.0).grad_fn() != nullptr;
  });
  t.join();
  CHECK(other_thread_enabled);
  CHECK(other_thread_recorded);
  Tensor x = tensor({1.0}, {.requires_grad = true});
  CHECK((x * 2.0).grad_fn() == nullptr);
}
