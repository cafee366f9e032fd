// Tests of autograd/npz: save_npz/load_npz round trips, interchange with NumPy in both
// directions (numpy.load reads our files; load_npz reads savez_compressed archives), and the
// IOError for every way a file can be missing, cut short or not an archive at all. The arrays
// inside (dtypes, orders, headers) are tested in npy_test.cpp.
#include <autograd/error.hpp>
#include <autograd/npz.hpp>
#include <autograd/tensor.hpp>

#include <catch2/catch.hpp>
#include <support/numpy.hpp>
#include <support/temp_dir.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {
using xg::test::int_values;
using xg::test::iota;
using xg::test::PythonRun;
using xg::test::require_numpy;
using xg::test::run_python;
using xg::test::TempDir;

using Catch::Matchers::Equals;
using xg::Shape;
using xg::Tensor;

// One tensor of each kind save_npz must keep exactly.
std::map<std::string, Tensor> sample_tensors() {
  return {
      {"f32", xg::tensor({{1.5, -2.25, 3.0}, {4.0, 0.1, -1e-20}}, {.dtype = xg::float32})},
      {"f64", xg::tensor({0.1, 1.0 / 3.0, -1e-300, 6.02214076e23}, {.dtype = xg::float64})},
      {"i64", xg::from_vector(std::vector<int64_t>{-5, 0, 9007199254740993LL, -9223372036854775807LL}, {4})},
      {"scalar", xg::scalar_tensor(3.25, {.dtype = xg::float64})},
      {"cube", xg::from_vector(iota(24), {2, 3, 4}, {.dtype = xg::float32})},
      {"layer.0.weight", xg::from_vector({0.5, -0.5}, {1, 2}, {.dtype = xg::float64})},
  };
}

}  // namespace

// ---- round trip ----

TEST_CASE("load_npz gives back what save_npz wrote, with exact values, dtypes and shapes") {
  const TempDir dir;
  const std::string path = dir.file("tensors.npz");
  const auto saved = sample_tensors();
  xg::save_npz(path, saved);
  const auto loaded = xg::load_npz(path);
  REQUIRE(loaded.size() == saved.size());
  for (const auto& [key, original] : saved) {
    DYNAMIC_SECTION(key) {
      REQUIRE(loaded.count(key) == 1);
      const Tensor& t = loaded.at(key);
      CHECK(t.dtype() == original.dtype());
      CHECK(t.shape() == original.shape());
      CHECK_THAT(t.to_vector(), Equals(original.to_vector()));
      CHECK_FALSE(t.requires_grad());
    }
  }
  CHECK(loaded.at("scalar").dim() == 0);
  CHECK(loaded.at("scalar").item() == 3.25);
  CHECK(loaded.at("cube").shape() == Shape{2, 3, 4});
  CHECK_THAT(int_values(loaded.at("i64")),
             Equals(std::vector<int64_t>{-5, 0, 9007199254740993LL, -9223372036854775807LL}));
}

TEST_CASE("save_npz replaces an existing archive and leaves no temporary file behind") {
  const TempDir dir;
  const std::string path = dir.file("state.npz");
  xg::save_npz(path, {{"old", xg::tensor({1, 2})}});
  xg::save_npz(path, {{"new", xg::tensor({3, 4, 5})}});
  const auto loaded = xg::load_npz(path);
  REQUIRE(loaded.size() == 1);
  REQUIRE(loaded.count("new") == 1);
  CHECK_THAT(loaded.at("new").to_vector(), Equals(std::vector<double>{3, 4, 5}));
  int files = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++files;
  CHECK(files == 1);
}

TEST_CASE("save_npz of an empty map writes an empty archive, as numpy.savez does") {
  require_numpy();
  const TempDir dir;
  const std::string path = dir.file("empty.npz");
  xg::save_npz(path, {});
  CHECK(xg::load_npz(path).empty());
  const PythonRun run = run_python(dir, "import sys, numpy\nprint(len(numpy.load(sys.argv[1]).files))\n", {path});
  INFO("python said: " << run.output);
  CHECK(run.exit_code == 0);
  CHECK(run.output == "0\n");
}

