// libFuzzer target: arbitrary bytes as a checkpoint. The bytes are written to a file and read
// back by load_npz, by nn::load into a small model and by an optimizer's load; whatever they
// hold, the only way out is a result or an xg::Error (a crash, a sanitizer report or another
// exception type is a finding). A loaded model must still run forward (and a loaded optimizer
// step), an xg::Error there is a finding too, and a load that throws
// leaves the model's parameters as they were. Bytes that start like a .npy array are stored as
// the entry '0.weight.npy' of a well-formed zip instead, so that mutations of the array format
// reach the .npy parser rather than stopping at the zip's CRC check.
//   scripts/test --fuzz   (build-fuzz/, clang: -fsanitize=fuzzer,address,undefined)
//   build-fuzz/tests/npz_fuzz tests/fuzz/corpus/npz -max_total_time=60
#include <autograd/autograd.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <unistd.h>
#include <zip.h>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

const std::string& scratch_file() {
  static const std::string path = "/tmp/xgrad_npz_fuzz_" + std::to_string(::getpid()) + ".npz";
  return path;
}

// The bytes as the only entry of a stored zip at `path`.
void write_npy_entry(const std::string& path, const uint8_t* data, size_t size) {
  int code = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  if (zip == nullptr) std::abort();
  zip_source_t* source = zip_source_buffer(zip, data, size, 0);
  if (source == nullptr || zip_file_add(zip, "0.weight.npy", source, ZIP_FL_OVERWRITE) < 0) std::abort();
  if (zip_close(zip) != 0) std::abort();
}

std::vector<double> values(const xg::nn::Module& model) {
  std::vector<double> out;
  for (const auto& p : model.parameters()) {
    const std::vector<double> v = p.to_vector();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size >= 6 && std::memcmp(data, "\x93NUMPY", 6) == 0) {
    write_npy_entry(scratch_file(), data, size);
  } else {
    std::ofstream out(scratch_file(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    for (const auto& [name, t] : xg::load_npz(scratch_file())) {
      (void)t.numel();
      if (t.numel() <= 4096) (void)t.to_vector();
    }
  } catch (const xg::Error&) {
  }
  // a fresh model and optimizer per input, so that a finding reproduces from its input alone
  xg::nn::Sequential model(xg::nn::Linear(3, 2), xg::nn::Tanh(), xg::nn::Linear(2, 1));
  const std::vector<double> before = values(model);
  bool loaded = false;
  try {
    xg::nn::load(model, scratch_file());
    loaded = true;
  } catch (const xg::Error&) {
    if (values(model) != before) std::abort();  // a failed load changed the model
  }
  // what loaded must be usable: an error from the model or the optimizer after a load that
  // succeeded means the load accepted what it should have refused
  const auto must_work = [](const char* what, auto&& run) {
    try {
      run();
    } catch (const xg::Error& e) {
      std::fprintf(stderr, "npz_fuzz: %s after a successful load threw: %s\n", what, e.what());
      std::abort();
    }
  };
  if (loaded) must_work("the model's forward", [&] { (void)model.forward(xg::zeros({1, 3})); });
  xg::optim::Adam adam(model.parameters(), {.lr = 0.01});
  bool optimizer_loaded = false;
  try {
    adam.load(scratch_file());
    optimizer_loaded = true;
  } catch (const xg::Error&) {
  }
  if (optimizer_loaded) {
    must_work("a training step", [&] {
      xg::nn::mse_loss(model.forward(xg::ones({4, 3})), xg::zeros({4, 1})).backward();
      adam.step();
    });
  }
  std::remove(scratch_file().c_str());
  return 0;
}
