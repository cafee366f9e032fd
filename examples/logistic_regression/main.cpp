// logistic_regression: credit-card approval from six applicant features. Logistic regression
// (nn::Linear(6, 1) + sigmoid) and a 6-4-2-1 network learn a bank's hidden rule from 800 past
// decisions and are judged on 200 held-out applicants and a few named ones.
#include <autograd/autograd.hpp>
#include <examples/common/cli.hpp>
#include <examples/common/plot.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

namespace nn = xg::nn;
namespace optim = xg::optim;
namespace examples = xg::examples;

constexpr int exit_check_failed = 3;
constexpr int64_t num_features = 6;
constexpr int64_t num_applicants = 1000, num_train = 800;  // the last 200 are held out
constexpr double required_accuracy = 0.8;

const std::array<const char*, num_features> feature_names = {"age",  "salary",  "education",
                                                             "city", "company", "designation"};
const std::array<const char*, 4> education_names = {"high school", "bachelor's", "master's", "doctorate"};
const std::array<const char*, 3> city_names = {"town", "city", "metro"};
const std::array<const char*, 3> company_names = {"startup", "mid-size firm", "large company"};
const std::array<const char*, 4> designation_names = {"junior", "mid-level", "senior", "manager"};

struct Options {
  std::string out = "out/logistic_regression";
  uint64_t seed = 0;
  int epochs = 30;
  double lr = 0.01;
  bool check = false;
};

struct Applicant {
  std::string name;                                           // empty for the generated ones
  double age, salary, education, city, company, designation;  // salary in thousands a year
  std::array<double, num_features> features() const { return {age, salary, education, city, company, designation}; }
  std::string describe() const {
    return fmt::format("{}, {:g}, salary {:g}k, {}, {}, {}, {}", name, age, salary,
                       education_names[static_cast<size_t>(education)], city_names[static_cast<size_t>(city)],
                       company_names[static_cast<size_t>(company)],
                       designation_names[static_cast<size_t>(designation)]);
  }
};

// ---- the bank's rule, which the models never see ----
//
//   score = 0.05 (salary - 60) + 0.5 education + 0.4 designation + 0.3 company + 0.2 city
//           + 0.02 (age - 35) - 2.5
//   approved = score + noise > 0,  noise ~ N(0, 0.7^2)   (the officer's judgement on the day)
//
// Education 0-3 (high school, bachelor's, master's, doctorate), city 0-2 (town, city, metro),
// company 0-2 (startup, mid-size firm, large company), designation 0-3 (junior, mid-level, senior,
// manager); salary in thousands a year. The noise makes about 9% of decisions go against the
// score, so no model can be right much more than 91% of the time.
constexpr double noise_sd = 0.7;

double rule_score(const Applicant& a) {
  return 0.05 * (a.salary - 60) + 0.5 * a.education + 0.4 * a.designation + 0.3 * a.company + 0.2 * a.city +
         0.02 * (a.age - 35) - 2.5;
}

// The chance that the rule approves: P(score + noise > 0) = Phi(score / noise_sd).
double rule_probability(const Applicant& a) { return 0.5 * std::erfc(-rule_score(a) / (noise_sd * std::sqrt(2.0))); }

// The applicants, drawn from xgrad's seeded generator:
//   age uniform in 21..60; education high school 25%, bachelor's 45%, master's 22%, doctorate 8%;
//   city and company uniform; designation = (age - 21) / 10 + N(0, 0.8^2), floored, clamped to 0..3;
//   salary = 20 + 12 education + 15 designation + 8 company + 0.6 (age - 21) + N(0, 12^2), rounded to
//   whole thousands, at least 15.
struct Data {
  std::vector<Applicant> applicants;
  std::vector<double> approved;  // 1 or 0
};

