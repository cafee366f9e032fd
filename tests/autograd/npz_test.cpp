// Tests of autograd/npz: save_npz/load_npz round trips, interchange with NumPy in both
// directions (numpy.load reads our files; load_npz reads numpy.savez and savez_compressed), and
// the IOError for every way a file can be missing, cut short or not an archive at all.
#include <autograd/error.hpp>
#include <autograd/npz.hpp>
#include <autograd/tensor.hpp>

#include <catch2/catch.hpp>
#include <support/temp_dir.hpp>

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {
using xg::test::TempDir;

using Catch::Matchers::Equals;
using xg::Shape;
using xg::Tensor;

constexpr const char* kPython = "/usr/bin/python3";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct PythonRun {
  int exit_code;
  std::string output;  // stdout and stderr
};

// Runs `script` with /usr/bin/python3 and the given arguments (paths without quotes in them).
PythonRun run_python(const TempDir& dir, const std::string& script, const std::vector<std::string>& args) {
  const std::string script_path = dir.file("script.py"), output_path = dir.file("python_output.txt");
  std::ofstream(script_path) << script;
  std::string command = fmt::format("{} '{}'", kPython, script_path);
  for (const auto& arg : args) command += fmt::format(" '{}'", arg);
  command += fmt::format(" > '{}' 2>&1", output_path);
  const int status = std::system(command.c_str());
  const int code = status == -1 ? -1 : (WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  return {code, read_text(output_path)};
}

// NumPy is a test dependency (scripts/setup installs python3-numpy): its absence is a failure.
void require_numpy() {
  const std::string command = fmt::format("{} -c 'import numpy' > /dev/null 2>&1", kPython);
  if (std::system(command.c_str()) != 0) {
    FAIL(kPython << " cannot import numpy: install python3-numpy (scripts/setup does) to run the NumPy "
                    "interchange tests");
  }
}

std::vector<double> iota(size_t n) {
  std::vector<double> v(n);
  std::iota(v.begin(), v.end(), 0.0);
  return v;
}

std::vector<int64_t> int_values(const Tensor& t) {
  const int64_t* p = t.data_ptr<int64_t>();
  return std::vector<int64_t>(p, p + t.numel());
}

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

// Python that writes .npy bytes by hand: npy(descr, shape, payload) as format version 1, and
// npy2(header, payload) for a whole header as version 2 (a 4-byte length).
constexpr const char* kNpyWriter = R"py(
import struct
import sys
import zipfile
def npy2(header, payload):
    header += " " * (63 - len(header) % 64) + "\n"
    return b"\x93NUMPY\x02\x00" + struct.pack("<I", len(header)) + header.encode("latin1") + payload
def npy(descr, shape, payload):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    header += " " * (63 - len(header) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + payload
)py";

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

TEST_CASE("load_npz reads numpy.savez arrays of every supported dtype, in C and Fortran order") {
  require_numpy();
  const TempDir dir;
  const std::string path = dir.file("from_numpy.npz");
  const PythonRun run = run_python(dir, R"(
import sys
import numpy as np
np.savez(sys.argv[1],
         f32=np.array([[0.1, -2.5], [3.0, 1e-30]], dtype=np.float32),
         f64=np.array([0.1, 1.0 / 3.0, -7.0], dtype=np.float64),
         i64=np.array([-3, 9007199254740993], dtype=np.int64),
         i32=np.array([[1, -2, 3]], dtype=np.int32),
         u8=np.array([0, 255], dtype=np.uint8),
         flags=np.array([True, False, True]),
         scalar=np.float64(-0.75),
         fortran=np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)),
         fortran_cube=np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4)),
         fortran_i32=np.asfortranarray(np.arange(6, dtype=np.int32).reshape(3, 2)))
