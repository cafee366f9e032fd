// graph_fuzz: random expression graphs, their backward checked against central differences.
//
// Each graph comes from one seed: a few float64 leaves of random small shapes (ranks 0-3, sizes
// 1-3, so that binary ops broadcast), then up to --max-ops ops drawn from the whole op set, each
// applied to the newest value or to any earlier one (values are reused, so gradients accumulate),
// with a second operand of a broadcast-compatible shape. xgrad itself runs the forward as the
// graph is drawn: an op it refuses is counted (and reported: the fuzzer proposes only valid calls)
// and another is drawn; a graph whose values leave [-1e3, 1e3] is drawn again from the next seed.
// The last value is the output, checked with xg::gradcheck (float64, default tolerances, with the
// reentrancy and zero-grad contract checks) and, for every fourth graph, xg::gradgradcheck.
//
// A failure prints the seed, gradcheck's report, and a minimal reproduction: the earliest value
// that fails, only the ops it depends on, ops bypassed where the failure survives without them,
// as a C++ program that includes xgrad and calls gradcheck. `graph_fuzz --seed S --count 1`
// redraws the same graph. CTest runs 500 graphs; `scripts/test --fuzz` runs 10,000.
#include <autograd/autograd.hpp>
#include <nn/loss.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using xg::Shape;
using xg::Tensor;

// --inject-bug: x^2 whose backward forgets the factor 2, to show what a failure looks like.
struct BuggySquareBackward final : xg::Node {
  const char* name() const override { return "buggy_square"; }
  xg::Grads backward(const Tensor& g) override { return {g * input(0)}; }
};
Tensor buggy_square(const Tensor& x) { return Tensor::record<BuggySquareBackward>(x.detach() * x.detach(), {x}); }

// Every op of the catalogue (autograd/ops/op_info.hpp), nn's losses included, drawn or not.
std::vector<xg::OpInfo> catalogue() {
  std::vector<xg::OpInfo> all = xg::op_catalogue();
  for (const xg::OpInfo& info : xg::nn::loss_ops()) all.push_back(info);
  return all;
}

// The ops drawn: every entry that has a drawing rule, and last the injected bug (drawn only
// with --inject-bug).
const std::vector<xg::OpInfo>& ops() {
  static const std::vector<xg::OpInfo> all = [] {
    std::vector<xg::OpInfo> v;
    for (const xg::OpInfo& info : catalogue()) {
      if (info.sample != xg::OpSample::none) v.push_back(info);
    }
    v.push_back({.name = "buggy_square",
                 .family = "tests/fuzz/graph_fuzz",
                 .signature = "buggy_square(x)",
                 .sample = xg::OpSample::unary,
                 .call = [](const xg::OpCall& o) { return buggy_square(o.a); },
                 .expression = "buggy_square({a})"});
    return v;
  }();
  return all;
}
int buggy_square_op() { return static_cast<int>(ops().size()) - 1; }
const xg::OpInfo& info(int op) { return ops()[static_cast<size_t>(op)]; }
const char* op_name(int op) { return info(op).name; }

// One step of the program: a leaf (input `leaf`) or an op on earlier values a, b.
struct Step {
  int op = -1;  // an index into ops(); -1: a leaf
  int leaf = -1;
  int a = -1, b = -1;
  int constant = -1;  // index into Graph::constants (where's condition, targets, labels, indices)
  int64_t i0 = 0, i1 = 0, i2 = 0, i3 = 0;
  bool flag = false;
  double d = 0.0;
  Shape shape;  // reshape / view / broadcast_to / sum_to target
  bool is_leaf() const { return op < 0; }
};

struct Graph {
  uint64_t seed = 0;
  std::vector<Step> steps;
  std::vector<Tensor> leaves;     // float64, requires grad
  std::vector<Tensor> constants;  // no grad
  int output = -1;                // index into steps
};

// Domain guards written into the op itself, so that log, sqrt, div and real powers see
// positive arguments whatever the operand: x*x + 0.5.
Tensor positive(const Tensor& x) { return x * x + 0.5; }

Tensor apply(const Step& s, const std::vector<Tensor>& v, const std::vector<Tensor>& c) {
  if (s.is_leaf()) throw std::logic_error("graph_fuzz: apply called on a leaf");
  const xg::OpInfo& op = info(s.op);
  xg::OpCall call;
  if (s.a >= 0) call.a = op.positive_a ? positive(v[static_cast<size_t>(s.a)]) : v[static_cast<size_t>(s.a)];
  if (s.b >= 0) call.b = op.positive_b ? positive(v[static_cast<size_t>(s.b)]) : v[static_cast<size_t>(s.b)];
  if (s.constant >= 0) call.c = c[static_cast<size_t>(s.constant)];
  call.d = s.d;
  call.i0 = s.i0, call.i1 = s.i1, call.i2 = s.i2, call.i3 = s.i3;
  call.flag = s.flag;
  call.shape = s.shape;
  return op.call(call);
}

std::string shape_literal(const Shape& shape) { return fmt::format("{{{}}}", fmt::join(shape, ", ")); }

constexpr std::array<const char*, 3> kReductions = {"nn::Reduction::none", "nn::Reduction::mean", "nn::Reduction::sum"};

// The step as a C++ expression over v<i> and c<j>: the op's own expression text with the names.
std::string expression(const Step& s) {
  const xg::OpInfo& op = info(s.op);
  const auto name = [](int i, bool positive) {
    const std::string v = fmt::format("v{}", i);
    return positive ? fmt::format("({0} * {0} + 0.5)", v) : v;
  };
  return fmt::format(fmt::runtime(op.expression), fmt::arg("a", name(s.a, op.positive_a)),
                     fmt::arg("b", name(s.b, op.positive_b)), fmt::arg("c", fmt::format("c{}", s.constant)),
                     fmt::arg("d", fmt::format("{:.17g}", s.d)), fmt::arg("i0", s.i0), fmt::arg("i1", s.i1),
                     fmt::arg("i2", s.i2), fmt::arg("i3", s.i3), fmt::arg("flag", s.flag ? "true" : "false"),
                     fmt::arg("shape", shape_literal(s.shape)),
                     fmt::arg("reduction", kReductions[static_cast<size_t>(std::clamp<int64_t>(s.i0, 0, 2))]));
}

