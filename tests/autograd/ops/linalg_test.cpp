// Tests of autograd/ops/linalg: matmul in every operand layout it takes, gemm with each pair of
// transpose flags, their first and second derivatives, and the error messages.
#include <autograd/error.hpp>
#include <autograd/ops/linalg.hpp>
#include <autograd/ops/shape.hpp>
#include <autograd/random.hpp>
#include <autograd/tensor.hpp>
#include <autograd/testing.hpp>

#include <catch2/catch.hpp>
#include <support/tensors.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace xg::test;

namespace {

Tensor matrix64(const xg::TensorData& rows) { return xg::tensor(rows, {.dtype = xg::float64, .requires_grad = true}); }

// The product of op(a) and op(b) computed element by element from the values, batched like
// matmul (a missing batch axis is shared by every batch). Shapes are 2-D or 3-D.
std::vector<double> naive_product(const Tensor& a, const Tensor& b, bool transpose_a = false,
                                  bool transpose_b = false) {
  const Shape sa = a.shape(), sb = b.shape();
  const std::vector<double> va = a.to_vector(), vb = b.to_vector();
  const int64_t batches = sa.size() == 3 ? sa[0] : (sb.size() == 3 ? sb[0] : 1);
  const int64_t ra = sa[sa.size() - 2], ca = sa.back(), rb = sb[sb.size() - 2], cb = sb.back();
  const int64_t m = transpose_a ? ca : ra, k = transpose_a ? ra : ca, n = transpose_b ? rb : cb;
  std::vector<double> out;
  for (int64_t batch = 0; batch < batches; ++batch) {
    const int64_t offset_a = sa.size() == 3 ? batch * ra * ca : 0;
    const int64_t offset_b = sb.size() == 3 ? batch * rb * cb : 0;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p) {
          const double x = va[offset_a + (transpose_a ? p * ca + i : i * ca + p)];
          const double y = vb[offset_b + (transpose_b ? j * cb + p : p * cb + j)];
          sum += x * y;
        }
        out.push_back(sum);
      }
    }
  }
  return out;
}

Tensor product(const Inputs& in) { return xg::matmul(in[0], in[1]); }

}  // namespace

// ---- forward values ----

TEST_CASE("matmul of two vectors is their dot product as a 0-d tensor") {
  const Tensor c =
      xg::matmul(xg::tensor({1, 2, 3}, {.dtype = xg::float64}), xg::tensor({4, 5, 6}, {.dtype = xg::float64}));
  CHECK(c.dim() == 0);
  CHECK(c.shape() == Shape{});
  CHECK(c.dtype() == xg::float64);
  CHECK(c.item() == 32.0);
}

TEST_CASE("matmul of two matrices gives the hand-computed product") {
  const Tensor a = xg::tensor({{1, 2, 3}, {4, 5, 6}});
  const Tensor b = xg::tensor({{7, 8}, {9, 10}, {11, 12}});
  const Tensor c = xg::matmul(a, b);
  CHECK(c.shape() == Shape{2, 2});
  CHECK(c.dtype() == xg::float32);
  CHECK_THAT(c.to_vector(), Catch::Matchers::Equals(std::vector<double>{58, 64, 139, 154}));
  CHECK_THAT(a.matmul(b).to_vector(), Catch::Matchers::Equals(c.to_vector()));
}

TEST_CASE("matmul of a vector and a matrix treats the vector as a row and drops its axis") {
  const Tensor c = xg::matmul(xg::tensor({1, 2, 3}), xg::tensor({{7, 8}, {9, 10}, {11, 12}}));
  CHECK(c.shape() == Shape{2});
  CHECK_THAT(c.to_vector(), Catch::Matchers::Equals(std::vector<double>{58, 64}));
}

TEST_CASE("matmul of a matrix and a vector treats the vector as a column and drops its axis") {
  const Tensor c = xg::matmul(xg::tensor({{1, 2, 3}, {4, 5, 6}}), xg::tensor({1, 2, 3}));
  CHECK(c.shape() == Shape{2});
  CHECK_THAT(c.to_vector(), Catch::Matchers::Equals(std::vector<double>{14, 32}));
}

