// Tests of autograd/npy: the .npy arrays inside an archive, through load_npz: every dtype numpy
// writes that xgrad reads (and the ones it refuses), C and Fortran order, byte-order marks, and
// headers that are malformed, huge, deep or longer than 127 bytes.
#include <autograd/error.hpp>
#include <autograd/npz.hpp>
#include <autograd/tensor.hpp>

#include <catch2/catch.hpp>
#include <support/numpy.hpp>
#include <support/temp_dir.hpp>

#include <string>
#include <vector>

namespace {
using xg::test::int_values;
using xg::test::iota;
using xg::test::PythonRun;
using xg::test::require_numpy;
using xg::test::run_python;
using xg::test::TempDir;

using Catch::Matchers::Equals;
using xg::Shape;

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