std::string tensor_literal(const Tensor& t, bool requires_grad) {
  if (t.dtype() == xg::int64) {
    std::vector<int64_t> values;
    for (double x : t.to_vector()) values.push_back(static_cast<int64_t>(x));
    return fmt::format("from_vector(std::vector<int64_t>{{{}}}, {})", fmt::join(values, ", "),
                       shape_literal(t.shape()));
  }
  std::vector<std::string> values;
  for (double x : t.to_vector()) values.push_back(fmt::format("{:.17g}", x));
  return fmt::format("from_vector({{{}}}, {}, {{.dtype = {}{}}})", fmt::join(values, ", "), shape_literal(t.shape()),
                     t.dtype() == xg::boolean ? "boolean" : "float64", requires_grad ? ", .requires_grad = true" : "");
}

std::vector<Tensor> run(const Graph& g, const std::vector<Tensor>& leaves) {
  std::vector<Tensor> v(g.steps.size());
  for (size_t i = 0; i < g.steps.size(); ++i) {
    const Step& s = g.steps[i];
    v[i] = s.is_leaf() ? leaves[static_cast<size_t>(s.leaf)] : apply(s, v, g.constants);
  }
  return v;
}

// ---- drawing a graph ----

// An op that threw xg::Error for a call the drawer meant to be valid: how often, and the first
// seed that did it.
struct Refusal {
  int64_t times = 0;
  uint64_t first_seed = 0;
};

class Drawer {
 public:
  Drawer(uint64_t seed, int max_ops, bool inject_bug) : rng_(seed), max_ops_(max_ops), inject_bug_(inject_bug) {
    g_.seed = seed;
  }

  // nullopt when the graph's values left the range (the caller draws from the next seed).
  std::optional<Graph> draw(std::map<std::string, Refusal>& refused) {
    const int ops = std::uniform_int_distribution<int>(1, max_ops_)(rng_);
    add_leaf(random_shape());
    if (coin(0.5)) add_leaf(random_shape());
    int made = 0;
    for (int attempt = 0; made < ops && attempt < 40 * ops; ++attempt) {
      std::optional<Step> s = propose();
      if (!s) continue;
      Tensor r;
      try {
        r = apply(*s, values_, g_.constants);
      } catch (const xg::Error& e) {
        Refusal& refusal = refused[fmt::format("{}: {}", op_name(s->op), e.what())];
        if (refusal.times++ == 0) refusal.first_seed = g_.seed;
        continue;
      }
      if (!in_range(r)) return std::nullopt;
      if (r.numel() > 64) continue;  // keep the Jacobians small
      g_.steps.push_back(*s);
      values_.push_back(r);
      ++made;
    }
    g_.output = static_cast<int>(g_.steps.size()) - 1;
    // a graph this steep (a gradient beyond 1e4) is beyond what central differences resolve at
    // eps 1e-6: their truncation error there is no finding (seed 1010063: sin of a value ~1e3)
    const Tensor& out = values_.back();
    if (out.requires_grad()) {
      for (const Tensor& grad : xg::grad({out}, g_.leaves, {xg::ones_like(out)}, {.allow_unused = true})) {
        if (grad.defined() && !in_range(grad, 1e4)) return std::nullopt;
      }
    }
    return g_;
  }

 private:
  std::mt19937_64 rng_;
  int max_ops_;
  bool inject_bug_;
  Graph g_;
  std::vector<Tensor> values_;

  bool coin(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  int64_t integer(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng_); }

  static bool in_range(const Tensor& t, double limit = 1e3) {
    for (double x : t.to_vector()) {
      if (!std::isfinite(x) || std::abs(x) > limit) return false;
    }
    return true;
  }

  Shape random_shape() {
    Shape s(static_cast<size_t>(integer(0, 3)));
    for (auto& d : s) d = integer(1, 3);
    return s;
  }

  int add_leaf(const Shape& shape) {
    std::vector<double> values(static_cast<size_t>(xg::numel(shape)));
    for (double& x : values) x = real(-1.5, 1.5);
    g_.leaves.push_back(xg::from_vector(values, shape, {.dtype = xg::float64, .requires_grad = true}));
    Step s;
    s.leaf = static_cast<int>(g_.leaves.size()) - 1;
    g_.steps.push_back(s);
    values_.push_back(g_.leaves.back());
    return static_cast<int>(g_.steps.size()) - 1;
  }

  int add_constant(Tensor t) {
    g_.constants.push_back(std::move(t));
    return static_cast<int>(g_.constants.size()) - 1;
  }

  // The newest value most of the time (deep chains), else any earlier one (reuse, fan-in).
  int pick() {
    const int n = static_cast<int>(values_.size());
    return coin(0.8) ? n - 1 : static_cast<int>(integer(0, n - 1));
  }

  // A shape that broadcasts with `s`: some of its axes set to 1, leading ones dropped, or a new
  // leading axis.
  Shape broadcast_partner(const Shape& s) {
    Shape p = s;
    for (auto& d : p) {
      if (coin(0.3)) d = 1;
    }
    while (!p.empty() && coin(0.25)) p.erase(p.begin());
    if (p.size() >= s.size() && p.size() < 3 && coin(0.15)) p.insert(p.begin(), integer(1, 2));
    return p;
  }

  static bool broadcastable(const Shape& x, const Shape& y) {
    for (size_t i = 1; i <= std::min(x.size(), y.size()); ++i) {
      const int64_t dx = x[x.size() - i], dy = y[y.size() - i];
      if (dx != dy && dx != 1 && dy != 1) return false;
    }
    return true;
  }

