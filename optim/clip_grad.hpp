// Gradient clipping before an optimizer step: rescale all gradients to a maximal total norm,
// or clamp each gradient element (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).
#pragma once

#include <autograd/tensor.hpp>

#include <vector>

namespace xg::optim {

/// Scales every gradient by min(1, max_norm / (total_norm + 1e-6)), where total_norm is the
/// norm of order `norm_type` (INFINITY for the largest |element|) of all gradients together, as
/// if concatenated into one vector; returns total_norm. Parameters without a grad are skipped.
///   loss.backward();
///   double norm = xg::optim::clip_grad_norm_(model.parameters(), 1.0);
///   sgd.step();
/// ValueError, before any gradient changes, for max_norm < 0, norm_type <= 0 or NaN, and, with
/// error_if_nonfinite, for a NaN or infinite total norm (torch's option of the same name).
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

/// Clamps every gradient element to [-clip_value, clip_value]. ValueError for clip_value < 0.
void clip_grad_value_(const std::vector<Tensor>& params, double clip_value);

}  // namespace xg::optim
