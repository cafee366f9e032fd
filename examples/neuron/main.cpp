// neuron: the threshold unit (inputs summed against a threshold), the threshold rewritten as a
// bias, then the classic activations and their derivatives, each derivative computed by xgrad
// (xg::grad over a grid) and compared with the textbook formula, with one picture per curve.
#include <autograd/autograd.hpp>
#include <examples/common/cli.hpp>
#include <examples/common/plot.hpp>
#include <nn/nn.hpp>

#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace nn = xg::nn;
namespace examples = xg::examples;

constexpr int exit_check_failed = 3;
constexpr double threshold = 40.0;
constexpr double leaky_slope = 0.1;  // torch's default is 0.01: 0.1 keeps the slope visible in the picture
constexpr double derivative_tolerance = 1e-6;

struct Options {
  std::string out = "out/neuron";
  bool check = false;
};

// The lesson's claims, collected as they are shown; --check turns a failed one into exit status 3.
struct Checks {
  std::vector<std::string> failed;
  void expect(bool ok, const std::string& claim) {
    if (!ok) failed.push_back(claim);
  }
};

// ---- 1 and 2: the threshold unit, then the same unit with a bias ----

void threshold_unit(Checks& checks) {
  // Two input vectors for one unit, one per row: their sums are 30 and 50.
  const xg::Tensor x = xg::tensor({{10.0, 15.0, 5.0}, {20.0, 20.0, 10.0}}).name("x");

  fmt::print("1. The threshold unit: it fires (1) when the sum of its inputs reaches the threshold {}\n", threshold);
  const xg::Tensor sums = x.sum(1);
  nn::Step unit(threshold);  // 1 where input >= threshold, else 0
  const xg::Tensor fired = unit(sums);
  const std::vector<double> s = sums.to_vector(), f = fired.to_vector();
  for (int64_t i = 0; i < x.size(0); ++i) {
    const std::vector<double> row = xg::slice(x, 0, i, i + 1).to_vector();
    const std::string inputs = fmt::format("[{:g}, {:g}, {:g}]", row[0], row[1], row[2]);
    fmt::print("   inputs {:<13}  sum {:g} {} {:g}  ->  {:g} ({})\n", inputs, s[i], s[i] >= threshold ? ">=" : "< ",
               threshold, f[i], f[i] == 1.0 ? "fires" : "does not fire");
  }
  checks.expect(s[0] == 30.0 && f[0] == 0.0, "a sum of 30 should not fire the unit of threshold 40");
  checks.expect(s[1] == 50.0 && f[1] == 1.0, "a sum of 50 should fire the unit of threshold 40");

  // sum(x) >= 40  <=>  w . x - 40 >= 0 with w = 1: the threshold moves into the sum as a bias.
  fmt::print("\n2. The threshold as a bias: sum(x) >= {0}  <=>  w . x + b >= 0 with w = [1, 1, 1], b = -{0}\n",
             threshold);
  const xg::Tensor w = xg::tensor({1.0, 1.0, 1.0}).name("w");
  const xg::Tensor b = xg::tensor(-threshold).name("b");
  const xg::Tensor z = xg::matmul(x, w) + b;
  const xg::Tensor y = xg::step(z);  // Heaviside: 1 where z >= 0
  const std::vector<double> zv = z.to_vector(), yv = y.to_vector();
  for (int64_t i = 0; i < x.size(0); ++i) {
    fmt::print("   w . x + b = {:g} + ({:g}) = {:>4g}  ->  step = {:g} ({})\n", s[i], -threshold, zv[i], yv[i],
               yv[i] == 1.0 ? "fires" : "does not fire");
  }
  fmt::print("   The unit now compares with 0, and b is a parameter like the weights: learnable.\n");
  checks.expect(yv[0] == 0.0 && yv[1] == 1.0, "with b = -40, step(w . x + b) should give 0 for 30 and 1 for 50");
}

// ---- 3: activations and their derivatives ----

struct Activation {
  std::string name;     // file name and label
  std::string formula;  // f(x)
  std::string derivative_formula;
  std::function<xg::Tensor(const xg::Tensor&)> f;
  std::function<double(double)> analytic_derivative;  // away from the kink at 0
  std::optional<double> ymin, ymax;                   // the picture's y range (unset: gnuplot's choice)
};

std::vector<Activation> activations() {
  const auto sigmoid = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  return {
      {"step", "1 if x >= 0 else 0", "0 (for x != 0)", [](const xg::Tensor& x) { return xg::step(x); },
       [](double) { return 0.0; }, -0.1, 1.1},
      {"sigmoid", "1 / (1 + e^-x)", "f(x) (1 - f(x))", [](const xg::Tensor& x) { return xg::sigmoid(x); },
       [sigmoid](double x) { return sigmoid(x) * (1.0 - sigmoid(x)); }, -0.1, 1.1},
      {"tanh", "(e^x - e^-x) / (e^x + e^-x)", "1 - f(x)^2", [](const xg::Tensor& x) { return xg::tanh(x); },
       [](double x) { return 1.0 - std::tanh(x) * std::tanh(x); }, -1.1, 1.1},
      {"relu", "max(x, 0)", "1 if x > 0 else 0", [](const xg::Tensor& x) { return xg::relu(x); },
       [](double x) { return x > 0 ? 1.0 : 0.0; }},
      {"leaky_relu", fmt::format("x if x > 0 else {} x", leaky_slope), fmt::format("1 if x > 0 else {}", leaky_slope),
       [](const xg::Tensor& x) { return xg::leaky_relu(x, leaky_slope); },
       [](double x) { return x > 0 ? 1.0 : leaky_slope; }},
  };
}

