// xor: the 2-4-1 sigmoid network (17 parameters) learns XOR with SGD + momentum, and draws its
// decision boundary: the function a single perceptron cannot represent.
#include <autograd/autograd.hpp>
#include <examples/common/cli.hpp>
#include <examples/common/plot.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <iostream>
#include <limits>

int main(int argc, char** argv) {
  CLI::App app{"xor: a 2-4-1 sigmoid network learns XOR with SGD + momentum"};
  int epochs = 2000;
  uint64_t seed = 7;
  double lr = 0.5, momentum = 0.9;
  std::string out_dir = "out/xor";
  bool check = false;
  // at least 1 (the report reads the last loss); a Range, since CLI11's PositiveNumber rejects 0 as
  // "not in range 0 to 1.8e308"
  app.add_option("--epochs", epochs, "full-batch training steps")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()))
      ->capture_default_str();
  app.add_option("--seed", seed, "seed of the initial weights")->capture_default_str();
  app.add_option("--lr", lr, "SGD learning rate")->capture_default_str();
  app.add_option("--momentum", momentum, "SGD momentum")->capture_default_str();
  app.add_option("--out", out_dir, "folder for the pictures")->capture_default_str();
  app.add_flag("--check", check, "exit non-zero unless the final loss is below 0.01 and all four cases are right");
  app.footer("Exit status: 0 done, 1 error, 2 bad options, 3 a --check claim failed.");
  return xg::examples::parse_and_run(app, argc, argv, "xor", [&] {
    xg::manual_seed(seed);
    xg::nn::Sequential net(xg::nn::Linear(2, 4), xg::nn::Sigmoid(), xg::nn::Linear(4, 1), xg::nn::Sigmoid());
    std::cout << xg::nn::to_string(net) << "\n\n" << net.summary({4, 2}) << "\n";

    const xg::Tensor x = xg::tensor({{0, 0}, {0, 1}, {1, 0}, {1, 1}});
    const xg::Tensor y = xg::tensor({{0}, {1}, {1}, {0}});
    xg::optim::SGD sgd(net.parameters(), {.lr = lr, .momentum = momentum});
    xg::nn::MSELoss loss_fn;
    std::vector<double> steps, losses;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
      sgd.zero_grad();
      xg::Tensor loss = loss_fn(net(x), y);
      loss.backward();
      sgd.step();
      steps.push_back(epoch);
      losses.push_back(loss.item());
      if (epoch == 1 || epoch % (epochs / 10 > 0 ? epochs / 10 : 1) == 0) {
        fmt::print("epoch {:>5}  loss {:.6f}\n", epoch, losses.back());
      }
    }

    const std::vector<double> out = net(x).to_vector();
    bool all_right = true;
    fmt::print("\n  x1 x2 | target | output\n");
    for (int i = 0; i < 4; ++i) {
      const double target = y.to_vector()[i];
      all_right = all_right && (out[i] > 0.5) == (target > 0.5);
      fmt::print("   {}  {} |   {}    | {:.4f}\n", x.to_vector()[2 * i], x.to_vector()[2 * i + 1], target, out[i]);
    }

    // The decision boundary: the network's output over the unit square and a margin of 0.05 around
    // it, so that the markers of the four cases sit wholly inside the picture. Diverging colours
    // put white at 0.5, where the decision flips: blue says 0, red says 1.
    const int n = 56;  // cell centres -0.05, -0.03, ..., 1.05
    const double low = -0.05, high = 1.05;
    std::vector<double> grid;
    for (int r = 0; r < n; ++r) {
      for (int c = 0; c < n; ++c) {
        grid.insert(grid.end(), {low + c * (high - low) / (n - 1), low + r * (high - low) / (n - 1)});
      }
    }
    std::vector<double> surface;
    {
      xg::NoGradGuard no_grad;
      surface = net(xg::from_vector(grid, {n * n, 2})).to_vector();
    }
    xg::examples::ensure_output_dir(out_dir);
    std::cout << "\n"
              << xg::examples::plot_svg(out_dir + "/loss.svg", "XOR training loss", "epoch", "MSE",
                                        {{.name = "loss", .x = steps, .y = losses}}, {.log_y = true})
                     .message
              << "\n"
              << xg::examples::plot_heatmap_svg(
                     out_dir + "/decision_boundary.svg", "2-4-1 network output (XOR): blue 0, red 1", n, n, surface,
                     {.xlabel = "x1",
                      .ylabel = "x2",
                      .x_first = low,
                      .x_last = high,
                      .y_first = low,
                      .y_last = high,
                      .diverging = true,
                      .zmin = 0,
                      .zmax = 1,
                      .overlay = {{.name = "target 0", .x = {0, 1}, .y = {0, 1}, .points = true},
                                  {.name = "target 1", .x = {0, 1}, .y = {1, 0}, .points = true}}})
                     .message
              << "\n";

    if (check) {
      const bool ok = losses.back() < 0.01 && all_right;
      fmt::print("check: {} (final loss {:.6f})\n", ok ? "passed" : "FAILED", losses.back());
      return ok ? 0 : 3;
    }
    return 0;
  });
}
