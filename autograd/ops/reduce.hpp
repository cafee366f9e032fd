// Reductions: over all elements (a 0-d result) or along one axis, optionally keeping it.
#pragma once

#include <autograd/tensor.hpp>

namespace xg {

Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, int64_t axis, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, int64_t axis, bool keepdim = false);
/// Over all elements the gradient is shared evenly among tied maxima (torch's max()); along an
/// axis it goes to the first maximal element (torch's max(dim)).
Tensor max(const Tensor& x);
Tensor max(const Tensor& x, int64_t axis, bool keepdim = false);
Tensor min(const Tensor& x);
Tensor min(const Tensor& x, int64_t axis, bool keepdim = false);
/// Index of the first maximum / minimum along `axis` (int64, not differentiable).
Tensor argmax(const Tensor& x, int64_t axis, bool keepdim = false);
Tensor argmin(const Tensor& x, int64_t axis, bool keepdim = false);

}  // namespace xg
