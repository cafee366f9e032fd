// libFuzzer target: arbitrary bytes as shapes, sizes and axes for the ops that take them
// (creation, reshape/view, reductions, softmax, transpose, slice, squeeze/unsqueeze, concat,
// stack, index_select, broadcast_to, one_hot). Each call either returns a tensor (whose values
// are read and, when it requires grad, differentiated) or throws an xg::Error; nothing else (a
// crash, a sanitizer report, another exception) is allowed; creation ops must give the shape asked. Sizes are taken as
// the fuzzer gives them, huge and negative ones included: an op must refuse a shape whose element count overflows
// before it allocates.
#include <autograd/autograd.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace {

xg::Shape take_shape(FuzzedDataProvider& in) {
  xg::Shape shape(in.ConsumeIntegralInRange<size_t>(0, 4));
  for (auto& d : shape) {
    // mostly small sizes (so that ops run), sometimes anything at all
    d = in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(-2, 4) : in.ConsumeIntegral<int64_t>();
  }
  return shape;
}

// A shape that is valid but holds more than 2^22 elements would only test the machine's memory
// (and trip libFuzzer's malloc limit): such calls are skipped. Shapes whose element count
// overflows int64, or with a negative size, are kept: the op must refuse them before allocating.
bool too_big_to_try(const xg::Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return false;
    if (__builtin_mul_overflow(n, d, &n)) return false;
  }
  return n > (int64_t{1} << 22);
}

xg::Shape take_sized_shape(FuzzedDataProvider& in, bool& skip) {
  xg::Shape shape = take_shape(in);
  skip = too_big_to_try(shape);
  return shape;
}

int64_t take_axis(FuzzedDataProvider& in) {
  return in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(-5, 5) : in.ConsumeIntegral<int64_t>();
}

xg::Tensor small_tensor(FuzzedDataProvider& in) {
  xg::Shape shape(in.ConsumeIntegralInRange<size_t>(0, 3));
  for (auto& d : shape) d = in.ConsumeIntegralInRange<int64_t>(0, 3);
  return xg::ones(shape, {.dtype = xg::float64, .requires_grad = in.ConsumeBool()});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  while (in.remaining_bytes() > 0) {
    const int op = in.ConsumeIntegralInRange<int>(0, 17);
    try {
      xg::Tensor x = small_tensor(in);
      xg::Tensor out;
      bool skip = false;
      switch (op) {
        case 0: {
          const xg::Shape shape = take_sized_shape(in, skip);
          if (!skip) {
            out = xg::zeros(shape);
            if (out.shape() != shape) __builtin_trap();
          }
          break;
        }
        case 1: {
          const xg::Shape shape = take_sized_shape(in, skip);
          if (!skip) out = xg::full(shape, 2.0, xg::float64);
          break;
        }
        case 2: out = xg::reshape(x, take_shape(in)); break;
        case 3: out = xg::view(x, take_shape(in)); break;
        case 4: out = xg::sum(x, take_axis(in), in.ConsumeBool()); break;
        case 5: out = xg::max(x, take_axis(in), in.ConsumeBool()); break;
        case 6: out = xg::softmax(x, take_axis(in)); break;
        case 7: out = xg::transpose(x, take_axis(in), take_axis(in)); break;
        case 8:
          out = xg::slice(x, take_axis(in), in.ConsumeIntegral<int64_t>(), in.ConsumeIntegral<int64_t>(),
                          in.ConsumeIntegralInRange<int64_t>(-1, 3));
          break;
        case 9: out = xg::unsqueeze(x, take_axis(in)); break;
        case 10: out = xg::squeeze(x, take_axis(in)); break;
        case 11: out = xg::concat({x, small_tensor(in)}, take_axis(in)); break;
        case 12: out = xg::stack({x, small_tensor(in)}, take_axis(in)); break;
        case 13: {
          std::vector<int64_t> index(in.ConsumeIntegralInRange<size_t>(0, 4));
          for (auto& i : index) i = in.ConsumeIntegralInRange<int64_t>(-4, 4);
          out = xg::index_select(x, take_axis(in), xg::from_vector(index, {static_cast<int64_t>(index.size())}));
          break;
        }
        case 14: {
          const xg::Shape shape = take_sized_shape(in, skip);
          if (!skip) out = xg::broadcast_to(x, shape);
          break;
        }
        case 15: {
          std::vector<int64_t> labels(in.ConsumeIntegralInRange<size_t>(0, 4));
          for (auto& l : labels) l = in.ConsumeIntegralInRange<int64_t>(-2, 6);
          out = xg::one_hot(xg::from_vector(labels, {static_cast<int64_t>(labels.size())}),
                            in.ConsumeIntegralInRange<int64_t>(-2, 6));
          break;
        }
        case 16: out = xg::mean(x, take_axis(in), in.ConsumeBool()); break;
        default: out = xg::log_softmax(x, take_axis(in)); break;
      }
      if (out.defined() && out.numel() <= 4096) {
        (void)out.to_vector();
        if (out.requires_grad() && out.numel() > 0 && xg::is_floating(out.dtype())) out.sum().backward();
      }
    } catch (const xg::Error&) {
    }
  }
  return 0;
}