  // A second operand for an op on `a`: an earlier value of a compatible shape, or a new leaf.
  int partner(int a, bool same_shape) {
    const Shape& sa = values_[a].shape();
    std::vector<int> fits;
    for (int i = 0; i < static_cast<int>(values_.size()); ++i) {
      const Shape& si = values_[i].shape();
      if (same_shape ? si == sa : broadcastable(si, sa)) fits.push_back(i);
    }
    if (!fits.empty() && (coin(0.7) || g_.leaves.size() >= 5)) {
      return fits[static_cast<size_t>(integer(0, static_cast<int64_t>(fits.size()) - 1))];
    }
    if (g_.leaves.size() >= 5) return -1;
    // a new leaf: it goes before the op, so values_ grows here
    return add_leaf(same_shape ? sa : broadcast_partner(sa));
  }

 public:
  // One call of `op` on fresh leaves (the sweep's unit): the graph of its leaves and the step;
  // nullopt when this seed's leaves do not suit it or its values leave the range.
  std::optional<std::pair<Graph, Step>> draw_call(int op) {
    add_leaf(random_shape());
    for (int attempt = 0; attempt < 40; ++attempt) {
      std::optional<Step> s = propose(op);
      if (!s) continue;
      // operands that are results of other steps are not check_op inputs: draw again
      const auto is_leaf = [&](int i) { return i < 0 || g_.steps[static_cast<size_t>(i)].is_leaf(); };
      if (!is_leaf(s->a) || !is_leaf(s->b)) continue;
      try {
        if (!in_range(apply(*s, values_, g_.constants))) return std::nullopt;
      } catch (const xg::Error&) {
        return std::nullopt;  // the main run reports refusals; the sweep only needs valid calls
      }
      return std::pair{g_, *s};
    }
    return std::nullopt;
  }

