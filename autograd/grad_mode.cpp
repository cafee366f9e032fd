// Thread-local grad mode.
#include <autograd/grad_mode.hpp>
#include <autograd/observer.hpp>

namespace xg {

namespace {
thread_local bool t_grad_enabled = true;
thread_local GraphObserver* t_observer = nullptr;
}  // namespace

GraphObserver* graph_observer() { return t_observer; }
GraphObserver* set_graph_observer(GraphObserver* observer) {
  GraphObserver* previous = t_observer;
  t_observer = observer;
  return previous;
}

bool is_grad_enabled() { return t_grad_enabled; }
void set_grad_enabled(bool enabled) { t_grad_enabled = enabled; }

}  // namespace xg