TEST_CASE("matmul of two 3-D tensors multiplies batch by batch") {
  const Tensor a = xg::tensor({{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}});
  const Tensor b = xg::tensor({{{1, 0}, {0, 1}}, {{2, 0}, {1, 1}}});
  const Tensor c = xg::matmul(a, b);
  CHECK(c.shape() == Shape{2, 2, 2});
  CHECK_THAT(c.to_vector(), Catch::Matchers::Equals(std::vector<double>{1, 2, 3, 4, 16, 6, 22, 8}));
}

TEST_CASE("matmul of a 3-D tensor and a matrix shares the matrix across batches") {
  const Tensor a = xg::tensor({{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}});
  const Tensor m = xg::tensor({{1, 1}, {0, 1}});
  const Tensor c = xg::matmul(a, m);
  CHECK(c.shape() == Shape{2, 2, 2});
  CHECK_THAT(c.to_vector(), Catch::Matchers::Equals(std::vector<double>{1, 3, 3, 7, 5, 11, 7, 15}));
}

TEST_CASE("matmul of a matrix and a 3-D tensor shares the matrix across batches") {
  const Tensor m = xg::tensor({{1, 1}, {0, 1}});
  const Tensor b = xg::tensor({{{1, 0}, {0, 1}}, {{2, 0}, {1, 1}}});
  const Tensor c = xg::matmul(m, b);
  CHECK(c.shape() == Shape{2, 2, 2});
  CHECK_THAT(c.to_vector(), Catch::Matchers::Equals(std::vector<double>{1, 1, 0, 1, 3, 1, 1, 1}));
}

TEST_CASE("matmul of rectangular operands in every layout agrees with a naive loop") {
  xg::manual_seed(11);
  struct Case {
    Shape a, b, expected;
  };
  const std::vector<Case> cases = {
      {{3, 4}, {4, 5}, {3, 5}},
      {{4}, {4, 5}, {5}},
      {{3, 4}, {4}, {3}},
      {{2, 3, 4}, {2, 4, 5}, {2, 3, 5}},
      {{2, 3, 4}, {4, 5}, {2, 3, 5}},
      {{3, 4}, {2, 4, 5}, {2, 3, 5}},
      {{4}, {2, 4, 5}, {2, 5}},
      {{2, 3, 4}, {4}, {2, 3}},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(xg::format_shape(c.a) << " @ " << xg::format_shape(c.b)) {
      const Tensor a = xg::randn(c.a, xg::float64), b = xg::randn(c.b, xg::float64);
      const Tensor out = xg::matmul(a, b);
      CHECK(out.shape() == c.expected);
      // the naive loop works on 2-D/3-D forms: a vector is a row on the left, a column on the right
      const Tensor a2 = a.dim() == 1 ? a.unsqueeze(0) : a;
      const Tensor b2 = b.dim() == 1 ? b.unsqueeze(1) : b;
      CHECK_THAT(out.to_vector(), Catch::Matchers::Approx(naive_product(a2, b2)).epsilon(1e-12).margin(1e-12));
    }
  }
}

TEST_CASE("matmul with an empty inner dimension gives zeros") {
  const Tensor c = xg::matmul(xg::zeros({2, 0}), xg::zeros({0, 3}));
  CHECK(c.shape() == Shape{2, 3});
  CHECK_THAT(c.to_vector(), Catch::Matchers::Equals(std::vector<double>(6, 0.0)));
}

TEST_CASE("float32 matmul of two 512x512 matrices agrees with a naive triple loop to 1e-3") {
  xg::manual_seed(512);
  const Tensor a = xg::randn({512, 512});
  const Tensor b = xg::randn({512, 512});
  const Tensor c = xg::matmul(a, b);
  REQUIRE(c.dtype() == xg::float32);
  REQUIRE(c.shape() == Shape{512, 512});
  const std::vector<double> got = c.to_vector(), va = a.to_vector(), vb = b.to_vector();
  const size_t n = 512;
  std::vector<double> expected(n * n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    for (size_t p = 0; p < n; ++p) {
      const double x = va[i * n + p];
      for (size_t j = 0; j < n; ++j) expected[i * n + j] += x * vb[p * n + j];
    }
  }
  double worst = 0;  // |got - expected| relative to max(|expected|, 1)
  size_t mismatches = 0;
  for (size_t i = 0; i < n * n; ++i) {
    const double relative = std::abs(got[i] - expected[i]) / std::max(std::abs(expected[i]), 1.0);
    worst = std::max(worst, relative);
    if (relative > 1e-3) ++mismatches;
  }
  INFO("worst relative difference " << worst);
  CHECK(mismatches == 0);
  CHECK(worst < 1e-3);
}