// The grid -5, -4.95, ..., 5 built from integers, so that 0 is exactly on it.
std::vector<double> grid() {
  std::vector<double> x;
  for (int i = -100; i <= 100; ++i) x.push_back(i / 20.0);
  return x;
}

void activation_curves(const std::string& out, Checks& checks) {
  const std::vector<double> xs = grid();
  fmt::print(
      "\n3. Activations and their derivatives. The derivatives come from xgrad: f is applied to all {} "
      "grid points\n   x = -5, -4.95, ..., 5 at once and xg::grad(f(x), x, ones) gives f'(x) at every point "
      "(f acts\n   element by element, so d sum(f(x)) / dx_i = f'(x_i)). They are compared with the textbook "
      "formula\n   away from x = 0, where step, ReLU and leaky ReLU have a kink.\n",
      xs.size());
  const std::vector<double> shown = {-2.0, -1.0, 0.0, 1.0, 2.0};
  for (const Activation& a : activations()) {
    const xg::Tensor x =
        xg::from_vector(xs, {static_cast<int64_t>(xs.size())}, {.dtype = xg::float64, .requires_grad = true});
    const xg::Tensor y = a.f(x);
    const xg::Tensor dydx = xg::grad({y}, {x}, {xg::ones_like(y)})[0];
    const std::vector<double> fy = y.to_vector(), dy = dydx.to_vector();

    double max_difference = 0.0;
    size_t compared = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      if (xs[i] == 0.0) continue;
      max_difference = std::max(max_difference, std::abs(dy[i] - a.analytic_derivative(xs[i])));
      ++compared;
    }

    fmt::print("\n   {:<10}  f(x) = {}    f'(x) = {}\n", a.name, a.formula, a.derivative_formula);
    std::string row_x = "     x     ", row_f = "     f(x)  ", row_d = "     f'(x) ";
    for (double v : shown) {
      const auto i = static_cast<size_t>(std::lround((v + 5.0) * 20.0));
      row_x += fmt::format("{:>9.1f}", xs[i]);
      row_f += fmt::format("{:>9.4f}", fy[i]);
      row_d += fmt::format("{:>9.4f}", dy[i]);
    }
    fmt::print("{}\n{}\n{}  (xgrad)\n", row_x, row_f, row_d);
    fmt::print("     xgrad vs the formula at {} points (x != 0): max |difference| = {:.1e}\n", compared,
               max_difference);
    checks.expect(max_difference <= derivative_tolerance,
                  fmt::format("xgrad's derivative of {} should match the formula to {:g} (off by {:.3g})", a.name,
                              derivative_tolerance, max_difference));

    const examples::PlotResult picture = examples::plot_svg(
        out + "/" + a.name + ".svg", fmt::format("{}: f(x) = {} and its derivative (from xgrad)", a.name, a.formula),
        "x", "", {{.name = "f(x)", .x = xs, .y = fy}, {.name = "f'(x) (xg::grad)", .x = xs, .y = dy}},
        {.xmin = -5, .xmax = 5, .ymin = a.ymin, .ymax = a.ymax, .key = "top left"});
    fmt::print("     {}\n", picture.message);
  }
  fmt::print("\n   At x = 0 xgrad follows torch: relu'(0) = 0, leaky_relu'(0) = the slope {}, step'(0) = 0.\n",
             leaky_slope);
}

int run(const Options& options) {
  xg::set_default_dtype(xg::float64);
  Checks checks;
  threshold_unit(checks);
  const std::string out = examples::ensure_output_dir(options.out);
  activation_curves(out, checks);

  if (options.check) {
    if (!checks.failed.empty()) {
      for (const std::string& claim : checks.failed) fmt::print(stderr, "neuron: --check failed: {}\n", claim);
      return exit_check_failed;
    }
    fmt::print("\n--check: ok (30 does not fire, 50 does; every derivative matches its formula to {:g})\n",
               derivative_tolerance);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{
      "neuron: the threshold unit (fires when its inputs sum to 40 or more), the threshold rewritten as a "
      "bias, then step, sigmoid, tanh, ReLU and leaky ReLU with their derivatives computed by xgrad and "
      "drawn."};
  app.add_option("--out", options.out, "folder for the pictures")->capture_default_str();
  app.add_flag("--check", options.check,
               "exit with status 3 unless 30 does not fire, 50 does, and every xgrad derivative matches its "
               "formula to 1e-6 away from x = 0");
  app.footer(
      "Writes step.svg, sigmoid.svg, tanh.svg, relu.svg, leaky_relu.svg (gnuplot) into --out.\n"
      "Exit status: 0 done, 1 error, 2 bad options, 3 a --check claim failed.");
  return xg::examples::parse_and_run(app, argc, argv, "neuron", [&] { return run(options); });
}
