// Matrix products. Every product, forward or backward, is one BLAS gemm per batch with the
// transpose flags set, so backward never materialises a transpose:
//   C = op(A) op(B)
//   dA = G op(B)^T          (= gemm(G, B, false, !tb))   when A is not transposed
//   dA = (G op(B)^T)^T = op(B) G^T (= gemm(B, G, tb, true)) when it is
//   dB = op(A)^T G          (= gemm(A, G, !ta, false))  when B is not transposed
//   dB = G^T op(A)          (= gemm(G, A, true, ta))    when it is
#include <autograd/ops/linalg.hpp>

#include <autograd/broadcast.hpp>
#include <autograd/detail/kernels.hpp>
#include <autograd/node.hpp>
#include <autograd/ops/op_info.hpp>
#include <autograd/ops/shape.hpp>

#include <xtensor-blas/xlinalg.hpp>  // declares cblas_*gemm and openblas_get_* (never include <cblas.h> too)

namespace xg {

namespace {

void blas_gemm(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
               int ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b,
              ldb, 0.0f, c, ldc);
}
void blas_gemm(bool ta, bool tb, int m, int n, int k, const double* a, int lda, const double* b, int ldb, double* c,
               int ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0, a, lda, b,
              ldb, 0.0, c, ldc);
}

struct GemmDims {
  int64_t batch;  // 0 when both operands are 2-D
  int64_t m, n, k;
  bool batched_a, batched_b;
};

GemmDims gemm_dims(const Shape& a, const Shape& b, bool ta, bool tb, const char* op) {
  auto fail = [&](const std::string& why) {
    return ShapeError(fmt::format("{}: shapes {}{} and {}{} cannot be multiplied ({})", op, format_shape(a),
                                  ta ? "^T" : "", format_shape(b), tb ? "^T" : "", why));
  };
  if (a.size() < 2 || a.size() > 3 || b.size() < 2 || b.size() > 3) throw fail("gemm takes 2-D or 3-D operands");
  const bool ba = a.size() == 3, bb = b.size() == 3;
  if (ba && bb && a[0] != b[0]) throw fail(fmt::format("batch sizes {} != {}", a[0], b[0]));
  const int64_t ra = a[a.size() - 2], ca = a.back(), rb = b[b.size() - 2], cb = b.back();
  GemmDims d{ba ? a[0] : (bb ? b[0] : 0), ta ? ca : ra, tb ? rb : cb, ta ? ra : ca, ba, bb};
  const int64_t kb = tb ? cb : rb;
  if (d.k != kb) throw fail(fmt::format("inner dims {} != {}", d.k, kb));
  return d;
}

template <class T, class A>
Array<T> gemm_forward(const A& a, const A& b, bool ta, bool tb, const GemmDims& d) {
  const bool batched = d.batched_a || d.batched_b;
  Shape out_shape = batched ? Shape{d.batch, d.m, d.n} : Shape{d.m, d.n};
  Array<T> c = d.k == 0 ? Array<T>(xt::zeros<T>(detail::to_xshape<T>(out_shape)))
                        : Array<T>::from_shape(detail::to_xshape<T>(out_shape));
  if (d.k == 0 || d.m == 0 || d.n == 0) return c;
  const int lda = static_cast<int>(a.shape().back()), ldb = static_cast<int>(b.shape().back());
  if (d.batched_a && !d.batched_b && !ta) {
    // [B, m, k] @ [k, n]: one gemm over the B*m rows at once
    blas_gemm(false, tb, static_cast<int>(d.batch * d.m), static_cast<int>(d.n), static_cast<int>(d.k), a.data(), lda,
              b.data(), ldb, c.data(), static_cast<int>(d.n));
    return c;
  }
  const int64_t batches = batched ? d.batch : 1;
  const size_t stride_a = d.batched_a ? static_cast<size_t>(d.m * d.k) : 0;
  const size_t stride_b = d.batched_b ? static_cast<size_t>(d.k * d.n) : 0;
  const size_t stride_c = static_cast<size_t>(d.m * d.n);
  for (int64_t i = 0; i < batches; ++i) {
    blas_gemm(ta, tb, static_cast<int>(d.m), static_cast<int>(d.n), static_cast<int>(d.k), a.data() + i * stride_a, lda,
              b.data() + i * stride_b, ldb, c.data() + i * stride_c, static_cast<int>(d.n));
  }
  return c;
}

}  // namespace