assert np.load(sys.argv[1])["fortran"].flags["F_CONTIGUOUS"]
)",
                                   {path});
  INFO("python said: " << run.output);
  REQUIRE(run.exit_code == 0);

  const auto d = xg::load_npz(path);
  CHECK(d.size() == 10);
  REQUIRE(d.count("f32") == 1);
  CHECK(d.at("f32").dtype() == xg::float32);
  CHECK(d.at("f32").shape() == Shape{2, 2});
  CHECK_THAT(d.at("f32").to_vector(), Equals(std::vector<double>{double(0.1f), -2.5, 3.0, double(1e-30f)}));

  REQUIRE(d.count("f64") == 1);
  CHECK(d.at("f64").dtype() == xg::float64);
  CHECK_THAT(d.at("f64").to_vector(), Equals(std::vector<double>{0.1, 1.0 / 3.0, -7.0}));

  REQUIRE(d.count("i64") == 1);
  CHECK(d.at("i64").dtype() == xg::int64);
  CHECK_THAT(int_values(d.at("i64")), Equals(std::vector<int64_t>{-3, 9007199254740993LL}));

  REQUIRE(d.count("i32") == 1);
  CHECK(d.at("i32").dtype() == xg::int64);  // other integer widths are widened to int64
  CHECK(d.at("i32").shape() == Shape{1, 3});
  CHECK_THAT(int_values(d.at("i32")), Equals(std::vector<int64_t>{1, -2, 3}));

  REQUIRE(d.count("u8") == 1);
  CHECK(d.at("u8").dtype() == xg::int64);
  CHECK_THAT(int_values(d.at("u8")), Equals(std::vector<int64_t>{0, 255}));

  REQUIRE(d.count("flags") == 1);
  CHECK(d.at("flags").dtype() == xg::int64);
  CHECK_THAT(int_values(d.at("flags")), Equals(std::vector<int64_t>{1, 0, 1}));

  REQUIRE(d.count("scalar") == 1);
  CHECK(d.at("scalar").dim() == 0);
  CHECK(d.at("scalar").item() == -0.75);

  REQUIRE(d.count("fortran") == 1);
  CHECK(d.at("fortran").shape() == Shape{2, 3});
  CHECK_THAT(d.at("fortran").to_vector(), Equals(iota(6)));

  REQUIRE(d.count("fortran_cube") == 1);
  CHECK(d.at("fortran_cube").dtype() == xg::float32);
  CHECK(d.at("fortran_cube").shape() == Shape{2, 3, 4});
  CHECK_THAT(d.at("fortran_cube").to_vector(), Equals(iota(24)));

  REQUIRE(d.count("fortran_i32") == 1);
  CHECK(d.at("fortran_i32").shape() == Shape{3, 2});
  CHECK_THAT(int_values(d.at("fortran_i32")), Equals(std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
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

TEST_CASE("load_npz refuses arrays of a dtype it cannot hold and names the entry") {
  require_numpy();
  const TempDir dir;
  const std::string complex_path = dir.file("complex.npz"), big_endian_path = dir.file("big_endian.npz");
  const PythonRun run = run_python(dir, R"(
import sys
import numpy as np
np.savez(sys.argv[1], z=np.array([1 + 2j]))
np.savez(sys.argv[2], b=np.array([1.0, 2.0], dtype=">f8"))
)",
                                   {complex_path, big_endian_path});
  INFO("python said: " << run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_THROWS_AS(xg::load_npz(complex_path), xg::IOError);
  CHECK_THROWS_WITH(xg::load_npz(complex_path), Catch::Contains(complex_path) && Catch::Contains("z.npy"));
  CHECK_THROWS_AS(xg::load_npz(big_endian_path), xg::IOError);
  CHECK_THROWS_WITH(xg::load_npz(big_endian_path), Catch::Contains(big_endian_path) && Catch::Contains("b.npy"));
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

TEST_CASE("an entry whose header claims 4 GiB is refused before anything is allocated") {
  // npz_fuzz's first finding: xtensor's reader allocated the claimed header length up front
  const std::string path = std::string(XGRAD_TESTS_DIR) + "/autograd/data/npz_header_4gib.npz";
  CHECK_THROWS_AS(xg::load_npz(path), xg::IOError);
  CHECK_THROWS_WITH(xg::load_npz(path), Catch::Contains("load_npz") && Catch::Contains("not a valid .npy array") &&
                                            Catch::Contains("the header claims"));
}

TEST_CASE("an entry whose header dictionary is malformed is refused before xtensor parses it") {
  // npz_fuzz's second finding: xtensor's parser called back() on an empty value (undefined behaviour)
  const std::string path = std::string(XGRAD_TESTS_DIR) + "/autograd/data/npz_header_empty_value.npz";
  CHECK_THROWS_AS(xg::load_npz(path), xg::IOError);
  CHECK_THROWS_WITH(xg::load_npz(path), Catch::Contains("load_npz") && Catch::Contains("not a valid .npy array"));
}

TEST_CASE(
    "load_npz reads a '|' byte-order mark as native, as numpy does, and refuses '=' and big-endian with an IOError") {
  // npz_fuzz's third finding: '<i8' with one flipped bit is '|i8', which xtensor's cast refused
  // with a plain std::runtime_error (numpy reads it as '<i8'); numpy never writes '=' to a file
  const TempDir dir;
  const std::string path = dir.file("marks.npz"), big_path = dir.file("big.npz"), native_path = dir.file("native.npz");
  const PythonRun run = run_python(dir, std::string(kNpyWriter) + R"py(
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("bar_i8.npy", npy("|i8", "(2,)", struct.pack("<2q", -7, 9)))
    z.writestr("bar_f8.npy", npy("|f8", "(1,)", struct.pack("<d", 0.25)))
    z.writestr("bar_f4.npy", npy("|f4", "(2, 1)", struct.pack("<2f", 1.5, -2.0)))
    z.writestr("big_u1.npy", npy(">u1", "(3,)", bytes([1, 2, 250])))
with zipfile.ZipFile(sys.argv[2], "w") as z:
    z.writestr("big_i8.npy", npy(">i8", "(1,)", struct.pack(">q", 5)))
with zipfile.ZipFile(sys.argv[3], "w") as z:
    z.writestr("native_i8.npy", npy("=i8", "(1,)", struct.pack("<q", 5)))
)py",
                                   {path, big_path, native_path});
  INFO("python said: " << run.output);
  REQUIRE(run.exit_code == 0);
  const auto loaded = xg::load_npz(path);
  REQUIRE(loaded.size() == 4);
  CHECK(loaded.at("bar_i8").dtype() == xg::int64);
  CHECK(int_values(loaded.at("bar_i8")) == std::vector<int64_t>{-7, 9});
  CHECK(loaded.at("bar_f8").dtype() == xg::float64);
  CHECK(loaded.at("bar_f8").to_vector() == std::vector<double>{0.25});
  CHECK(loaded.at("bar_f4").dtype() == xg::float32);
  CHECK(loaded.at("bar_f4").shape() == Shape{2, 1});
  CHECK(loaded.at("bar_f4").to_vector() == std::vector<double>{1.5, -2.0});
  CHECK(int_values(loaded.at("big_u1")) == std::vector<int64_t>{1, 2, 250});
  CHECK_THROWS_AS(xg::load_npz(big_path), xg::IOError);
  CHECK_THROWS_WITH(xg::load_npz(big_path), Catch::Contains("big_i8.npy") && Catch::Contains("big-endian"));
  CHECK_THROWS_AS(xg::load_npz(native_path), xg::IOError);
  CHECK_THROWS_WITH(xg::load_npz(native_path), Catch::Contains("native_i8.npy") && Catch::Contains("'descr'"));
}

TEST_CASE("load_npz refuses long or deep headers with an IOError, without recursing over them") {
  // a 3,000-dimension shape and a 60,000-byte header: numpy refuses both (max_header_size,
  // NPY_MAXDIMS); a recursive matcher over such a header could overflow the stack
  const TempDir dir;
  const std::string deep_path = dir.file("deep.npz"), long_path = dir.file("long.npz"), ok_path = dir.file("ok.npz");
  const PythonRun run = run_python(dir, std::string(kNpyWriter) + R"py(
one = struct.pack("<d", 1.0)
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("deep.npy", npy2("{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }" % ("1, " * 3000), one))
with zipfile.ZipFile(sys.argv[2], "w") as z:
    z.writestr("long.npy", npy2("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)%s}" % (" " * 60000), one))
with zipfile.ZipFile(sys.argv[3], "w") as z:
    z.writestr("ok.npy", npy2("{'descr': '<f8',\n 'fortran_order': False, 'shape': (1, 1L, 1,), }", one))
)py",
                                   {deep_path, long_path, ok_path});
  INFO("python said: " << run.output);
  REQUIRE(run.exit_code == 0);
  CHECK_THROWS_AS(xg::load_npz(deep_path), xg::IOError);
  CHECK_THROWS_WITH(xg::load_npz(deep_path), Catch::Contains("deep.npy") && Catch::Contains("more than 64 dimensions"));
  CHECK_THROWS_AS(xg::load_npz(long_path), xg::IOError);
  CHECK_THROWS_WITH(xg::load_npz(long_path), Catch::Contains("long.npy") && Catch::Contains("a header of"));
  const auto loaded = xg::load_npz(ok_path);
  REQUIRE(loaded.count("ok") == 1);
  CHECK(loaded.at("ok").shape() == Shape{1, 1, 1});
  CHECK(loaded.at("ok").to_vector() == std::vector<double>{1.0});
}

TEST_CASE("load_npz reads the 182-byte headers numpy writes for 15 dimensions and more") {
  // xtensor's reader sign-extended the header length's bytes and misread any length whose low
  // byte is >= 0x80 (182 = 0xb6): load_npz parses .npy itself now
  require_numpy();
  const TempDir dir;
  const std::string path = dir.file("deep.npz");
  const PythonRun run = run_python(dir, R"py(
import io
import sys
import numpy as np
a = np.arange(2 * 3, dtype=np.float64).reshape((2,) + (1,) * 13 + (3,))
b = io.BytesIO()
np.save(b, a)
print(b.getvalue()[8] | b.getvalue()[9] << 8)
np.savez(sys.argv[1], deep=a, fdeep=np.asfortranarray(a))
)py",
                                   {path});
  INFO("python said: " << run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(run.output == "182\n");
  const auto loaded = xg::load_npz(path);
  Shape expected(15, 1);
  expected.front() = 2;
  expected.back() = 3;
  for (const char* name : {"deep", "fdeep"}) {
    INFO(name);
    CHECK(loaded.at(name).shape() == expected);
    CHECK(loaded.at(name).to_vector() == std::vector<double>{0, 1, 2, 3, 4, 5});
  }
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