 private:
  // A call of a random op (or of `forced`, the sweep's op) on a recent value, drawn by the rule of
  // the op's sample kind; nullopt when the value does not suit the op.
  std::optional<Step> propose(int forced = -1) {
    Step s;
    const int drawable = static_cast<int>(ops().size()) - 1;  // the injected bug last
    s.op = forced >= 0 ? forced : static_cast<int>(integer(0, drawable - 1));
    if (forced < 0 && inject_bug_ && coin(0.2)) s.op = buggy_square_op();
    const xg::OpInfo& op = info(s.op);
    s.a = pick();
    const Tensor a = values_[static_cast<size_t>(s.a)];  // a copy: partner() may grow values_
    const Shape sa = a.shape();
    const auto rank = static_cast<int64_t>(sa.size());
    auto axis = [&] { return integer(-rank, rank - 1); };
    auto size_at = [&](int64_t ax) { return sa[static_cast<size_t>(ax < 0 ? ax + rank : ax)]; };
    for (double v : a.to_vector()) {
      if (op.keep_from_zero > 0 && std::abs(v) < op.keep_from_zero) return std::nullopt;
      if (op.max_abs_a > 0 && std::abs(v) > op.max_abs_a) return std::nullopt;
    }
    switch (op.sample) {
      case xg::OpSample::none: return std::nullopt;
      case xg::OpSample::unary: break;
      case xg::OpSample::unary_scalar: s.d = real(op.lo, op.hi) * (op.either_sign && coin(0.5) ? -1 : 1); break;
      case xg::OpSample::unary_integer: s.i0 = integer(static_cast<int64_t>(op.lo), static_cast<int64_t>(op.hi)); break;
      case xg::OpSample::binary:
        s.b = partner(s.a, false);
        if (s.b < 0) return std::nullopt;
        if (coin(0.5)) std::swap(s.a, s.b);
        break;
      case xg::OpSample::same_shape:
        s.b = partner(s.a, true);
        if (s.b < 0) return std::nullopt;
        s.i0 = integer(0, 2);  // a Reduction
        break;
      case xg::OpSample::where: {
        s.b = partner(s.a, false);
        if (s.b < 0) return std::nullopt;
        Shape cs = broadcast_partner(xg::broadcast_shapes(sa, values_[static_cast<size_t>(s.b)].shape()));
        std::vector<double> cond(static_cast<size_t>(xg::numel(cs)));
        for (double& x : cond) x = coin(0.5) ? 1 : 0;
        s.constant = add_constant(xg::from_vector(cond, cs, {.dtype = xg::boolean}));
        break;
      }
      case xg::OpSample::matrix:
        if (rank != 2) return std::nullopt;
        break;
      case xg::OpSample::matmul:
      case xg::OpSample::gemm: {
        const bool gemm = op.sample == xg::OpSample::gemm;
        if (rank < 1 || rank > 3 || (gemm && rank != 2)) return std::nullopt;
        s.flag = gemm && coin(0.5);  // gemm: transpose a
        s.i0 = gemm && coin(0.5);    // gemm: transpose b
        const int64_t k = rank == 1 ? sa[0] : (s.flag ? sa[0] : sa[static_cast<size_t>(rank) - 1]);
        Shape sb;
        if (gemm)
          sb = s.i0 ? Shape{integer(1, 3), k} : Shape{k, integer(1, 3)};
        else if (rank == 3 && coin(0.5))
          sb = Shape{sa[0], k, integer(1, 3)};  // batched: [B, m, k] x [B, k, n]
        else
          sb = coin(0.3) ? Shape{k} : Shape{k, integer(1, 3)};
        s.b = of_shape(sb);
        if (s.b < 0) return std::nullopt;
        break;
      }
      case xg::OpSample::axis:
      case xg::OpSample::squeeze:
        if (rank == 0) return std::nullopt;
        s.i0 = axis();
        s.flag = coin(0.5);
        if (op.sample == xg::OpSample::squeeze && size_at(s.i0) != 1) return std::nullopt;
        break;
      case xg::OpSample::unsqueeze:
        if (rank >= 3) return std::nullopt;
        s.i0 = integer(-rank - 1, rank);
        break;
      case xg::OpSample::two_axes:
        if (rank < 2) return std::nullopt;
        s.i0 = axis();
        s.i1 = axis();
        break;
      case xg::OpSample::reshape: {
        // the same elements as another shape: dims permuted, or flattened into a row or a column
        Shape t = sa;
        std::shuffle(t.begin(), t.end(), rng_);
        if (coin(0.3)) t = coin(0.5) ? Shape{a.numel()} : Shape{a.numel(), 1};
        if (coin(0.2) && !t.empty()) t[static_cast<size_t>(integer(0, static_cast<int64_t>(t.size()) - 1))] = -1;
        s.shape = t;
        break;
      }
      case xg::OpSample::concat:
      case xg::OpSample::stack:
        if (rank == 0 && op.sample == xg::OpSample::concat) return std::nullopt;
        s.b = coin(0.3) ? s.a : partner(s.a, true);  // x with itself: both halves flow back to x
        if (s.b < 0) return std::nullopt;
        s.i0 = op.sample == xg::OpSample::concat ? axis() : integer(-rank - 1, rank);
        break;
      case xg::OpSample::slice: {
        if (rank == 0) return std::nullopt;
        s.i0 = axis();
        const int64_t n = size_at(s.i0);
        s.i1 = integer(0, n - 1);
        s.i2 = integer(s.i1 + 1, n);
        s.i3 = integer(1, 2);
        break;
      }
      case xg::OpSample::permutation: {
        Shape dims(sa.size());
        std::iota(dims.begin(), dims.end(), int64_t{0});
        std::shuffle(dims.begin(), dims.end(), rng_);
        for (auto& d : dims) {
          if (coin(0.3)) d -= rank;
        }
        s.shape = dims;
        break;
      }
      case xg::OpSample::select: {
        if (rank == 0) return std::nullopt;
        s.i0 = axis();
        const int64_t n = size_at(s.i0);
        if (n == 0) return std::nullopt;
        s.i1 = integer(-n, n - 1);
        break;
      }
      case xg::OpSample::diagonal:
        if (rank < 2) return std::nullopt;
        s.i0 = integer(-2, 2);
        s.i1 = axis();
        s.i2 = axis();
        if ((s.i1 + rank) % rank == (s.i2 + rank) % rank) return std::nullopt;
        // a diagonal of at least one element (an empty value would end the graph's other ops)
        if (std::min(size_at(s.i1) + std::min<int64_t>(s.i0, 0), size_at(s.i2) - std::max<int64_t>(s.i0, 0)) < 1) {
          return std::nullopt;
        }
        break;
      case xg::OpSample::unflatten: {
        if (rank == 0 || rank > 3) return std::nullopt;
        s.i0 = axis();
        const int64_t n = size_at(s.i0);
        // [n], [k, n / k] for a divisor k, or [1, n, 1]; one size -1 sometimes
        std::vector<int64_t> divisors;
        for (int64_t k = 1; k <= n; ++k) {
          if (n % k == 0) divisors.push_back(k);
        }
        const int64_t k =
            divisors.empty() ? 1 : divisors[static_cast<size_t>(integer(0, static_cast<int64_t>(divisors.size()) - 1))];
        s.shape = coin(0.2) ? Shape{n} : coin(0.2) ? Shape{1, n, 1} : Shape{k, n == 0 ? 0 : n / k};
        if (coin(0.3) && n > 0) s.shape[static_cast<size_t>(integer(0, static_cast<int64_t>(s.shape.size()) - 1))] = -1;
        break;
      }
      case xg::OpSample::index: {
        if (rank == 0) return std::nullopt;
        s.i0 = axis();
        const int64_t n = size_at(s.i0);
        std::vector<int64_t> index(static_cast<size_t>(integer(1, 4)));
        for (auto& i : index) i = integer(0, n - 1);  // repeats allowed: their gradients add up
        s.constant = add_constant(xg::from_vector(index, {static_cast<int64_t>(index.size())}));
        break;
      }
      case xg::OpSample::broadcast_to: {
        // a leading axis, and size-1 axes stretched
        Shape t = sa;
        for (auto& d : t) {
          if (d == 1 && coin(0.5)) d = integer(2, 3);
        }
        if (t.size() < 3 && coin(0.5)) t.insert(t.begin(), integer(1, 3));
        s.shape = t;
        break;
      }
      case xg::OpSample::sum_to: {
        // broadcast_to in reverse: leading axes dropped, others summed down to size 1
        Shape t = sa;
        while (!t.empty() && coin(0.3)) t.erase(t.begin());
        for (auto& d : t) {
          if (coin(0.4)) d = 1;
        }
        s.shape = t;
        break;
      }
      case xg::OpSample::probabilities: {
        std::vector<double> target(static_cast<size_t>(a.numel()));
        for (double& x : target) x = real(0, 1);
        s.constant = add_constant(xg::from_vector(target, sa, {.dtype = xg::float64}));
        s.i0 = integer(0, 2);  // a Reduction
        break;
      }
      case xg::OpSample::class_labels: {
        if (rank != 2) return std::nullopt;
        std::vector<int64_t> labels(static_cast<size_t>(sa[0]));
        for (auto& l : labels) l = integer(0, sa[1] - 1);
        s.constant = add_constant(xg::from_vector(labels, {sa[0]}));
        s.i0 = integer(0, 2);  // a Reduction
        break;
      }
    }
    return s;
  }

  // An earlier value of exactly `shape`, or a new leaf of it; -1 when neither can be had.
  int of_shape(const Shape& shape) {
    std::vector<int> fits;
    for (int i = 0; i < static_cast<int>(values_.size()); ++i) {
      if (values_[static_cast<size_t>(i)].shape() == shape) fits.push_back(i);
    }
    if (!fits.empty() && coin(0.6)) return fits[static_cast<size_t>(integer(0, static_cast<int64_t>(fits.size()) - 1))];
    if (g_.leaves.size() < 5) return add_leaf(shape);
    return -1;
  }
};