// ---- gemm (shown as "matmul": the product the user wrote) ----
// grad_output [m,n]: dA [m,k] = G [m,n] x op(B)^T [n,k]; dB [k,n] = op(A)^T [k,m] x G [m,n]
// (batch axes a shared 2-D operand was broadcast along are summed by sum_to)
struct MatmulBackward final : Node {
  MatmulBackward(bool a, bool b) : transpose_a(a), transpose_b(b) {}
  bool transpose_a, transpose_b;
  const char* name() const override { return "matmul"; }
  Tensor forward(const std::vector<Tensor>& in) const override { return gemm(in[0], in[1], transpose_a, transpose_b); }
  std::string derivative() const override { return "d(A @ B)/dA = G @ B^T, d(A @ B)/dB = A^T @ G"; }
  Grads backward(const Tensor& g) override {
    const bool ta = transpose_a, tb = transpose_b;
    Tensor grad_a, grad_b;
    if (needs_input_grad(0)) {
      const Tensor& b = input(1);
      grad_a = sum_to(ta ? gemm(b, g, tb, true) : gemm(g, b, false, !tb), input_shape(0));
    }
    if (needs_input_grad(1)) {
      const Tensor& a = input(0);
      grad_b = sum_to(tb ? gemm(g, a, true, ta) : gemm(a, g, !ta, false), input_shape(1));
    }
    return {grad_a, grad_b};
  }
};
namespace {
// gemm under the name the user called (gemm, or matmul, which reshapes to gemm's forms).
Tensor gemm_named(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b, const char* op) {
  detail::check_defined(a, op);
  detail::check_defined(b, op);
  detail::check_same_dtype(a, b, op);
  const GemmDims d = gemm_dims(a.shape(), b.shape(), transpose_a, transpose_b, op);
  Tensor out = dispatch(a.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    return detail::make_tensor<T>(gemm_forward<T>(
        detail::array<T>(detail::contiguous(a)), detail::array<T>(detail::contiguous(b)), transpose_a, transpose_b, d));
  });
  return Tensor::record<MatmulBackward>(std::move(out), {a, b}, transpose_a, transpose_b);
}
}  // namespace

Tensor gemm(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  return gemm_named(a, b, transpose_a, transpose_b, "gemm");
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "matmul");
  detail::check_defined(b, "matmul");
  const int64_t da = a.dim(), db = b.dim();
  if (da == 0 || db == 0 || da > 3 || db > 3) {
    throw ShapeError(fmt::format("matmul: shapes {} and {} cannot be multiplied (matmul takes 1-D to 3-D operands)",
                                 format_shape(a.shape()), format_shape(b.shape())));
  }
  // check here so the message shows the user's shapes, not the 2-D forms below
  const int64_t ka = a.shape().back(), kb = db == 1 ? b.shape()[0] : b.shape()[db - 2];
  if (ka != kb) {
    throw ShapeError(fmt::format("matmul: shapes {} and {} cannot be multiplied (inner dims {} != {})",
                                 format_shape(a.shape()), format_shape(b.shape()), ka, kb));
  }
  if (da == 3 && db == 3 && a.size(0) != b.size(0)) {
    throw ShapeError(fmt::format("matmul: shapes {} and {} cannot be multiplied (batch sizes {} != {})",
                                 format_shape(a.shape()), format_shape(b.shape()), a.size(0), b.size(0)));
  }
  // a 1-D operand is a row (left) or a column (right) whose axis is removed afterwards
  const Tensor a2 = da == 1 ? unsqueeze(a, 0) : a;
  const Tensor b2 = db == 1 ? unsqueeze(b, 1) : b;
  Tensor c = gemm_named(a2, b2, false, false, "matmul");
  if (db == 1) c = squeeze(c, -1);
  if (da == 1) c = squeeze(c, db == 1 ? -1 : -2);
  return c;
}

// ---- the catalogue (autograd/ops/op_info.hpp): how tests and the docs see this file's ops ----
std::span<const OpInfo> linalg_ops() {
  static const OpInfo ops[] = {
      {.name = "matmul",
       .family = "autograd/ops/linalg",
       .signature = "matmul(a, b)",
       .sample = OpSample::matmul,
       .call = [](const OpCall& o) { return matmul(o.a, o.b); },
       .expression = "matmul({a}, {b})"},
      {.name = "gemm",
       .family = "autograd/ops/linalg",
       .signature = "gemm(a, b, transpose_a, transpose_b)",
       .sample = OpSample::gemm,
       .call = [](const OpCall& o) { return gemm(o.a, o.b, o.flag, o.i0 != 0); },
       .expression = "gemm({a}, {b}, {flag}, {i0} != 0)"},
  };
  return ops;
}

}  // namespace xg