// ---- NumPy interchange ----

TEST_CASE("numpy.load reads an archive written by save_npz with the same dtypes, shapes and values") {
  require_numpy();
  const TempDir dir;
  const std::string path = dir.file("from_xgrad.npz");
  xg::save_npz(path, sample_tensors());
  const PythonRun run = run_python(dir, R"(
import sys
import numpy as np
d = np.load(sys.argv[1])
expected = {
    "f32": np.array([[1.5, -2.25, 3.0], [4.0, 0.1, -1e-20]], dtype=np.float32),
    "f64": np.array([0.1, 1.0 / 3.0, -1e-300, 6.02214076e23], dtype=np.float64),
    "i64": np.array([-5, 0, 9007199254740993, -9223372036854775807], dtype=np.int64),
    "scalar": np.array(3.25, dtype=np.float64),
    "cube": np.arange(24, dtype=np.float32).reshape(2, 3, 4),
    "layer.0.weight": np.array([[0.5, -0.5]], dtype=np.float64),
}
problems = []
if sorted(d.files) != sorted(expected):
    problems.append("keys %s, expected %s" % (sorted(d.files), sorted(expected)))
for key, want in expected.items():
    if key not in d.files:
        continue
    got = d[key]
    if got.dtype != want.dtype:
        problems.append("%s: dtype %s, expected %s" % (key, got.dtype, want.dtype))
    if got.shape != want.shape:
        problems.append("%s: shape %s, expected %s" % (key, got.shape, want.shape))
    elif not np.array_equal(got, want):
        problems.append("%s: values %r, expected %r" % (key, got, want))
print("\n".join(problems) if problems else "ok")
sys.exit(1 if problems else 0)
)",
                                   {path});
  INFO("python said: " << run.output);
  CHECK(run.exit_code == 0);
  CHECK(run.output == "ok\n");
}

TEST_CASE("load_npz reads numpy.savez_compressed archives") {
  require_numpy();
  const TempDir dir;
  const std::string path = dir.file("compressed.npz");
  const PythonRun run = run_python(dir, R"(
import sys
import numpy as np
np.savez_compressed(sys.argv[1],
                    weights=np.arange(1000, dtype=np.float64).reshape(10, 100) / 8,
                    labels=np.array([2, 0, 1], dtype=np.int64))
)",
                                   {path});
  INFO("python said: " << run.output);
  REQUIRE(run.exit_code == 0);
  const auto d = xg::load_npz(path);
  REQUIRE(d.count("weights") == 1);
  REQUIRE(d.count("labels") == 1);
  CHECK(d.at("weights").shape() == Shape{10, 100});
  std::vector<double> expected = iota(1000);
  for (double& v : expected) v /= 8;
  CHECK_THAT(d.at("weights").to_vector(), Equals(expected));
  CHECK_THAT(int_values(d.at("labels")), Equals(std::vector<int64_t>{2, 0, 1}));
}

TEST_CASE("load_npz refuses a zip whose member is not a .npy array or whose .npy is cut short") {
  require_numpy();
  const TempDir dir;
  const std::string text_path = dir.file("text.npz"), short_path = dir.file("short.npz");
  const PythonRun run = run_python(dir, R"(
import io
import sys
import zipfile
import numpy as np
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("readme.txt", "not an array")
buffer = io.BytesIO()
np.save(buffer, np.arange(100, dtype=np.float64))
data = buffer.getvalue()
with zipfile.ZipFile(sys.argv[2], "w") as z:
    z.writestr("a.npy", data[: len(data) - 80])
)",
                                   {text_path, short_path});
  INFO("python said: " << run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_THROWS_AS(xg::load_npz(text_path), xg::IOError);
  CHECK_THROWS_WITH(xg::load_npz(text_path), Catch::Contains(text_path) && Catch::Contains("readme.txt"));
  CHECK_THROWS_AS(xg::load_npz(short_path), xg::IOError);
  CHECK_THROWS_WITH(xg::load_npz(short_path), Catch::Contains(short_path) && Catch::Contains("a.npy"));
}

// ---- errors ----