// The longest path from a leaf to the output, in ops.
int depth(const Graph& g) {
  std::vector<int> d(g.steps.size(), 0);
  for (size_t i = 0; i < g.steps.size(); ++i) {
    const Step& s = g.steps[i];
    if (s.is_leaf()) continue;
    d[i] = 1 + std::max(s.a >= 0 ? d[static_cast<size_t>(s.a)] : 0, s.b >= 0 ? d[static_cast<size_t>(s.b)] : 0);
  }
  return d[static_cast<size_t>(g.output)];
}

// ---- checking, and shrinking a failure ----

struct Verdict {
  bool failed = false;
  bool second_order = false;  // the failure is gradgradcheck's (gradcheck passed)
  std::string what;           // gradcheck's report, or the exception
};

// The first node below `root` that cannot re-run from its inputs (Node::forward undefined), by
// type name; empty when every one can. blame() re-checks each node that way, so a built-in node
// without forward() would be a node blame skips.
std::string node_without_forward(const Tensor& root) {
  std::vector<std::shared_ptr<xg::Node>> stack;
  std::set<const xg::Node*> seen;
  if (root.defined() && root.grad_fn()) stack.push_back(root.grad_fn());
  while (!stack.empty()) {
    const std::shared_ptr<xg::Node> node = stack.back();
    stack.pop_back();
    if (!seen.insert(node.get()).second) continue;
    // saved_inputs(): no version check (a node whose backward needs only shapes may have had its
    // input written in place since, as index_put_'s copy_ does)
    const std::vector<Tensor> inputs = node->saved_inputs();
    const bool excused = node->no_rerun_reason() != nullptr || std::string_view(node->name()) == "buggy_square";
    if (!excused && !node->forward(inputs).defined()) return node->type_name();
    for (const Tensor& t : inputs) {
      if (t.defined() && t.grad_fn()) stack.push_back(t.grad_fn());
    }
  }
  return {};
}

// Every node of the graph, and of its backward graph when `second_order`, re-runs for blame.
std::string rerun_failure(const Graph& g, bool second_order) {
  const std::vector<Tensor> values = run(g, g.leaves);
  const Tensor& output = values.back();
  if (std::string missing = node_without_forward(output); !missing.empty()) return missing;
  if (!second_order) return {};
  const std::vector<Tensor> grads =
      xg::grad({xg::sum(output)}, g.leaves, {}, {.create_graph = true, .allow_unused = true});
  for (const Tensor& grad : grads) {
    if (std::string missing = node_without_forward(grad); !missing.empty()) return missing + " (in the backward graph)";
  }
  return {};
}

// Checks the value at `output` as a function of every leaf.
Verdict check(const Graph& g, bool second_order) {
  Graph copy = g;
  copy.steps.resize(static_cast<size_t>(g.output) + 1);
  const xg::TensorFunction fn = [&copy](const std::vector<Tensor>& leaves) { return run(copy, leaves).back(); };
  try {
    if (std::string missing = rerun_failure(copy, second_order); !missing.empty()) {
      return {true, false, fmt::format("blame cannot re-run the node {}: give it forward()", missing)};
    }
    xg::GradcheckResult r = xg::gradcheck(fn, copy.leaves);
    if (!r.passed) return {true, false, "gradcheck: " + r.report()};
    if (second_order) {
      r = xg::gradgradcheck(fn, copy.leaves);
      if (!r.passed) return {true, true, "gradgradcheck: " + r.report()};
    }
  } catch (const std::exception& e) {
    return {true, false, fmt::format("threw: {}", e.what())};
  }
  return {};
}

// Which steps `output` depends on.
std::vector<bool> cone(const Graph& g) {
  std::vector<bool> used(g.steps.size(), false);
  used[static_cast<size_t>(g.output)] = true;
  for (int i = g.output; i >= 0; --i) {
    if (!used[static_cast<size_t>(i)]) continue;
    const Step& s = g.steps[static_cast<size_t>(i)];
    if (s.a >= 0) used[static_cast<size_t>(s.a)] = true;
    if (s.b >= 0) used[static_cast<size_t>(s.b)] = true;
  }
  return used;
}

// The steps and leaves of `output`'s cone only, renumbered.
Graph prune(const Graph& g) {
  const std::vector<bool> used = cone(g);
  Graph out;
  out.seed = g.seed;
  std::vector<int> step_map(g.steps.size(), -1), constant_map(g.constants.size(), -1);
  for (int i = 0; i <= g.output; ++i) {
    if (!used[static_cast<size_t>(i)]) continue;
    Step s = g.steps[static_cast<size_t>(i)];
    if (s.is_leaf()) {
      out.leaves.push_back(g.leaves[static_cast<size_t>(s.leaf)]);
      s.leaf = static_cast<int>(out.leaves.size()) - 1;
    }
    if (s.a >= 0) s.a = step_map[static_cast<size_t>(s.a)];
    if (s.b >= 0) s.b = step_map[static_cast<size_t>(s.b)];
    if (s.constant >= 0) {
      if (constant_map[static_cast<size_t>(s.constant)] < 0) {
        out.constants.push_back(g.constants[static_cast<size_t>(s.constant)]);
        constant_map[static_cast<size_t>(s.constant)] = static_cast<int>(out.constants.size()) - 1;
      }
      s.constant = constant_map[static_cast<size_t>(s.constant)];
    }
    step_map[static_cast<size_t>(i)] = static_cast<int>(out.steps.size());
    out.steps.push_back(s);
  }
  out.output = static_cast<int>(out.steps.size()) - 1;
  return out;
}

// The same kind of failure as the original's: a first-order one stays first-order (a shrunk graph
// that only fails gradgradcheck would be another bug).
bool still_fails(const Graph& g, bool second_order, bool original_second_order) {
  const Verdict v = check(g, second_order);
  return v.failed && v.second_order == original_second_order;
}

