// DOT export: an iterative walk from the root through grad_fn and the nodes' saved inputs.
#include <autograd/dot.hpp>

#include <autograd/node.hpp>
#include <autograd/trace.hpp>

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <vector>

namespace xg {

namespace {

// record labels treat {}|<> as structure and " ends the string
std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '{' || c == '}' || c == '|' || c == '<' || c == '>' || c == '"' || c == '\\') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

}  // namespace

std::string to_dot(const Tensor& root, DotOptions options) {
  std::string out = "digraph xgrad {\n";
  out += options.left_to_right ? "  rankdir=LR;\n" : "";
  out += "  node [fontname=\"monospace\", fontsize=10];\n";
  if (!root.defined()) return out + "}\n";
  std::map<const TensorImpl*, int> tensor_ids;
  std::map<const Node*, int> node_ids;
  std::vector<Tensor> tensors{root};
  std::vector<std::shared_ptr<Node>> nodes;
  std::string edges;
  int freed = 0;
  tensor_ids.emplace(root.impl().get(), 0);
  // ids are handed out when first seen; records and op nodes are written when first processed
  auto tensor_id = [&](const Tensor& t) {
    auto [it, inserted] = tensor_ids.emplace(t.impl().get(), static_cast<int>(tensor_ids.size()));
    if (inserted) tensors.push_back(t);
    return it->second;
  };
  auto node_id = [&](const std::shared_ptr<Node>& n) {
    auto [it, inserted] = node_ids.emplace(n.get(), static_cast<int>(node_ids.size()));
    if (inserted) nodes.push_back(n);
    return it->second;
  };
  while (!tensors.empty() || !nodes.empty()) {
    if (!tensors.empty()) {
      Tensor t = tensors.back();
      tensors.pop_back();
      const int id = tensor_ids.at(t.impl().get());
      const std::string name = t.name().empty() ? "" : escape(t.name()) + " | ";
      out += fmt::format("  t{} [shape=record, label=\"{{ {}{} | value {} | grad {} }}\"{}];\n", id, name,
                         escape(format_shape(t.shape())), escape(describe_values(t, options.max_values)),
                         escape(describe_values(t.grad(), options.max_values)),
                         t.is_leaf() && t.requires_grad() ? ", style=filled, fillcolor=\"#e8f0ff\"" : "");
      if (t.grad_fn()) edges += fmt::format("  op{} -> t{};\n", node_id(t.grad_fn()), id);
      continue;
    }
    std::shared_ptr<Node> node = nodes.back();
    nodes.pop_back();
    const int op = node_ids.at(node.get());
    const std::string extra = node->extra_args();
    out += fmt::format("  op{} [label=\"{}\", shape=ellipse, style=filled, fillcolor=\"#fff2cc\"];\n", op,
                       escape(extra.empty() ? node->name() : std::string(node->name()) + " " + extra));
    for (const Node::Edge& edge : node->edges()) {
      if (edge.tensor.defined() && edge.tensor.grad_fn() == edge.grad_fn) {
        edges += fmt::format("  t{} -> op{};\n", tensor_id(edge.tensor), op);
        continue;
      }
      if (edge.tensor.defined()) {
        // an in-place op gave the tensor a new history since this node used it: the values this
        // node read are an earlier version of it, drawn as their own box
        const int id = freed++;
        out += fmt::format("  f{} [shape=record, style=dashed, label=\"{{ {} before an in-place write }}\"];\n", id,
                           escape(format_shape(edge.tensor.shape())));
        edges += fmt::format("  f{} -> op{};\n", id, op);
        if (edge.grad_fn) edges += fmt::format("  op{} -> f{};\n", node_id(edge.grad_fn), id);
        continue;
      }
      // an intermediate backward freed (nothing else held it): its place in the graph remains
      const int id = freed++;
      out += fmt::format("  f{} [shape=record, style=dashed, label=\"{{ freed by backward }}\"];\n", id);
      edges += fmt::format("  f{} -> op{};\n", id, op);
      if (edge.grad_fn) edges += fmt::format("  op{} -> f{};\n", node_id(edge.grad_fn), id);
    }
  }
  return out + edges + "}\n";
}

namespace {

// Runs `program args...` found on PATH, without a shell (so no path is ever interpreted by one).
// Returns the exit status, or -1 when the program cannot be started (not installed).
int run_program(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

RenderResult render_svg(const std::string& dot_text, const std::string& svg_path) {
  const std::string dot_path = svg_path + ".dot";
  {
    std::ofstream file(dot_path);
    if (!(file << dot_text)) return {false, fmt::format("render_svg: cannot write {}", dot_path)};
  }
  const int status = run_program({"dot", "-Tsvg", "-o", svg_path, dot_path});
  if (status == -1) {
    return {false,
            fmt::format("Graphviz 'dot' is not installed (apt-get install graphviz); the DOT text is in {}", dot_path)};
  }
  if (status != 0) return {false, fmt::format("render_svg: dot exited with status {} on {}", status, dot_path)};
  return {true, fmt::format("wrote {} (DOT text in {})", svg_path, dot_path)};
}

}  // namespace xg
