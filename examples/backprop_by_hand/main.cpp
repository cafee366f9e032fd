// backprop_by_hand: the chain rule through a one-hidden-neuron network, step by step.
//   x -> mu1 = w_i x + b_i -> h = sigmoid(mu1) -> mu2 = w_o h + b_o -> O = sigmoid(mu2) -> E = (O - y)^2
// Prints the forward values, every local derivative (by name, from xgrad and by hand), their
// chain-rule products, the gradients from backward() beside central differences, one
// gradient-descent step, and draws the graph with values and gradients.
#include <autograd/autograd.hpp>
#include <examples/common/cli.hpp>
#include <examples/common/plot.hpp>

#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <cmath>
#include <iostream>
#include <map>

namespace {

struct Params {
  double w_i = 0.8, b_i = 0.1, w_o = -1.2, b_o = 0.3;
};

// E(x, y; params), computed in plain double: the reference for the central differences
double error_of(double x, double y, const Params& p) {
  auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  const double o = sigmoid(p.w_o * sigmoid(p.w_i * x + p.b_i) + p.b_o);
  return (o - y) * (o - y);
}

// Switches the current thread's graph observer off for its lifetime and restores the previous one.
class ObserverPause {
 public:
  ObserverPause() : previous_(xg::set_graph_observer(nullptr)) {}
  ~ObserverPause() { xg::set_graph_observer(previous_); }
  ObserverPause(const ObserverPause&) = delete;
  ObserverPause& operator=(const ObserverPause&) = delete;

