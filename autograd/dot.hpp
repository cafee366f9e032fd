// The graph as a picture: Graphviz DOT text (micrograd's draw_dot, tensor-level), and an SVG
// when Graphviz is installed.
#pragma once

#include <autograd/tensor.hpp>

#include <string>

namespace xg {

struct DotOptions {
  int64_t max_values = 6;  // larger tensors show a summary (shape, min, max, norm)
  bool left_to_right = true;
};

/// The graph that produced `root`: one record per tensor (name, shape, value, grad), one ellipse
/// per op, edges in data-flow direction. Works before and after backward (grads of non-leaves
/// show only if retain_grad() was called on them, as in torch).
std::string to_dot(const Tensor& root, DotOptions options = {});

struct RenderResult {
  bool ok = false;
  std::string message;  // where the SVG went, or why there is none and where the DOT text is
};

/// Writes `dot_text` to `svg_path` + ".dot" and runs Graphviz's `dot -Tsvg` to make `svg_path`.
/// Without Graphviz it says so (install graphviz) instead of failing.
RenderResult render_svg(const std::string& dot_text, const std::string& svg_path);

}  // namespace xg
