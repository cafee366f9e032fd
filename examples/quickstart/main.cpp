// quickstart: one neuron, y = sigmoid(w . x + b), its squared error against a target, the
// gradients from backward(), and the same gradients checked against central differences.
#include <autograd/autograd.hpp>

#include <fmt/core.h>
#include <iostream>

int main() {
  xg::set_default_dtype(xg::float64);  // float64 so the numerical check is exact to ~1e-10

  xg::Tensor x = xg::tensor({0.5, -1.0, 2.0}).name("x");
  xg::Tensor w = xg::tensor({0.1, 0.4, -0.3}, {.requires_grad = true}).name("w");
  xg::Tensor b = xg::tensor(0.2, {.requires_grad = true}).name("b");
  xg::Tensor target = xg::tensor(1.0).name("t");

  xg::Tensor mu = xg::matmul(w, x) + b;  // weighted sum + bias
  xg::Tensor y = xg::sigmoid(mu);        // activation
  xg::Tensor error = xg::pow(y - target, 2.0);

  std::cout << "mu = w . x + b = " << mu << "\n"
            << "y  = sigmoid(mu) = " << y << "\n"
            << "E  = (y - t)^2  = " << error << "\n\n";

  error.backward();
  std::cout << "dE/dw = " << w.grad() << "\n"
            << "dE/db = " << b.grad() << "\n\n";

  // the chain rule by hand: dE/dmu = 2 (y - t) * y (1 - y); dE/dw = dE/dmu * x; dE/db = dE/dmu
  const double yv = y.item();
  const double dmu = 2 * (yv - 1.0) * yv * (1 - yv);
  fmt::print("by hand: dE/dmu = {:.6f}, dE/dw = [{:.6f}, {:.6f}, {:.6f}], dE/db = {:.6f}\n\n", dmu, dmu * 0.5,
             dmu * -1.0, dmu * 2.0, dmu);

  const xg::GradcheckResult check = xg::gradcheck(
      [&](const std::vector<xg::Tensor>& p) { return xg::pow(xg::sigmoid(xg::matmul(p[0], x) + p[1]) - target, 2.0); },
      {w.detach().requires_grad_(), b.detach().requires_grad_()});
  std::cout << check.report() << "\n";
  return check.passed ? 0 : 1;
}