// ---- gemm ----

TEST_CASE("gemm gives the same product with each of the four transpose flag combinations") {
  const Tensor a = xg::tensor({{1, 2, 3}, {4, 5, 6}});       // [2, 3]
  const Tensor a_t = xg::tensor({{1, 4}, {2, 5}, {3, 6}});   // a^T stored [3, 2]
  const Tensor b = xg::tensor({{7, 8}, {9, 10}, {11, 12}});  // [3, 2]
  const Tensor b_t = xg::tensor({{7, 9, 11}, {8, 10, 12}});  // b^T stored [2, 3]
  const std::vector<double> expected{58, 64, 139, 154};
  CHECK_THAT(xg::gemm(a, b, false, false).to_vector(), Catch::Matchers::Equals(expected));
  CHECK_THAT(xg::gemm(a_t, b, true, false).to_vector(), Catch::Matchers::Equals(expected));
  CHECK_THAT(xg::gemm(a, b_t, false, true).to_vector(), Catch::Matchers::Equals(expected));
  CHECK_THAT(xg::gemm(a_t, b_t, true, true).to_vector(), Catch::Matchers::Equals(expected));
  CHECK(xg::gemm(a_t, b_t, true, true).shape() == Shape{2, 2});
}

TEST_CASE("gemm with transpose flags on rectangular 2-D and 3-D operands agrees with a naive loop") {
  xg::manual_seed(21);
  const bool transpose_a = GENERATE(false, true);
  const bool transpose_b = GENERATE(false, true);
  const int64_t m = 3, k = 4, n = 5, batch = 2;
  const Shape sa = transpose_a ? Shape{k, m} : Shape{m, k};
  const Shape sb = transpose_b ? Shape{n, k} : Shape{k, n};
  auto batched = [&](Shape s) {
    s.insert(s.begin(), batch);
    return s;
  };
  struct Case {
    const char* name;
    Shape a, b, expected;
  };
  const std::vector<Case> cases = {{"2-D, 2-D", sa, sb, {m, n}},
                                   {"3-D, 3-D", batched(sa), batched(sb), {batch, m, n}},
                                   {"3-D, 2-D", batched(sa), sb, {batch, m, n}},
                                   {"2-D, 3-D", sa, batched(sb), {batch, m, n}}};
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name << " transpose_a=" << transpose_a << " transpose_b=" << transpose_b) {
      const Tensor a = xg::randn(c.a, xg::float64), b = xg::randn(c.b, xg::float64);
      const Tensor out = xg::gemm(a, b, transpose_a, transpose_b);
      CHECK(out.shape() == c.expected);
      CHECK_THAT(out.to_vector(),
                 Catch::Matchers::Approx(naive_product(a, b, transpose_a, transpose_b)).epsilon(1e-12).margin(1e-12));
    }
  }
}

TEST_CASE("gemm backward matches central differences for each transpose flag combination", "[op:gemm]") {
  xg::manual_seed(31);
  const bool transpose_a = GENERATE(false, true);
  const bool transpose_b = GENERATE(false, true);
  const Shape sa = transpose_a ? Shape{4, 3} : Shape{3, 4};
  const Shape sb = transpose_b ? Shape{2, 4} : Shape{4, 2};
  auto batched = [](Shape s) {
    s.insert(s.begin(), 2);
    return s;
  };
  const xg::TensorFunction fn = [=](const Inputs& in) { return xg::gemm(in[0], in[1], transpose_a, transpose_b); };
  DYNAMIC_SECTION("2-D @ 2-D, transpose_a=" << transpose_a << " transpose_b=" << transpose_b) {
    const Inputs in{random_input(sa), random_input(sb)};
    CHECK_DERIVATIVES(in, fn);
  }
  DYNAMIC_SECTION("3-D @ 3-D, transpose_a=" << transpose_a << " transpose_b=" << transpose_b) {
    const Inputs in{random_input(batched(sa)), random_input(batched(sb))};
    CHECK_DERIVATIVES(in, fn);
  }
  DYNAMIC_SECTION("3-D @ 2-D, transpose_a=" << transpose_a << " transpose_b=" << transpose_b) {
    const Inputs in{random_input(batched(sa)), random_input(sb)};
    CHECK_DERIVATIVES(in, fn);
  }
  DYNAMIC_SECTION("2-D @ 3-D, transpose_a=" << transpose_a << " transpose_b=" << transpose_b) {
    const Inputs in{random_input(sa), random_input(batched(sb))};
    CHECK_DERIVATIVES(in, fn);
  }
}

