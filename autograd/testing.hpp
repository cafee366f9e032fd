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

/// check_op's sweep (gradcheck, gradgradcheck, zero grad_output, reentrancy, broadcast) on
/// random float64 inputs of `shapes`:  CHECK_THAT(fn, xg::testing::PassesCheckOp({{3, 4}, {4}}));
class CheckOpMatcher : public Catch::MatcherBase<TensorFunction> {
 public:
  CheckOpMatcher(std::vector<Shape> shapes, GradcheckOptions options)
      : shapes_(std::move(shapes)), options_(std::move(options)) {}

  bool match(const TensorFunction& fn) const override {
    result_ = check_op(fn, shapes_, options_);
    return result_.passed;
  }

  std::string describe() const override { return "passes check_op\n" + result_.report(); }

 private:
  std::vector<Shape> shapes_;
  GradcheckOptions options_;
  mutable CheckOpResult result_;
};

inline CheckOpMatcher PassesCheckOp(std::vector<Shape> shapes, GradcheckOptions options = {}) {
  return {std::move(shapes), std::move(options)};
}

}  // namespace xg::testing