Graph shrink(Graph g, bool second_order, bool original_second_order) {
  // 1. the earliest value that fails by itself
  for (int i = 0; i < g.output; ++i) {
    if (g.steps[static_cast<size_t>(i)].is_leaf()) continue;
    Graph h = g;
    h.output = i;
    if (still_fails(h, second_order, original_second_order)) {
      g.output = i;
      break;
    }
  }
  g = prune(g);
  // 2. bypass ops whose result has the shape of their operand, while the failure stays
  const std::vector<Tensor> values = run(g, g.leaves);
  for (int i = g.output - 1; i >= 0; --i) {
    const Step& s = g.steps[static_cast<size_t>(i)];
    if (s.is_leaf()) continue;
    for (int operand : {s.a, s.b}) {
      if (operand < 0 || values[static_cast<size_t>(operand)].shape() != values[static_cast<size_t>(i)].shape())
        continue;
      Graph h = g;
      for (Step& t : h.steps) {
        if (t.a == i) t.a = operand;
        if (t.b == i) t.b = operand;
      }
      h = prune(h);
      if (still_fails(h, second_order, original_second_order)) {
        return shrink(h, second_order, original_second_order);  // indices moved: start over
      }
    }
  }
  return g;
}

std::string reproduction(const Graph& g, bool second_order, bool inject_bug) {
  std::string out =
      "#include <autograd/autograd.hpp>\n#include <nn/loss.hpp>\n#include <iostream>\n\nusing namespace xg;\n\n";
  if (inject_bug) {
    out +=
        "// graph_fuzz's injected bug: x^2 whose backward forgets the factor 2\n"
        "struct BuggySquareBackward final : Node {\n"
        "  const char* name() const override { return \"buggy_square\"; }\n"
        "  Grads backward(const Tensor& g) override { return {g * input(0)}; }\n"
        "};\n"
        "Tensor buggy_square(const Tensor& x) { return Tensor::record<BuggySquareBackward>(x.detach() * x.detach(), "
        "{x}); }\n\n";
  }
  out += "int main() {\n";
  for (size_t j = 0; j < g.constants.size(); ++j) {
    out += fmt::format("  const Tensor c{} = {};\n", j, tensor_literal(g.constants[j], false));
  }
  out += "  const std::vector<Tensor> inputs = {\n";
  for (const Tensor& leaf : g.leaves) out += fmt::format("      {},\n", tensor_literal(leaf, true));
  out += "  };\n  auto f = [&](const std::vector<Tensor>& in) {\n";
  for (size_t i = 0; i < g.steps.size(); ++i) {
    const Step& s = g.steps[i];
    if (s.is_leaf())
      out += fmt::format("    const Tensor& v{} = in[{}];\n", i, s.leaf);
    else
      out += fmt::format("    Tensor v{} = {};\n", i, expression(s));
  }
  out += fmt::format("    return v{};\n  }};\n", g.output);
  out += "  const GradcheckResult r = gradcheck(f, inputs);\n  std::cout << r.report() << \"\\n\";\n";
  if (second_order) {
    out +=
        "  const GradcheckResult r2 = gradgradcheck(f, inputs);\n  std::cout << r2.report() << \"\\n\";\n"
        "  return r.passed && r2.passed ? 0 : 1;\n}\n";
  } else {
    out += "  return r.passed ? 0 : 1;\n}\n";
  }
  return out;
}

void usage() {
  std::cout << "usage: graph_fuzz [--seed S] [--count N] [--max-ops K] [--quiet] [--inject-bug]\n"
               "  Draws N random expression graphs (seeds S, S+1, ...; default S=1, N=300, K=30 ops) and\n"
               "  checks each one's gradients with xg::gradcheck in float64 (every fourth also with\n"
               "  gradgradcheck). A failure prints its seed, gradcheck's report and a minimal C++\n"
               "  reproduction; exit status 1 when any graph failed.\n"
               "  --inject-bug adds buggy_square (x^2 with the factor 2 missing from its backward),\n"
               "  to show a failure and its reproduction.\n"
               "  --programs DIR writes, instead of checking, the C++ program of every graph (from seed S\n"
               "  on, at most N) that draws an op no earlier one drew, as DIR/graph_<seed>.cpp, until every\n"
               "  op has been drawn (exit status 1 if not): tests/consumer compiles and runs them, so that\n"
               "  the reproductions graph_fuzz prints stay code that compiles and gives the same verdict.\n"
               "  --sweep N runs every op of the catalogue alone, N drawn calls each, through xg::check_op.\n"
               "  --list-ops prints the catalogue (name, family, sample kind), --ops-table docs/ops.md.\n";
}

// ---- the catalogue: listing, the docs' table, the op sweep ----

const char* sample_name(xg::OpSample sample) {
  switch (sample) {
    case xg::OpSample::none: return "none";
    case xg::OpSample::unary: return "unary";
    case xg::OpSample::unary_scalar: return "unary_scalar";
    case xg::OpSample::unary_integer: return "unary_integer";
    case xg::OpSample::binary: return "binary";
    case xg::OpSample::same_shape: return "same_shape";
    case xg::OpSample::where: return "where";
    case xg::OpSample::matrix: return "matrix";
    case xg::OpSample::matmul: return "matmul";
    case xg::OpSample::gemm: return "gemm";
    case xg::OpSample::axis: return "axis";
    case xg::OpSample::squeeze: return "squeeze";
    case xg::OpSample::unsqueeze: return "unsqueeze";
    case xg::OpSample::two_axes: return "two_axes";
    case xg::OpSample::reshape: return "reshape";
    case xg::OpSample::concat: return "concat";
    case xg::OpSample::stack: return "stack";
    case xg::OpSample::slice: return "slice";
    case xg::OpSample::permutation: return "permutation";
    case xg::OpSample::select: return "select";
    case xg::OpSample::diagonal: return "diagonal";
    case xg::OpSample::unflatten: return "unflatten";
    case xg::OpSample::index: return "index";
    case xg::OpSample::broadcast_to: return "broadcast_to";
    case xg::OpSample::sum_to: return "sum_to";
    case xg::OpSample::probabilities: return "probabilities";
    case xg::OpSample::class_labels: return "class_labels";
  }
  return "?";
}

