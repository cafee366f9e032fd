// Catch2 (v2) matchers for gradient tests: one line per check, and on failure the gradcheck
// report (which input, which element, analytic vs numerical) in the test output.
//
//   CHECK_THAT((std::vector<xg::Tensor>{x, w}), xg::testing::PassesGradcheck(
//       [](const std::vector<xg::Tensor>& in) { return xg::tanh(xg::matmul(in[0], in[1])); }));
#pragma once

#include <autograd/format.hpp>
#include <autograd/gradcheck.hpp>

#include <catch2/catch.hpp>

namespace xg::testing {

class GradcheckMatcher : public Catch::MatcherBase<std::vector<Tensor>> {
 public:
  GradcheckMatcher(TensorFunction fn, GradcheckOptions options, bool second_order)
      : fn_(std::move(fn)), options_(options), second_order_(second_order) {}

  bool match(const std::vector<Tensor>& inputs) const override {
    result_ = second_order_ ? gradgradcheck(fn_, inputs, options_) : gradcheck(fn_, inputs, options_);
    return result_.passed;
  }

  std::string describe() const override {
    return std::string(second_order_ ? "passes gradgradcheck" : "passes gradcheck") + "\n" + result_.report();
  }

 private:
  TensorFunction fn_;
  GradcheckOptions options_;
  bool second_order_;
  mutable GradcheckResult result_;
};

/// First derivatives of `fn` at the matched inputs agree with central differences.
inline GradcheckMatcher PassesGradcheck(TensorFunction fn, GradcheckOptions options = {}) {
  return {std::move(fn), options, false};
}

/// Second derivatives too (gradgradcheck).
inline GradcheckMatcher PassesGradgradcheck(TensorFunction fn, GradcheckOptions options = {}) {
  return {std::move(fn), options, true};
}

}  // namespace xg::testing
