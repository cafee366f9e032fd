// NumPy from the tests (python3-numpy is a test dependency) and tensors' values as vectors,
// shared by the .npy and .npz tests.
#pragma once

#include <autograd/tensor.hpp>

#include <catch2/catch.hpp>
#include <support/temp_dir.hpp>

#include <fmt/format.h>
#include <sys/wait.h>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace xg::test {

inline constexpr const char* kPython = "/usr/bin/python3";

inline std::string read_text(const std::string& path) {
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
inline PythonRun run_python(const TempDir& dir, const std::string& script, const std::vector<std::string>& args) {
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
inline void require_numpy() {
  const std::string command = fmt::format("{} -c 'import numpy' > /dev/null 2>&1", kPython);
  if (std::system(command.c_str()) != 0) {
    FAIL(kPython << " cannot import numpy: install python3-numpy (scripts/setup does) to run the NumPy "
                    "interchange tests");
  }
}

inline std::vector<double> iota(size_t n) {
  std::vector<double> v(n);
  std::iota(v.begin(), v.end(), 0.0);
  return v;
}

inline std::vector<int64_t> int_values(const Tensor& t) {
  const int64_t* p = t.data_ptr<int64_t>();
  return std::vector<int64_t>(p, p + t.numel());
}

}  // namespace xg::test
