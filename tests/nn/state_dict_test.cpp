// Checkpoints: round trips, numpy compatibility, and loads that fail leave the model untouched.
#include <autograd/error.hpp>
#include <autograd/npz.hpp>
#include <autograd/random.hpp>
#include <nn/activation.hpp>
#include <nn/linear.hpp>
#include <nn/sequential.hpp>
#include <nn/state_dict.hpp>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <support/temp_dir.hpp>

using namespace xg;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {
using xg::test::TempDir;
nn::Sequential make_net(uint64_t seed) {
  manual_seed(seed);
  return nn::Sequential(nn::Linear(4, 8), nn::Tanh(), nn::Linear(8, 3));
}
std::vector<std::vector<double>> values(const nn::Module& m) {
  std::vector<std::vector<double>> out;
  for (const Tensor& p : m.parameters()) out.push_back(p.to_vector());
  return out;
}
}  // namespace

TEST_CASE("save then load restores every parameter exactly") {
  TempDir dir;
  nn::Sequential a = make_net(1), b = make_net(2);
  REQUIRE(values(a) != values(b));
  nn::save(a, dir.file("net.npz"));
  nn::load(b, dir.file("net.npz"));
  CHECK(values(b) == values(a));
  const auto state = nn::state_dict(a);
  CHECK(state.size() == 4);
  CHECK(state.count("0.weight") == 1);
  CHECK(state.at("2.bias").shape() == Shape{3});
}

TEST_CASE("a checkpoint is a NumPy archive keyed by dotted names") {
  TempDir dir;
  nn::Sequential net = make_net(3);
  const std::string path = dir.file("net.npz");
  nn::save(net, path);
  const std::string check = dir.file("ok.txt");
  const std::string cmd = "/usr/bin/python3 -c \"import numpy; d = numpy.load('" + path +
                          "'); assert sorted(d.files) == ['0.bias', '0.weight', '2.bias', '2.weight']; "
                          "assert d['0.weight'].shape == (8, 4) and d['0.weight'].dtype == numpy.float32; "
                          "open('" +
                          check + "', 'w').write(repr(float(d['2.bias'][1])))\"";
  REQUIRE(std::system(cmd.c_str()) == 0);  // python3-numpy comes with scripts/setup
  std::ifstream in(check);
  double bias1 = 0;
  in >> bias1;
  CHECK(bias1 == Approx(net.named_parameters()[3].second.to_vector()[1]));
}

TEST_CASE("a checkpoint written by numpy.savez loads into the model") {
  TempDir dir;
  const std::string path = dir.file("from_numpy.npz");
  // the keys, shapes and dtypes nn::save writes for Linear(4, 8), Tanh, Linear(8, 3), with
  // values i / 100 in row-major order
  const std::string cmd =
      "/usr/bin/python3 -c \"import numpy as np; f = lambda *s: (np.arange(np.prod(s)) / "
      "100).astype(np.float32).reshape(s); np.savez('" +
      path + "', **{'0.weight': f(8, 4), '0.bias': f(8), '2.weight': f(3, 8), '2.bias': f(3)})\"";
  REQUIRE(std::system(cmd.c_str()) == 0);  // python3-numpy comes with scripts/setup
  nn::Sequential net = make_net(8);
  nn::load(net, path);
  const auto state = nn::state_dict(net);
  CHECK(state.at("0.weight").to_vector()[5] == Approx(0.05));   // row 1, column 1
  CHECK(state.at("2.weight").to_vector()[23] == Approx(0.23));  // the last element of [3, 8]
  CHECK(state.at("2.bias").to_vector() == std::vector<double>{0.0, 0.01f, 0.02f});
  CHECK(state.at("0.bias").dtype() == float32);
}

TEST_CASE("a numpy checkpoint with float64 where the model is float32 is refused, naming the key") {
  TempDir dir;
  const std::string path = dir.file("float64.npz");
  const std::string cmd = "/usr/bin/python3 -c \"import numpy as np; np.savez('" + path +
                          "', **{'0.weight': np.zeros((8, 4), np.float32), '0.bias': np.zeros(8, np.float64), "
                          "'2.weight': np.zeros((3, 8), np.float32), '2.bias': np.zeros(3, np.float32)})\"";
  REQUIRE(std::system(cmd.c_str()) == 0);
  nn::Sequential net = make_net(9);
  const auto before = values(net);
  CHECK_THROWS_AS(nn::load(net, path), ValueError);
  CHECK_THROWS_WITH(nn::load(net, path), Contains("'0.bias' is float64 in the checkpoint but float32"));
  CHECK(values(net) == before);
}

TEST_CASE("loading a checkpoint that does not fit names the problem and changes nothing") {
  TempDir dir;
  nn::Sequential net = make_net(4);
  const auto before = values(net);
  SECTION("wrong shape") {
    manual_seed(5);
    nn::Sequential other(nn::Linear(4, 9), nn::Tanh(), nn::Linear(9, 3));
    nn::save(other, dir.file("other.npz"));
    CHECK_THROWS_WITH(nn::load(net, dir.file("other.npz")),
                      Contains("'0.weight' has shape [9, 4] in the checkpoint but [8, 4]"));
  }
  SECTION("missing and unexpected keys") {
    auto state = nn::state_dict(net);
    state.erase("2.bias");
    state.emplace("3.weight", zeros({1}));
    save_npz(dir.file("keys.npz"), state);
    CHECK_THROWS_WITH(nn::load(net, dir.file("keys.npz")),
                      Contains("missing key '2.bias'") && Contains("unexpected key '3.weight'"));
  }
  SECTION("wrong dtype") {
    auto state = nn::state_dict(net);
    state["0.bias"] = state["0.bias"].to(float64);
    CHECK_THROWS_WITH(nn::load_state_dict(net, state), Contains("'0.bias' is float64") && Contains("float32"));
  }
  SECTION("a truncated file") {
    nn::save(net, dir.file("net.npz"));
    const auto size = fs::file_size(dir.file("net.npz"));
    fs::resize_file(dir.file("net.npz"), size / 2);
    CHECK_THROWS_AS(nn::load(net, dir.file("net.npz")), IOError);
  }
  SECTION("a corrupt file") {
    std::ofstream(dir.file("junk.npz")) << "this is not a zip archive";
    CHECK_THROWS_AS(nn::load(net, dir.file("junk.npz")), IOError);
  }
  SECTION("a path that does not exist") {
    CHECK_THROWS_WITH(nn::load(net, dir.file("missing.npz")), Contains("missing.npz"));
  }
  CHECK(values(net) == before);
}

TEST_CASE("saving replaces a checkpoint atomically and leaves no temporary files") {
  TempDir dir;
  nn::Sequential a = make_net(6);
  nn::save(a, dir.file("net.npz"));
  nn::Sequential b = make_net(7);
  nn::save(b, dir.file("net.npz"));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    (void)entry;
    ++files;
  }
  CHECK(files == 1);
  nn::load(a, dir.file("net.npz"));
  CHECK(values(a) == values(b));
  CHECK_THROWS_AS(nn::save(a, dir.file("no/such/dir/net.npz")), IOError);
}