// --list-ops: "name family sample" per line (tests/check_op_tests.sh reads it).
// An entry that no driver draws must say why (OpInfo::not_drawn): exit status 1 otherwise.
int list_ops() {
  int unexplained = 0;
  for (const xg::OpInfo& op : catalogue()) {
    std::cout << op.name << " " << op.family << " " << sample_name(op.sample) << "\n";
    if (op.sample == xg::OpSample::none && std::string_view(op.not_drawn).empty()) {
      std::cerr << "graph_fuzz: " << op.name << " is drawn by no driver and its entry does not say why (not_drawn)\n";
      ++unexplained;
    }
  }
  return unexplained > 0 ? 1 : 0;
}

// --ops-table: docs/ops.md, which a test compares with this output.
int ops_table() {
  std::cout << "# The ops\n\n"
               "Generated from the op catalogue (`autograd/ops/op_info.hpp`) by `build/tests/graph_fuzz --ops-table`;\n"
               "the test `docs_ops_table_is_current` fails when this file and the catalogue differ. Each op's\n"
               "entry sits beside the op in its family file. \"Drawn as\" is the rule by which graph_fuzz and\n"
               "the op sweep draw its calls (`xg::OpSample`). An entry is one way of calling an op that the\n"
               "tests draw (`sum` and `sum_axis` both call `sum`), named for the tests' tags.\n\n"
               "| entry | call | file | drawn as | notes |\n|---|---|---|---|---|\n";
  for (const xg::OpInfo& op : catalogue()) {
    std::vector<std::string> notes;
    if (op.positive_a) notes.push_back("first operand > 0");
    if (op.positive_b) notes.push_back("second operand > 0");
    if (op.keep_from_zero > 0) notes.push_back("jump at 0");
    if (op.max_abs_a > 0) notes.push_back(fmt::format("logits within +-{:g}", op.max_abs_a));
    if (op.sample == xg::OpSample::none) notes.push_back(fmt::format("not drawn: {}", op.not_drawn));
    std::string signature = op.signature;  // a | inside a table cell ends it (bitwise_or's a | b)
    for (size_t at = signature.find('|'); at != std::string::npos; at = signature.find('|', at + 2))
      signature.replace(at, 1, "\\|");
    std::cout << fmt::format("| `{}` | `{}` | `{}.cpp` | {} | {} |\n", op.name, signature, op.family,
                             op.sample == xg::OpSample::none ? "-" : sample_name(op.sample), fmt::join(notes, "; "));
  }
  return 0;
}

// --sweep N: every drawable op alone, N calls each (drawn from seeds 1, 2, ...), through
// xg::check_op as a user would check an op of their own: gradcheck, gradgradcheck, a zero
// grad_output, reentrancy, a broadcast leading axis. An op the drawer cannot draw fails too.
int sweep(int64_t calls_per_op, bool inject_bug) {
  int failed = 0, checked = 0;
  const int count = buggy_square_op() + (inject_bug ? 1 : 0);
  for (int op = 0; op < count; ++op) {
    int made = 0;
    for (uint64_t seed = 1; seed < 2000 && made < calls_per_op; ++seed) {
      Drawer drawer(seed, 1, false);
      std::optional<std::pair<Graph, Step>> call = drawer.draw_call(op);
      if (!call) continue;
      ++made;
      const auto& [graph, step] = *call;
      // the operands are check_op's inputs; the constants stay as drawn
      std::vector<Shape> shapes;
      std::vector<int> slots;
      for (int operand : {step.a, step.b}) {
        if (operand < 0 || std::find(slots.begin(), slots.end(), operand) != slots.end()) continue;
        slots.push_back(operand);
        shapes.push_back(graph.leaves[static_cast<size_t>(graph.steps[static_cast<size_t>(operand)].leaf)].shape());
      }
      const xg::TensorFunction fn = [&graph, &step, &slots](const std::vector<Tensor>& in) {
        std::vector<Tensor> values(graph.steps.size());
        for (size_t k = 0; k < slots.size(); ++k) values[static_cast<size_t>(slots[k])] = in[k];
        return apply(step, values, graph.constants);
      };
      const xg::CheckOpResult r = xg::check_op(fn, shapes);
      ++checked;
      if (!r.passed) {
        ++failed;
        std::cout << fmt::format("graph_fuzz --sweep: FAILED {} ({}) drawn from seed {}:\n{}\n", op_name(op),
                                 expression(step), seed, r.report());
      }
    }
    if (made < calls_per_op) {
      ++failed;
      std::cout << fmt::format("graph_fuzz --sweep: FAILED {}: drew {} of {} calls (sample kind {})\n", op_name(op),
                               made, calls_per_op, sample_name(info(op).sample));
    }
  }
  std::cout << fmt::format("graph_fuzz --sweep: {} ops, {} calls through check_op: {} failed\n", count, checked,
                           failed);
  return failed > 0 ? 1 : 0;
}