// ---- derivatives of matmul ----

TEST_CASE("matmul backward matches central differences for every operand layout", "[op:matmul]") {
  xg::manual_seed(41);
  struct Case {
    const char* name;
    Shape a, b;
  };
  const std::vector<Case> cases = {
      {"1-D . 1-D", {4}, {4}},          {"2-D @ 2-D", {3, 4}, {4, 2}},       {"1-D @ 2-D", {4}, {4, 2}},
      {"2-D @ 1-D", {3, 4}, {4}},       {"3-D @ 3-D", {2, 3, 4}, {2, 4, 2}}, {"3-D @ 2-D", {2, 3, 4}, {4, 2}},
      {"2-D @ 3-D", {3, 4}, {2, 4, 2}}, {"1-D @ 3-D", {4}, {2, 4, 2}},       {"3-D @ 1-D", {2, 3, 4}, {4}},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name << " (" << xg::format_shape(c.a) << " and " << xg::format_shape(c.b) << ")") {
      const Inputs in{random_input(c.a), random_input(c.b)};
      CHECK_DERIVATIVES(in, product);
    }
  }
}

TEST_CASE("matmul backward gives the hand-computed gradients of a matrix product") {
  // C = A B, L = sum(C): dL/dA = 1 B^T (row sums of B), dL/dB = A^T 1 (column sums of A)
  const Tensor a = matrix64({{1, 2, 3}, {4, 5, 6}});
  const Tensor b = matrix64({{7, 8}, {9, 10}, {11, 12}});
  xg::matmul(a, b).backward(xg::ones({2, 2}, xg::float64));
  CHECK_THAT(a.grad().to_vector(), Catch::Matchers::Equals(std::vector<double>{15, 19, 23, 15, 19, 23}));
  CHECK_THAT(b.grad().to_vector(), Catch::Matchers::Equals(std::vector<double>{5, 5, 7, 7, 9, 9}));
}

TEST_CASE("matmul backward sums the gradient of a shared matrix over the batch") {
  // C[i] = A[i] M: dL/dM = sum_i A[i]^T G[i]; with G = 1 and A[i] = 1, every entry is batch * rows
  const Tensor a = xg::ones({3, 2, 4}, {.dtype = xg::float64});
  const Tensor m = xg::zeros({4, 5}, {.dtype = xg::float64, .requires_grad = true});
  xg::matmul(a, m).backward(xg::ones({3, 2, 5}, xg::float64));
  CHECK(m.grad().shape() == Shape{4, 5});
  CHECK_THAT(m.grad().to_vector(), Catch::Matchers::Equals(std::vector<double>(20, 6.0)));
}

TEST_CASE("the dot product's gradient with respect to each vector is the other vector") {
  const Tensor u = xg::tensor({1, 2, 3}, {.dtype = xg::float64, .requires_grad = true});
  const Tensor v = xg::tensor({4, 5, 6}, {.dtype = xg::float64, .requires_grad = true});
  xg::matmul(u, v).backward();
  CHECK_THAT(u.grad().to_vector(), Catch::Matchers::Equals(std::vector<double>{4, 5, 6}));
  CHECK_THAT(v.grad().to_vector(), Catch::Matchers::Equals(std::vector<double>{1, 2, 3}));
}

// ---- errors ----