 private:
  xg::GraphObserver* previous_;
};

// One op's local derivative, d out / d in, by a backward pass from `out` alone. Unobserved, so that
// --trace shows the forward pass and the one backward() of E, not eight extra passes.
double local(const xg::Tensor& out, const xg::Tensor& in) {
  const ObserverPause quiet;
  return xg::grad({out}, {in}, {}, {.retain_graph = true})[0].item();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "backprop_by_hand: the chain rule through x -> sigmoid(w_i x + b_i) -> sigmoid(w_o h + b_o) -> (O - y)^2"};
  double x_value = 0.5, y_value = 1.0, lr = 0.5;
  Params p;
  std::string out_dir = "out/backprop_by_hand";
  bool trace = false, check = false;
  app.add_option("--x", x_value, "the input x")->capture_default_str();
  app.add_option("--y", y_value, "the target y")->capture_default_str();
  app.add_option("--w-i", p.w_i, "initial input weight w_i")->capture_default_str();
  app.add_option("--b-i", p.b_i, "initial input bias b_i")->capture_default_str();
  app.add_option("--w-o", p.w_o, "initial output weight w_o")->capture_default_str();
  app.add_option("--b-o", p.b_o, "initial output bias b_o")->capture_default_str();
  app.add_option("--lr", lr, "learning rate eta of the gradient-descent step")->capture_default_str();
  app.add_option("--out", out_dir, "folder for the graph picture")->capture_default_str();
  app.add_flag("--trace", trace, "also print xgrad's own trace of every forward op and backward step");
  app.add_flag("--check", check,
               "exit non-zero unless backward, the chain rule and central differences agree to 1e-6, "
               "the step lowers E and, when Graphviz is installed, the graph is drawn");
  app.footer("Exit status: 0 done, 1 error, 2 bad options, 3 a --check claim failed.");
  return xg::examples::parse_and_run(app, argc, argv, "backprop_by_hand", [&] {
    xg::set_default_dtype(xg::float64);
    const xg::Tensor x = xg::tensor(x_value).name("x");
    const xg::Tensor y = xg::tensor(y_value).name("y");
    xg::Tensor w_i = xg::tensor(p.w_i, {.requires_grad = true}).name("w_i");
    xg::Tensor b_i = xg::tensor(p.b_i, {.requires_grad = true}).name("b_i");
    xg::Tensor w_o = xg::tensor(p.w_o, {.requires_grad = true}).name("w_o");
    xg::Tensor b_o = xg::tensor(p.b_o, {.requires_grad = true}).name("b_o");

    std::unique_ptr<xg::TraceGuard> tracer;
    if (trace) tracer = std::make_unique<xg::TraceGuard>(std::cout);

    // ---- forward ----
    xg::Tensor w_i_x = (w_i * x).name("w_i x");
    xg::Tensor mu1 = (w_i_x + b_i).name("mu1");
    xg::Tensor h = xg::sigmoid(mu1).name("h");
    xg::Tensor w_o_h = (w_o * h).name("w_o h");
    xg::Tensor mu2 = (w_o_h + b_o).name("mu2");
    xg::Tensor o = xg::sigmoid(mu2).name("O");
    xg::Tensor o_minus_y = (o - y).name("O - y");
    xg::Tensor e = xg::pow(o_minus_y, 2.0).name("E");
    // kept and retained so that the picture shows every intermediate's value and gradient
    for (xg::Tensor* t : {&w_i_x, &mu1, &h, &w_o_h, &mu2, &o, &o_minus_y, &e}) t->retain_grad();

    const double O = o.item(), H = h.item();
    fmt::print("forward\n");
    fmt::print("  mu1 = w_i * x + b_i   = {} * {} + {} = {:.6f}\n", p.w_i, x_value, p.b_i, mu1.item());
    fmt::print("  h   = sigmoid(mu1)    = {:.6f}\n", H);
    fmt::print("  mu2 = w_o * h + b_o   = {} * {:.6f} + {} = {:.6f}\n", p.w_o, H, p.b_o, mu2.item());
    fmt::print("  O   = sigmoid(mu2)    = {:.6f}\n", O);
    fmt::print("  E   = (O - y)^2       = ({:.6f} - {})^2 = {:.6f}\n\n", O, y_value, e.item());

    // ---- every local derivative: from xgrad (grad of one op's output) and by hand ----
    struct Factor {
      const char* name;
      double xgrad, by_hand;
      const char* rule;
    };
    const std::vector<Factor> factors = {
        {"dE/dO", local(e, o), 2 * (O - y_value), "2 (O - y)"},
        {"dO/dmu2", local(o, mu2), O * (1 - O), "O (1 - O)"},
        {"dmu2/dw_o", local(mu2, w_o), H, "h"},
        {"dmu2/db_o", local(mu2, b_o), 1.0, "1"},
        {"dmu2/dh", local(mu2, h), p.w_o, "w_o"},
        {"dh/dmu1", local(h, mu1), H * (1 - H), "h (1 - h)"},
        {"dmu1/dw_i", local(mu1, w_i), x_value, "x"},
        {"dmu1/db_i", local(mu1, b_i), 1.0, "1"},
    };
    std::map<std::string, double> f;
    fmt::print("local derivatives (xgrad | by hand)\n");
    for (const Factor& factor : factors) {
      fmt::print("  {:<10} = {:<10} = {:>10.6f} | {:>10.6f}\n", factor.name, factor.rule, factor.xgrad, factor.by_hand);
      f[factor.name] = factor.xgrad;
    }

    // ---- the chain rule: products along each path back from E ----
    const double dE_dmu2 = f["dE/dO"] * f["dO/dmu2"];
    const double dE_dmu1 = dE_dmu2 * f["dmu2/dh"] * f["dh/dmu1"];
    const std::map<std::string, double> chain = {
        {"w_o", dE_dmu2 * f["dmu2/dw_o"]},
        {"b_o", dE_dmu2 * f["dmu2/db_o"]},
        {"w_i", dE_dmu1 * f["dmu1/dw_i"]},
        {"b_i", dE_dmu1 * f["dmu1/db_i"]},
    };
    fmt::print("\nchain rule\n");
    fmt::print("  dE/dmu2 = dE/dO * dO/dmu2                     = {:.6f} * {:.6f} = {:.6f}\n", f["dE/dO"], f["dO/dmu2"],
               dE_dmu2);
    fmt::print("  dE/dw_o = dE/dmu2 * dmu2/dw_o                 = {:.6f} * {:.6f} = {:.6f}\n", dE_dmu2, f["dmu2/dw_o"],
               chain.at("w_o"));
    fmt::print("  dE/db_o = dE/dmu2 * dmu2/db_o                 = {:.6f} * 1 = {:.6f}\n", dE_dmu2, chain.at("b_o"));
    fmt::print("  dE/dmu1 = dE/dmu2 * dmu2/dh * dh/dmu1         = {:.6f} * {:.6f} * {:.6f} = {:.6f}\n", dE_dmu2,
               f["dmu2/dh"], f["dh/dmu1"], dE_dmu1);
    fmt::print("  dE/dw_i = dE/dmu1 * dmu1/dw_i                 = {:.6f} * {:.6f} = {:.6f}\n", dE_dmu1, f["dmu1/dw_i"],
               chain.at("w_i"));
    fmt::print("  dE/db_i = dE/dmu1 * dmu1/db_i                 = {:.6f} * 1 = {:.6f}\n\n", dE_dmu1, chain.at("b_i"));

    // ---- backward, and central differences on E computed without xgrad ----
    e.backward();
    const double eps = 1e-6;
    auto numeric = [&](double Params::*field) {
      Params plus = p, minus = p;
      plus.*field += eps;
      minus.*field -= eps;
      return (error_of(x_value, y_value, plus) - error_of(x_value, y_value, minus)) / (2 * eps);
    };
    const std::vector<std::tuple<std::string, xg::Tensor, double Params::*>> params = {
        {"w_i", w_i, &Params::w_i}, {"b_i", b_i, &Params::b_i}, {"w_o", w_o, &Params::w_o}, {"b_o", b_o, &Params::b_o}};
    fmt::print("gradients      chain rule     backward()    central diff.   |backward - central|\n");
    double worst = 0;
    for (const auto& [name, t, field] : params) {
      const double backward = t.grad().item(), central = numeric(field);
      worst = std::max({worst, std::abs(backward - central), std::abs(backward - chain.at(name))});
      fmt::print("  dE/d{:<5} {:>13.8f} {:>13.8f} {:>15.8f}   {:.2e}\n", name, chain.at(name), backward, central,
                 std::abs(backward - central));
    }

    // ---- the picture, after backward: values and gradients on every tensor ----
    xg::examples::ensure_output_dir(out_dir);
    // top to bottom: the chain of eight ops is too long for a screen's width
    const xg::RenderResult picture =
        xg::render_svg(xg::to_dot(e, {.left_to_right = false}), out_dir + "/backprop_graph.svg");
    fmt::print("\ngraph: {}\n", picture.message);

    // ---- one step of gradient descent: p <- p - eta dE/dp ----
    Params next = p;
    next.w_i -= lr * w_i.grad().item();
    next.b_i -= lr * b_i.grad().item();
    next.w_o -= lr * w_o.grad().item();
    next.b_o -= lr * b_o.grad().item();
    const double before = error_of(x_value, y_value, p), after = error_of(x_value, y_value, next);
    fmt::print("\ngradient descent, eta = {}: w_i {} -> {:.6f}, b_i {} -> {:.6f}, w_o {} -> {:.6f}, b_o {} -> {:.6f}\n",
               lr, p.w_i, next.w_i, p.b_i, next.b_i, p.w_o, next.w_o, p.b_o, next.b_o);
    fmt::print("E: {:.6f} -> {:.6f}\n", before, after);

    if (check) {
      // without Graphviz there is no picture to demand; with it, a missing one is a failure
      const bool graphviz = xg::examples::find_program("dot").has_value();
      const std::string graph = picture.ok ? "drawn" : graphviz ? "NOT drawn" : "not drawn (no Graphviz)";
      bool ok = worst < 1e-6 && after < before && (picture.ok || !graphviz);
      for (const Factor& factor : factors) ok = ok && std::abs(factor.xgrad - factor.by_hand) < 1e-12;
      fmt::print("check: {} (largest disagreement {:.2e}, E {} after the step, graph {})\n", ok ? "passed" : "FAILED",
                 worst, after < before ? "decreased" : "did not decrease", graph);
      return ok ? 0 : 3;
    }
    return 0;
  });
}
