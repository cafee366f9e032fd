// Uses the installed headers and library the way a user would: the umbrella header, a small
// graph, backward, and the xtensor bridge. Exits non-zero if a gradient is wrong.
#include <autograd/autograd.hpp>

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
  const bool ok = std::abs(g(0, 0) - 2.0 * (1 - t * t)) < 1e-12 && std::abs(g(0, 1) - 1.0 * (1 - t * t)) < 1e-12;
  return ok ? 0 : 1;
}