Data make_data(uint64_t seed) {
  xg::manual_seed(seed);
  Data data;
  xg::with_generator([&](std::mt19937_64& rng) {
    std::uniform_int_distribution<int> age(21, 60), three(0, 2);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::normal_distribution<double> normal(0.0, 1.0);
    for (int64_t i = 0; i < num_applicants; ++i) {
      Applicant a;
      a.age = age(rng);
      const double u = uniform(rng);
      a.education = u < 0.25 ? 0 : u < 0.70 ? 1 : u < 0.92 ? 2 : 3;
      a.city = three(rng);
      a.company = three(rng);
      a.designation = std::clamp(std::floor((a.age - 21) / 10 + 0.8 * normal(rng)), 0.0, 3.0);
      a.salary = std::max(15.0, std::round(20 + 12 * a.education + 15 * a.designation + 8 * a.company +
                                           0.6 * (a.age - 21) + 12 * normal(rng)));
      data.approved.push_back(rule_score(a) + noise_sd * normal(rng) > 0 ? 1.0 : 0.0);
      data.applicants.push_back(a);
    }
  });
  return data;
}

xg::Tensor feature_matrix(const std::vector<Applicant>& applicants, size_t begin, size_t end) {
  std::vector<double> values;
  for (size_t i = begin; i < end; ++i) {
    for (double v : applicants[i].features()) values.push_back(v);
  }
  return xg::from_vector(values, {static_cast<int64_t>(end - begin), num_features});
}

// Salary in thousands and education in 0..3 differ in scale by ~20x; standardising puts every
// feature at mean 0, deviation 1 so that one learning rate suits all weights. The statistics come
// from the training set only and are reused as they are for every other applicant.
struct Standardizer {
  xg::Tensor mean, deviation;  // [1, 6]
  explicit Standardizer(const xg::Tensor& train) {
    mean = train.mean(0, true);
    deviation = (train - mean).pow(2.0).mean(0, true).sqrt();
  }
  xg::Tensor operator()(const xg::Tensor& x) const { return (x - mean) / deviation; }
};

struct Split {
  xg::Tensor train_x, train_y, test_x, test_y;  // x [n, 6] standardised, y [n, 1] of 0/1
};

double accuracy(nn::Module& model, const xg::Tensor& x, const xg::Tensor& y) {
  xg::NoGradGuard no_grad;
  const std::vector<double> logits = model(x).to_vector(), labels = y.to_vector();
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) correct += (logits[i] > 0) == (labels[i] == 1.0);
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

double mean_loss(nn::Module& model, const xg::Tensor& x, const xg::Tensor& y) {
  xg::NoGradGuard no_grad;
  return nn::BCEWithLogitsLoss()(model(x), y).item();
}

