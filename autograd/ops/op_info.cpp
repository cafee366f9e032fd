// The op catalogue, family by family (the entries live beside their ops).
#include <autograd/ops/op_info.hpp>

namespace xg {

std::vector<OpInfo> op_catalogue() {
  std::vector<OpInfo> all;
  for (std::span<const OpInfo> family :
       {arithmetic_ops(), elementwise_ops(), activation_ops(), reduce_ops(), linalg_ops(), shape_ops(), view_ops(),
        softmax_ops(), broadcast_ops(), tensor_ops(), indexing_ops(), compare_ops(), pointwise_ops()}) {
    all.insert(all.end(), family.begin(), family.end());
  }
  return all;
}

}  // namespace xg
