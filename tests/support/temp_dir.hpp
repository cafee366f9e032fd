// A fresh temporary folder for one test, removed with everything in it when the test ends.
#pragma once

#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <random>
#include <string>

namespace xg::test {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    std::random_device random;  // unique across processes (ctest -j) and within one
    path_ = std::filesystem::temp_directory_path() / ("xgrad_test_" + std::to_string(::getpid()) + "_" +
                                                      std::to_string(random()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace xg::test