// --programs: see usage().
int write_programs(const std::string& dir, uint64_t seed, int64_t count, int max_ops, bool inject_bug) {
  std::map<std::string, Refusal> refused;
  std::vector<bool> drawn(ops().size(), false);
  const size_t wanted = ops().size() - (inject_bug ? 0 : 1);  // buggy_square
  size_t covered = 0;
  int written = 0;
  for (uint64_t s = seed; s < seed + static_cast<uint64_t>(count) && covered < wanted; ++s) {
    std::optional<Graph> g;
    try {
      g = Drawer(s, max_ops, inject_bug).draw(refused);
    } catch (const std::exception& e) {
      std::cout << fmt::format("graph_fuzz: FAILED seed {}: drawing the graph threw {}\n", s, e.what());
      return 1;
    }
    if (!g) continue;
    bool fresh = false;
    for (const Step& step : g->steps) {
      if (step.is_leaf() || drawn[static_cast<size_t>(step.op)]) continue;
      drawn[static_cast<size_t>(step.op)] = true;
      ++covered;
      fresh = true;
    }
    if (!fresh) continue;
    const std::string path = fmt::format("{}/graph_{}.cpp", dir, s);
    std::ofstream out(path);
    out << "// graph_fuzz --seed " << s << " --count 1" << (inject_bug ? " --inject-bug" : "") << ", as a program\n"
        << reproduction(*g, s % 4 == 0, inject_bug);
    if (!out) {
      std::cerr << "graph_fuzz: cannot write " << path << "\n";
      return 1;
    }
    ++written;
  }
  std::cout << fmt::format("graph_fuzz: {} programs in {} cover {} of {} ops\n", written, dir, covered, wanted);
  for (size_t i = 0; i < drawn.size(); ++i) {
    if (!drawn[i] && (inject_bug || static_cast<int>(i) != buggy_square_op())) {
      std::cout << "graph_fuzz: never drawn: " << op_name(static_cast<int>(i)) << "\n";
    }
  }
  for (const auto& [what, r] : refused) {
    std::cout << fmt::format("graph_fuzz: FAILED: refused {} times, first by seed {}: {}\n", r.times, r.first_seed,
                             what);
  }
  return covered == wanted && refused.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 1;
  int64_t count = 300;
  int max_ops = 30;
  bool quiet = false, inject_bug = false;
  std::string programs;
  int64_t sweep_calls = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::cerr << "graph_fuzz: " << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--seed")
      seed = std::strtoull(value(), nullptr, 10);
    else if (arg == "--count")
      count = std::strtoll(value(), nullptr, 10);
    else if (arg == "--max-ops")
      max_ops = std::max(1, std::atoi(value()));
    else if (arg == "--quiet")
      quiet = true;
    else if (arg == "--inject-bug")
      inject_bug = true;
    else if (arg == "--programs")
      programs = value();
    else if (arg == "--list-ops")
      return list_ops();
    else if (arg == "--ops-table")
      return ops_table();
    else if (arg == "--sweep")
      sweep_calls = std::strtoll(value(), nullptr, 10);
    else if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else {
      std::cerr << "graph_fuzz: unknown argument " << arg << "\n";
      usage();
      return 2;
    }
  }

  if (!programs.empty()) return write_programs(programs, seed, count, max_ops, inject_bug);
  if (sweep_calls > 0) return sweep(sweep_calls, inject_bug);

  std::map<std::string, Refusal> refused;
  std::map<std::string, int64_t> ops_used;
  int64_t checked = 0, failed = 0, redrawn = 0, steps = 0, second_order = 0, depth_sum = 0;
  int max_depth = 0;
  uint64_t next = seed;
  for (int64_t n = 0; n < count; ++n) {
    std::optional<Graph> g;
    uint64_t graph_seed = 0;
    const std::string again = fmt::format("--count 1{}{}", max_ops != 30 ? fmt::format(" --max-ops {}", max_ops) : "",
                                          inject_bug ? " --inject-bug" : "");
    bool draw_failed = false;
    while (!g && !draw_failed) {
      graph_seed = next++;
      try {
        g = Drawer(graph_seed, max_ops, inject_bug).draw(refused);
      } catch (const std::exception& e) {
        // the forward itself threw something other than xg::Error: a finding of its own
        std::cout << fmt::format("graph_fuzz: FAILED seed {}: drawing the graph threw {} (graph_fuzz --seed {} {})\n",
                                 graph_seed, e.what(), graph_seed, again);
        draw_failed = true;
      }
      if (!g && !draw_failed) ++redrawn;
    }
    if (draw_failed) {
      ++failed;
      continue;
    }
    const bool gradgrad = graph_seed % 4 == 0;
    for (const Step& s : g->steps) {
      if (!s.is_leaf()) ++ops_used[op_name(s.op)], ++steps;
    }
    ++checked;
    second_order += gradgrad;
    const int d = depth(*g);
    depth_sum += d;
    max_depth = std::max(max_depth, d);
    const Verdict v = check(*g, gradgrad);
    if (!v.failed) continue;
    ++failed;
    const Graph small = shrink(*g, gradgrad, v.second_order);
    std::cout << fmt::format("graph_fuzz: FAILED seed {} ({} steps; reproduce with graph_fuzz --seed {} {})\n",
                             graph_seed, g->steps.size(), graph_seed, again);
    std::cout << check(small, gradgrad).what << "\n";
    std::cout << fmt::format("minimal reproduction ({} of {} steps):\n", small.steps.size(), g->steps.size())
              << reproduction(small, v.second_order, inject_bug) << "\n";
  }
  std::cout << fmt::format(
      "graph_fuzz: {} graphs from seed {} ({} ops, depth mean {:.1f}, max {}; {} also with "
      "gradgradcheck; {} redrawn for values out of range): {} failed\n",
      checked, seed, steps, checked > 0 ? static_cast<double>(depth_sum) / static_cast<double>(checked) : 0.0,
      max_depth, second_order, redrawn, failed);
  if (!quiet) {
    std::vector<std::string> used;
    for (const auto& [name, n] : ops_used) used.push_back(fmt::format("{} {}", name, n));
    std::cout << "ops drawn: " << fmt::format("{}", fmt::join(used, ", ")) << "\n";
  }
  for (const auto& [what, r] : refused) {
    std::cout << fmt::format(
        "graph_fuzz: FAILED: refused {} times, first by seed {} (graph_fuzz --seed {} --count 1{}): {}\n", r.times,
        r.first_seed, r.first_seed, max_ops != 30 ? fmt::format(" --max-ops {}", max_ops) : "", what);
  }
  // an op that refuses a call the fuzzer meant to be valid is a finding too
  return failed > 0 || !refused.empty() ? 1 : 0;
}