TEST_CASE("matmul names both shapes and the inner dimensions when they differ") {
  CHECK_THROWS_AS(xg::matmul(xg::zeros({3, 4}), xg::zeros({5, 2})), xg::ShapeError);
  CHECK_THROWS_WITH(xg::matmul(xg::zeros({3, 4}), xg::zeros({5, 2})),
                    "matmul: shapes [3, 4] and [5, 2] cannot be multiplied (inner dims 4 != 5)");
  CHECK_THROWS_WITH(xg::matmul(xg::zeros({3}), xg::zeros({4})),
                    "matmul: shapes [3] and [4] cannot be multiplied (inner dims 3 != 4)");
  CHECK_THROWS_WITH(xg::matmul(xg::zeros({2, 3, 4}), xg::zeros({3})),
                    Catch::Contains("matmul") && Catch::Contains("[2, 3, 4]") && Catch::Contains("4 != 3"));
}

TEST_CASE("matmul of 3-D tensors with different batch sizes names both shapes") {
  CHECK_THROWS_AS(xg::matmul(xg::zeros({2, 3, 4}), xg::zeros({3, 4, 5})), xg::ShapeError);
  CHECK_THROWS_WITH(xg::matmul(xg::zeros({2, 3, 4}), xg::zeros({3, 4, 5})),
                    "matmul: shapes [2, 3, 4] and [3, 4, 5] cannot be multiplied (batch sizes 2 != 3)");
}

TEST_CASE("matmul refuses 0-d and 4-D operands") {
  CHECK_THROWS_AS(xg::matmul(xg::scalar_tensor(2.0), xg::zeros({3})), xg::ShapeError);
  CHECK_THROWS_WITH(xg::matmul(xg::zeros({3}), xg::scalar_tensor(2.0)),
                    Catch::Contains("matmul") && Catch::Contains("[3] and []"));
  CHECK_THROWS_WITH(xg::matmul(xg::zeros({1, 2, 3, 4}), xg::zeros({4, 2})),
                    Catch::Contains("matmul") && Catch::Contains("[1, 2, 3, 4]"));
}

TEST_CASE("matmul of float32 and float64 operands throws a DtypeError") {
  CHECK_THROWS_AS(xg::matmul(xg::zeros({2, 3}, xg::float32), xg::zeros({3, 2}, xg::float64)), xg::DtypeError);
  CHECK_THROWS_WITH(xg::matmul(xg::zeros({2, 3}, xg::float32), xg::zeros({3, 2}, xg::float64)),
                    Catch::Contains("matmul") && Catch::Contains("float32") && Catch::Contains("float64"));
  CHECK_THROWS_AS(xg::matmul(xg::zeros({3}, xg::float64), xg::zeros({3}, xg::float32)), xg::DtypeError);
}

TEST_CASE("matmul of int64 tensors throws a DtypeError") {
  const Tensor i = xg::zeros({2, 2}, xg::int64);
  CHECK_THROWS_AS(xg::matmul(i, i), xg::DtypeError);
  CHECK_THROWS_WITH(xg::matmul(i, i), Catch::Contains("matmul") && Catch::Contains("int64"));
}

TEST_CASE("gemm names the transposed operand and refuses operands that are not 2-D or 3-D") {
  CHECK_THROWS_AS(xg::gemm(xg::zeros({3, 4}), xg::zeros({3, 2})), xg::ShapeError);
  CHECK_THROWS_WITH(xg::gemm(xg::zeros({3, 4}), xg::zeros({3, 2}), true, true),
                    "gemm: shapes [3, 4]^T and [3, 2]^T cannot be multiplied (inner dims 3 != 2)");
  CHECK(xg::gemm(xg::zeros({3, 4}), xg::zeros({3, 2}), true, false).shape() == Shape{4, 2});
  CHECK_THROWS_WITH(xg::gemm(xg::zeros({4}), xg::zeros({4, 2})),
                    Catch::Contains("gemm") && Catch::Contains("2-D or 3-D"));
  CHECK_THROWS_WITH(xg::gemm(xg::zeros({2, 3, 4}), xg::zeros({3, 4, 2})),
                    Catch::Contains("gemm") && Catch::Contains("batch sizes 2 != 3"));
}
