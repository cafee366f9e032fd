// blame: the first op of a recorded graph whose backward disagrees with central differences,
// found by re-running each node's forward under gradcheck.
#include <autograd/detail/gradcheck_internal.hpp>

#include <autograd/error.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/node.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <memory>
#include <set>

namespace xg {

using detail::AnomalyModeOff;

std::string BlameResult::report() const {
  std::string s;
  if (found) {
    std::string args;
    for (const auto& in : inputs) args += (args.empty() ? "" : ", ") + in;
    s = fmt::format(
        "blame: the first op whose backward disagrees with central differences is '{}' ({}, op {} of {} "
        "in recording order), on inputs ({})\n{}",
        op, node_type, position, graph_ops, args, check.report());
    s += creation_site.empty()
             ? "\n  created at: not recorded (build the graph under xg::DetectAnomalyGuard to record where each op is "
               "created)"
             : "\n  created at:\n" + creation_site;
  } else {
    s = fmt::format("blame: all {} checked nodes agree with central differences", nodes_checked);
  }
  if (!not_rerunnable.empty()) {
    std::string names;
    for (const auto& n : not_rerunnable) names += (names.empty() ? "" : ", ") + n;
    s += fmt::format("\n  not checked (no forward() to re-run, or freed by backward): {}", names);
  }
  return s;
}

BlameResult blame(const Tensor& output, GradcheckOptions options) {
  if (!output.defined()) throw ValueError("blame: the output is undefined");
  AnomalyModeOff anomaly_off;
  // every node below the output, iteratively (graphs may be deep)
  std::vector<std::shared_ptr<Node>> nodes;
  std::set<const Node*> seen;
  std::vector<std::shared_ptr<Node>> stack;
  if (output.grad_fn()) stack.push_back(output.grad_fn());
  while (!stack.empty()) {
    std::shared_ptr<Node> node = stack.back();
    stack.pop_back();
    if (!seen.insert(node.get()).second) continue;
    nodes.push_back(node);
    for (const Node::Edge& edge : node->edges()) {
      if (edge.grad_fn) stack.push_back(edge.grad_fn);
    }
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const auto& a, const auto& b) { return a->sequence_nr() < b->sequence_nr(); });

  BlameResult result;
  result.graph_ops = nodes.size();
  options.allow_float32 = true;  // the node's saved inputs are checked as float64 copies
  for (size_t position = 1; position <= nodes.size(); ++position) {
    const std::shared_ptr<Node>& node = nodes[position - 1];
    const std::vector<Tensor> inputs = node->saved_inputs();
    const Node* raw = node.get();
    if (const char* reason = node->no_rerun_reason()) {
      result.not_rerunnable.push_back(fmt::format("{} ({})", node->name(), reason));
      continue;
    }
    bool rerunnable = !inputs.empty();
    if (rerunnable) {
      NoGradGuard no_grad;
      try {
        rerunnable = node->forward(inputs).defined();
      } catch (const std::exception&) {
        rerunnable = false;  // listed as not checked rather than ending blame
      }
    }
    if (!rerunnable) {
      result.not_rerunnable.push_back(node->name());
      continue;
    }
    bool any = false;
    for (const Tensor& in : inputs) any = any || (in.requires_grad() && is_floating(in.dtype()));
    if (!any) continue;
    ++result.nodes_checked;
    GradcheckResult check =
        gradcheck([raw](const std::vector<Tensor>& in) { return raw->forward(in); }, inputs, options);
    if (!check.passed) {
      result.found = true;
      result.op = node->name();
      result.node_type = node->type_name();
      result.position = position;
      if (const CreationSite* site = node->creation_site()) result.creation_site = site->describe("    ");
      for (const Tensor& in : inputs) {
        result.inputs.push_back(in.name().empty() ? format_shape(in.shape()) : in.name());
      }
      result.check = std::move(check);
      return result;
    }
  }
  return result;
}

}  // namespace xg
