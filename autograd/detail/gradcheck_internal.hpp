// What gradcheck's source files share (gradcheck.cpp, gradcheck_numerical.cpp, gradcheck_report.cpp,
// gradcheck_fast.cpp, check_op.cpp, blame.cpp): internal, not part of the public autograd/gradcheck.hpp.
#pragma once

#include <autograd/anomaly.hpp>
#include <autograd/gradcheck.hpp>
#include <autograd/tensor.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace xg::detail {

// The checks run with anomaly mode off: their one-hot VJPs and perturbed inputs may legitimately
// meet an infinite gradient (sqrt at 0), which must end up in the report, not in an AnomalyError;
// and the ops they re-record need no creation sites.
class AnomalyModeOff : public AnomalyModeGuard {
 public:
  AnomalyModeOff() : AnomalyModeGuard(false) {}
};

// ---- inputs, outputs and central differences (gradcheck_numerical.cpp) ----

// Inputs as float64 tensors with their own storage (so perturbing them touches nothing of
// the caller's); float32 is converted only when allowed.
std::vector<Tensor> prepare_inputs(const std::vector<Tensor>& inputs, const GradcheckOptions& options, const char* op);

// Writes `value` into element j of a float64 or float32 copy; returns the value actually stored
// (for float32, rounded: the realised point).
double set_element(Tensor& x, int64_t j, double value);

// The step for element value x: eps in float64; Stan's rule cbrt(eps_float32) * max(1, |x|) in
// float32, which balances truncation (~h^2) against float32 rounding (~eps / h).
double element_step(const Tensor& x, double value, const GradcheckOptions& options);

// The inputs that require grad: their positions, and the tensors (the targets of xg::grad).
std::pair<std::vector<size_t>, std::vector<Tensor>> inputs_to_check(const std::vector<Tensor>& xs);

struct Jacobians {
  // per checked input: [output numel][input numel], row-major
  std::vector<std::vector<double>> of_input;
};

// Converts float32 parameters to float64 in place and puts the original data back on
// destruction (also during stack unwinding), bit for bit.
class Float64Parameters {
 public:
  // With keep_float32 nothing is converted: the model is checked in its own precision.
  Float64Parameters(const std::vector<Tensor>& parameters, bool keep_float32);
  ~Float64Parameters() { restore(); }
  Float64Parameters(const Float64Parameters&) = delete;
  void restore();
  Float64Parameters& operator=(const Float64Parameters&) = delete;

 private:
  std::vector<std::pair<Tensor, Tensor>> saved_;
};

// fn's outputs, each a defined float tensor.
std::vector<Tensor> outputs_of(const TensorsFunction& fn, const std::vector<Tensor>& xs, const char* op);

// All outputs' values in float64, output after output: the rows of the Jacobians.
std::vector<double> flat_values(const std::vector<Tensor>& ys, size_t expected, const char* op);

// The outputs that depend on a checked input, with their grad_outputs cut from `flat`.
struct Roots {
  std::vector<Tensor> outputs, grad_outputs;
};
Roots roots_with(const std::vector<Tensor>& ys, const std::vector<double>& flat);

// What gradcheck, its fast mode and gradgradcheck all begin with: the prepared inputs, which of
// them are checked, and fn's outputs on them.
struct PreparedCheck {
  std::vector<Tensor> xs;       // prepare_inputs
  std::vector<size_t> checked;  // positions of the inputs that require grad
  std::vector<Tensor> targets;  // those inputs (the targets of xg::grad)
  std::vector<Tensor> ys;       // outputs_of(fn, xs)
  // the Jacobians' rows are all outputs' elements, output after output; output o starts at row
  // offsets[o], n_out rows in all
  std::vector<int64_t> offsets;
  int64_t n_out = 0;
};
// prepare_inputs, inputs_to_check, outputs_of, in that order (`op` names the caller in errors).
PreparedCheck prepare_check(const TensorsFunction& fn, const std::vector<Tensor>& inputs,
                            const GradcheckOptions& options, const char* op);

// The numerical Jacobians, evaluated in float64 without recording; the one-sided differences
// (f(x + eps) - f(x)) / eps and (f(x) - f(x - eps)) / eps are kept to recognise kinks.
struct CentralDifferences {
  Jacobians numerical, left, right;
  std::vector<double> base;  // fn's outputs at the prepared inputs, flat
  // per checked input: the smallest and largest realised step up - down
  std::vector<std::pair<double, double>> steps;
};
CentralDifferences central_differences(const TensorsFunction& fn, const PreparedCheck& check,
                                       const GradcheckOptions& options);

// ---- the report (gradcheck_report.cpp) ----

// One sentence naming the pattern of a failing pair's mismatch. `ok[e]` says whether entry e
// passed; a, n are the analytic and numerical Jacobians [n_out][n_in].
std::string diagnose(const PairReport& pair, const std::vector<double>& a, const std::vector<double>& n,
                     const std::vector<char>& ok, int64_t n_out, int64_t n_in, const GradcheckOptions& options);

// ---- fast mode (gradcheck_fast.cpp) ----

// gradcheck with options.fast, called by gradcheck after its checks of the options and with the
// parameters already float64.
GradcheckResult fast_gradcheck(const TensorsFunction& fn, const std::vector<Tensor>& inputs, GradcheckOptions options);

}  // namespace xg::detail