std::string indented(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    out += "   " + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

struct Curves {
  std::vector<double> epoch, train_loss, test_loss;
};

// Mini-batch Adam on the binary cross-entropy of the logits: the sigmoid sits inside
// BCEWithLogitsLoss, which computes log(sigmoid) stably, so the models end in a plain Linear.
Curves train(nn::Module& model, const Split& data, const Options& options) {
  nn::DataLoader loader(nn::TensorDataset(data.train_x, data.train_y),
                        {.batch_size = 32, .shuffle = true, .seed = options.seed});
  optim::Adam adam(model.parameters(), {.lr = options.lr});
  const nn::BCEWithLogitsLoss loss_fn;
  Curves curves;
  fmt::print("   epoch  train loss  held-out loss  held-out accuracy\n");
  for (int epoch = 0; epoch <= options.epochs; ++epoch) {
    if (epoch > 0) {
      for (const nn::Batch batch : loader) {
        const xg::Tensor loss = loss_fn(model(batch.inputs), batch.targets);
        adam.zero_grad();
        loss.backward();
        adam.step();
      }
    }
    curves.epoch.push_back(epoch);
    curves.train_loss.push_back(mean_loss(model, data.train_x, data.train_y));
    curves.test_loss.push_back(mean_loss(model, data.test_x, data.test_y));
    if (epoch % 5 == 0 || epoch == options.epochs) {
      fmt::print("   {:>5}  {:>10.4f}  {:>13.4f}  {:>16.1f}%\n", epoch, curves.train_loss.back(),
                 curves.test_loss.back(), 100 * accuracy(model, data.test_x, data.test_y));
    }
  }
  return curves;
}

double approval_probability(nn::Module& model, const xg::Tensor& x) {
  xg::NoGradGuard no_grad;
  return xg::sigmoid(model(x)).item();
}

int run(const Options& options) {
  xg::set_default_dtype(xg::float64);
  const Data data = make_data(options.seed);
  const size_t n = data.applicants.size(), n_train = static_cast<size_t>(num_train);

  Split split;
  const xg::Tensor raw_train = feature_matrix(data.applicants, 0, n_train);
  const Standardizer standardize(raw_train);
  split.train_x = standardize(raw_train);
  split.test_x = standardize(feature_matrix(data.applicants, n_train, n));
  const xg::Tensor labels = xg::from_vector(data.approved, {static_cast<int64_t>(n), 1});
  split.train_y = xg::slice(labels, 0, 0, num_train);
  split.test_y = xg::slice(labels, 0, num_train, static_cast<int64_t>(n));

  double approved = 0.0, rule_correct = 0.0;
  for (size_t i = 0; i < n; ++i) approved += data.approved[i];
  for (size_t i = n_train; i < n; ++i)
    rule_correct += (rule_score(data.applicants[i]) > 0) == (data.approved[i] == 1.0);
  const double rule_accuracy = rule_correct / static_cast<double>(n - n_train);

  fmt::print(
      "The bank's rule (hidden from the models): approve when\n"
      "  0.05 (salary - 60) + 0.5 education + 0.4 designation + 0.3 company + 0.2 city + 0.02 (age - 35) - 2.5"
      "\n  + noise N(0, {}^2) > 0\n",
      noise_sd);
  fmt::print("data: {} applicants (seed {}), {:.1f}% approved; {} to train on, {} held out\n", n, options.seed,
             100 * approved / static_cast<double>(n), n_train, n - n_train);
  fmt::print("features standardised with the training set's statistics:\n");
  const std::vector<double> mean = standardize.mean.to_vector(), deviation = standardize.deviation.to_vector();
  for (size_t j = 0; j < feature_names.size(); ++j) {
    fmt::print("  {:<12} mean {:>6.2f}  std {:>6.2f}\n", feature_names[j], mean[j], deviation[j]);
  }

  xg::manual_seed(options.seed);  // the initial weights of both models
  nn::Linear logistic(num_features, 1);
  fmt::print(
      "\n1. Logistic regression: P(approved) = sigmoid(w . x + b), nn::Linear(6, 1) with BCEWithLogitsLoss, "
      "Adam lr {}, batches of 32\n",
      options.lr);
  const Curves logistic_curves = train(logistic, split, options);
  fmt::print("   learned weights (per standard deviation of each feature):\n  ");
  const std::vector<double> w = logistic.weight.to_vector();
  for (size_t j = 0; j < feature_names.size(); ++j) fmt::print(" {} {:+.2f}", feature_names[j], w[j]);
  fmt::print(", bias {:+.2f}\n", logistic.bias.item());

  nn::Sequential network(nn::Linear(num_features, 4), nn::Tanh(), nn::Linear(4, 2), nn::Tanh(), nn::Linear(2, 1));
  fmt::print("\n2. A 6-4-2-1 network (tanh hidden layers; the output's sigmoid is again inside the loss)\n{}",
             indented(network.summary({num_train, num_features})));
  const Curves network_curves = train(network, split, options);

  const double logistic_accuracy = accuracy(logistic, split.test_x, split.test_y);
  const double network_accuracy = accuracy(network, split.test_x, split.test_y);
  fmt::print(
      "\nheld-out accuracy on {} applicants: logistic regression {:.1f}%, 6-4-2-1 network {:.1f}%\n"
      "(deciding by the rule's own score, without its noise, gets {:.1f}% here: no model does better on "
      "average)\n",
      n - n_train, 100 * logistic_accuracy, 100 * network_accuracy, 100 * rule_accuracy);

  const std::vector<Applicant> named = {
      {"Asha", 29, 85, 2, 2, 2, 2},  {"Ravi", 45, 40, 0, 0, 0, 0}, {"Meera", 34, 62, 1, 1, 1, 1},
      {"Karan", 38, 70, 1, 2, 1, 2}, {"Li", 52, 120, 3, 1, 2, 3},
  };
  fmt::print("\napproval probabilities for named applicants (the rule's: P(score + noise > 0))\n");
  fmt::print("  {:<68} {:>6} {:>6} {:>9} {:>8}\n", "applicant", "score", "rule", "logistic", "network");
  for (const Applicant& a : named) {
    const std::array<double, num_features> f = a.features();
    const xg::Tensor x = standardize(xg::from_vector(std::vector<double>(f.begin(), f.end()), {1, num_features}));
    fmt::print("  {:<68} {:>+6.2f} {:>6.2f} {:>9.2f} {:>8.2f}\n", a.describe(), rule_score(a), rule_probability(a),
               approval_probability(logistic, x), approval_probability(network, x));
  }

  const std::string out = examples::ensure_output_dir(options.out);
  const examples::PlotResult picture = examples::plot_svg(
      out + "/loss.svg", "credit approval: binary cross-entropy, train vs held-out", "epoch", "mean loss",
      {{.name = "logistic regression, train", .x = logistic_curves.epoch, .y = logistic_curves.train_loss},
       {.name = "logistic regression, held-out", .x = logistic_curves.epoch, .y = logistic_curves.test_loss},
       {.name = "6-4-2-1 network, train", .x = network_curves.epoch, .y = network_curves.train_loss},
       {.name = "6-4-2-1 network, held-out", .x = network_curves.epoch, .y = network_curves.test_loss}},
      {.xmin = 0});
  fmt::print("\npicture: {}\n", picture.message);

  if (options.check) {
    std::vector<std::string> failed;
    if (!(logistic_accuracy >= required_accuracy)) {
      failed.push_back(fmt::format("logistic regression's held-out accuracy {:.3f} should be at least {}",
                                   logistic_accuracy, required_accuracy));
    }
    if (!(network_accuracy >= required_accuracy)) {
      failed.push_back(fmt::format("the network's held-out accuracy {:.3f} should be at least {}", network_accuracy,
                                   required_accuracy));
    }
    // the training loss after the last epoch against the untrained model's (epoch 0)
    auto expect_loss_fell = [&](const char* model_name, const Curves& curves) {
      if (!(curves.train_loss.back() < curves.train_loss.front())) {
        failed.push_back(fmt::format("{}'s training loss should fall, but went {:.4f} -> {:.4f}", model_name,
                                     curves.train_loss.front(), curves.train_loss.back()));
      }
    };
    expect_loss_fell("logistic regression", logistic_curves);
    expect_loss_fell("the network", network_curves);
    for (const std::string& claim : failed) fmt::print(stderr, "logistic_regression: --check failed: {}\n", claim);
    if (!failed.empty()) return exit_check_failed;
    fmt::print(
        "--check: ok (held-out accuracy >= {}: logistic regression {:.3f}, network {:.3f}; training loss fell: "
        "{:.4f} -> {:.4f}, {:.4f} -> {:.4f})\n",
        required_accuracy, logistic_accuracy, network_accuracy, logistic_curves.train_loss.front(),
        logistic_curves.train_loss.back(), network_curves.train_loss.front(), network_curves.train_loss.back());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{
      "logistic_regression: credit-card approval from six applicant features (age, salary, education, city, "
      "company, designation). Logistic regression and a 6-4-2-1 network learn a hidden rule from 800 "
      "applicants and are judged on 200 held-out ones and a few named applicants."};
  app.add_option("--seed", options.seed, "seeds the applicants, the initial weights and the batch order")
      ->capture_default_str();
  app.add_option("--epochs", options.epochs, "passes over the 800 training applicants, for each model")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--lr", options.lr, "Adam's learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--out", options.out, "folder for the picture")->capture_default_str();
  app.add_flag("--check", options.check,
               "exit with status 3 unless both models' training loss fell and both reach a held-out accuracy of "
               "at least 0.8");
  app.footer(
      "Writes loss.svg (gnuplot) into --out.\n"
      "Exit status: 0 done, 1 error, 2 bad options, 3 a --check claim failed.");
  return xg::examples::parse_and_run(app, argc, argv, "logistic_regression", [&] { return run(options); });
}
