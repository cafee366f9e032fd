// Uses the installed headers and libraries the way a user would: the umbrella headers, a small
// graph, backward, the xtensor bridge, a Linear layer and one SGD step. Exits non-zero if a
// gradient or the update is wrong.
#include <autograd/autograd.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <cmath>
#include <iostream>

int main() {
  xg::Tensor w = xg::tensor(xt::xarray<double>{{0.5, -1.0}}, true);
  xg::Tensor x = xg::tensor({{2.0}, {1.0}}, {.dtype = xg::float64});
  xg::Tensor y = xg::tanh(xg::matmul(w, x)).sum();
  y.backward();
  const double t = std::tanh(0.0);
  const auto g = w.grad().data<double>();
  std::cout << "y = " << y << "\ndy/dw = " << w.grad() << "\n" << xg::blas_info() << "\n";
  bool ok = std::abs(g(0, 0) - 2.0 * (1 - t * t)) < 1e-12 && std::abs(g(0, 1) - 1.0 * (1 - t * t)) < 1e-12;

  xg::nn::Linear layer(2, 1, true, {.dtype = xg::float64});
  const double before = layer.bias.item();
  xg::optim::SGD sgd(layer.parameters(), {.lr = 0.1});
  layer(xg::ones({3, 2}, xg::float64)).sum().backward();  // d/d bias = 3
  sgd.step();
  ok = ok && std::abs(layer.bias.item() - (before - 0.3)) < 1e-12;
  std::cout << xg::nn::to_string(layer) << " bias " << before << " -> " << layer.bias.item() << "\n";
  return ok ? 0 : 1;
}