TEST_CASE("load_npz of a missing file throws an IOError naming the path") {
  const TempDir dir;
  const std::string path = dir.file("does_not_exist.npz");
  CHECK_THROWS_AS(xg::load_npz(path), xg::IOError);
  CHECK_THROWS_WITH(xg::load_npz(path), Catch::Contains("load_npz") && Catch::Contains(path));
}

TEST_CASE("load_npz of an archive truncated to half its size throws an IOError") {
  const TempDir dir;
  const std::string path = dir.file("truncated.npz");
  xg::save_npz(path, sample_tensors());
  const auto size = fs::file_size(path);
  REQUIRE(size > 100);
  fs::resize_file(path, size / 2);
  CHECK_THROWS_AS(xg::load_npz(path), xg::IOError);
  CHECK_THROWS_WITH(xg::load_npz(path), Catch::Contains(path));
}

TEST_CASE("load_npz of a file of garbage bytes throws an IOError") {
  const TempDir dir;
  const std::string path = dir.file("garbage.npz");
  {
    std::ofstream out(path, std::ios::binary);
    std::mt19937 bytes(42);
    for (int i = 0; i < 4096; ++i) out.put(static_cast<char>(bytes() & 0xff));
  }
  CHECK_THROWS_AS(xg::load_npz(path), xg::IOError);
  CHECK_THROWS_WITH(xg::load_npz(path), Catch::Contains(path));
  std::ofstream(dir.file("empty.npz")).close();
  CHECK_THROWS_AS(xg::load_npz(dir.file("empty.npz")), xg::IOError);
  CHECK_THROWS_AS(xg::load_npz(dir.path().string()), xg::IOError);  // a directory
}

TEST_CASE("save_npz into a directory that does not exist throws an IOError naming the path") {
  const TempDir dir;
  const std::string path = dir.file("no_such_dir/tensors.npz");
  CHECK_THROWS_AS(xg::save_npz(path, {{"x", xg::tensor({1, 2})}}), xg::IOError);
  CHECK_THROWS_WITH(xg::save_npz(path, {{"x", xg::tensor({1, 2})}}),
                    Catch::Contains("save_npz") && Catch::Contains(path));
  CHECK_FALSE(fs::exists(dir.path() / "no_such_dir"));
}

TEST_CASE("save_npz refuses an undefined tensor or an empty key and leaves the old file as it was") {
  const TempDir dir;
  const std::string path = dir.file("kept.npz");
  xg::save_npz(path, {{"x", xg::tensor({1, 2})}});
  CHECK_THROWS_AS(xg::save_npz(path, {{"a", xg::tensor({3})}, {"x", Tensor()}}), xg::ValueError);
  CHECK_THROWS_WITH(xg::save_npz(path, {{"a", xg::tensor({3})}, {"x", Tensor()}}), Catch::Contains("'x'"));
  CHECK_THROWS_AS(xg::save_npz(path, {{"", xg::tensor({3})}}), xg::ValueError);
  const auto loaded = xg::load_npz(path);
  REQUIRE(loaded.size() == 1);
  CHECK_THAT(loaded.at("x").to_vector(), Equals(std::vector<double>{1, 2}));
}

TEST_CASE("load_npz refuses an entry whose checksum does not match its data") {
  require_numpy();
  const TempDir dir;
  const std::string path = dir.file("crc.npz");
  const PythonRun run = run_python(dir, R"py(
import sys
import numpy as np
np.savez(sys.argv[1], w=np.arange(16, dtype=np.float64))
data = bytearray(open(sys.argv[1], "rb").read())
at = data.index(b"\x00\x00\xf0\x3f")  # the float 1.0 in the stored data
data[at + 3] ^= 0x40                   # 1.0 becomes +inf, still a valid float: only the CRC can tell
open(sys.argv[1], "wb").write(bytes(data))
)py",
                                   {path});
  INFO("python said: " << run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_THROWS_AS(xg::load_npz(path), xg::IOError);
  CHECK_THROWS_WITH(xg::load_npz(path), Catch::Contains("'w.npy'") && Catch::Contains("truncated or corrupt"));
}
