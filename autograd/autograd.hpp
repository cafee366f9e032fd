// xgrad's engine in one include: tensors, ops, backward, gradcheck, printing, .npz I/O and
// the xtensor bridge. (Headers of single parts, e.g. <autograd/ops/activation.hpp>, compile
// faster where that matters.)
#pragma once

#include <autograd/anomaly.hpp>
#include <autograd/broadcast.hpp>
#include <autograd/dot.hpp>
#include <autograd/dtype.hpp>
#include <autograd/engine.hpp>
#include <autograd/error.hpp>
#include <autograd/format.hpp>
#include <autograd/grad_mode.hpp>
#include <autograd/gradcheck.hpp>
#include <autograd/indexing.hpp>
#include <autograd/info.hpp>
#include <autograd/node.hpp>
#include <autograd/npz.hpp>
#include <autograd/observer.hpp>
#include <autograd/ops/activation.hpp>
#include <autograd/ops/arithmetic.hpp>
#include <autograd/ops/compare.hpp>
#include <autograd/ops/elementwise.hpp>
#include <autograd/ops/linalg.hpp>
#include <autograd/ops/op_info.hpp>
#include <autograd/ops/pointwise.hpp>
#include <autograd/ops/reduce.hpp>
#include <autograd/ops/shape.hpp>
#include <autograd/ops/softmax.hpp>
#include <autograd/ops/view.hpp>
#include <autograd/random.hpp>
#include <autograd/shape.hpp>
#include <autograd/tensor.hpp>
#include <autograd/trace.hpp>
#include <autograd/xtensor.hpp>
