// .npz I/O: libzip for the container; its members are .npy arrays (autograd/npy.cpp).
#include <autograd/npz.hpp>

#include <autograd/detail/npy.hpp>
#include <autograd/error.hpp>

#include <fmt/format.h>
#include <unistd.h>
#include <zip.h>
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <utility>
#include <vector>

namespace xg {

namespace {

std::atomic<uint64_t> g_save_counter{0};

struct ZipCloser {
  void operator()(zip_t* z) const {
    if (z != nullptr) zip_discard(z);
  }
};
using ZipHandle = std::unique_ptr<zip_t, ZipCloser>;

std::string zip_message(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string s = zip_error_strerror(&error);
  zip_error_fini(&error);
  return s;
}

// The members as an uncompressed zip at `temp` (what numpy.savez writes); IOError naming `path`.
void write_zip(const std::filesystem::path& temp, const std::string& path,
               const std::vector<std::pair<std::string, std::string>>& members) {
  std::error_code ignored;
  int code = 0;
  ZipHandle zip(zip_open(temp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code));
  if (!zip) throw IOError(fmt::format("save_npz: cannot create {}: {}", path, zip_message(code)));
  for (const auto& [name, bytes] : members) {
    zip_source_t* source = zip_source_buffer(zip.get(), bytes.data(), bytes.size(), 0);
    if (source == nullptr) throw IOError(fmt::format("save_npz: cannot write {}: {}", path, zip_strerror(zip.get())));
    const zip_int64_t index = zip_file_add(zip.get(), name.c_str(), source, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(source);
      throw IOError(fmt::format("save_npz: cannot add '{}' to {}: {}", name, path, zip_strerror(zip.get())));
    }
    zip_set_file_compression(zip.get(), static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);  // as numpy.savez
  }
  if (zip_close(zip.get()) != 0) {
    const std::string why = zip_strerror(zip.get());
    std::filesystem::remove(temp, ignored);
    throw IOError(fmt::format("save_npz: cannot write {}: {}", path, why));
  }
  (void)zip.release();  // closed
}

// libzip writes no file at all for an archive without entries (zip_close removes it), but an
// empty state is still a valid save: numpy.savez writes the 22-byte end-of-central-directory
// record alone, with every count and offset zero, and so do we.
void write_empty_zip(const std::filesystem::path& temp, const std::string& path) {
  const char record[22] = {'P', 'K', 5, 6};
  std::ofstream out(temp, std::ios::binary | std::ios::trunc);
  out.write(record, sizeof record);
  out.close();
  if (!out) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw IOError(fmt::format("save_npz: cannot write {}", path));
  }
}

}  // namespace

void save_npz(const std::string& path, const std::map<std::string, Tensor>& tensors) {
  // serialise everything first, so a bad tensor fails before any file is touched
  std::vector<std::pair<std::string, std::string>> members;
  for (const auto& [key, t] : tensors) {
    if (key.empty()) throw ValueError("save_npz: empty key");
    if (!t.defined()) throw ValueError(fmt::format("save_npz: tensor '{}' is undefined", key));
    members.emplace_back(key + ".npy", detail::dump_npy(t));
  }

  const std::filesystem::path target(path);
  const std::filesystem::path temp =
      target.parent_path() / fmt::format(".{}.tmp{}.{}", target.filename().string(), static_cast<long>(::getpid()),
                                         g_save_counter.fetch_add(1));  // unique per call, also across threads
  std::error_code ignored;
  std::filesystem::remove(temp, ignored);
  if (members.empty()) {
    write_empty_zip(temp, path);
  } else {
    write_zip(temp, path, members);
  }
  std::filesystem::rename(temp, target, ignored);
  if (ignored) {
    std::filesystem::remove(temp, ignored);
    throw IOError(fmt::format("save_npz: cannot move the finished archive to {}", path));
  }
}

std::map<std::string, Tensor> load_npz(const std::string& path) {
  int code = 0;
  ZipHandle zip(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
  if (!zip) throw IOError(fmt::format("load_npz: cannot open {}: {}", path, zip_message(code)));
  std::map<std::string, Tensor> out;
  const zip_int64_t count = zip_get_num_entries(zip.get(), 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(zip.get(), static_cast<zip_uint64_t>(i), 0, &stat) != 0) {
      throw IOError(fmt::format("load_npz: cannot read entry {} of {}: {}", i, path, zip_strerror(zip.get())));
    }
    std::string name = stat.name;
    if (name.size() < 4 || name.substr(name.size() - 4) != ".npy") {
      throw IOError(fmt::format("load_npz: entry '{}' of {} is not a .npy array", name, path));
    }
    // read in pieces: the size the zip directory claims is believed only as far as the data goes
    // (a corrupt directory claiming terabytes must not allocate them)
    zip_file_t* file = zip_fopen_index(zip.get(), static_cast<zip_uint64_t>(i), 0);
    if (file == nullptr) {
      throw IOError(fmt::format("load_npz: cannot open entry '{}' of {}: {}", name, path, zip_strerror(zip.get())));
    }
    const auto too_large = [&] {
      return IOError(fmt::format("load_npz: entry '{}' of {} is too large to load", name, path));
    };
    std::string bytes;
    bool too_long = false, failed = false;
    try {
      constexpr size_t kPiece = size_t{1} << 20;
      for (;;) {
        const size_t old_size = bytes.size();
        bytes.resize(old_size + kPiece);
        const zip_int64_t got = zip_fread(file, bytes.data() + old_size, kPiece);
        if (got < 0) failed = true;
        bytes.resize(old_size + static_cast<size_t>(std::max<zip_int64_t>(got, 0)));
        if (got <= 0) break;
        if (bytes.size() > stat.size) {
          too_long = true;
          break;
        }
      }
    } catch (const std::bad_alloc&) {
      zip_fclose(file);
      throw too_large();
    }
    zip_fclose(file);
    if (failed || too_long || bytes.size() != stat.size) {
      throw IOError(fmt::format("load_npz: entry '{}' of {} is truncated or corrupt", name, path));
    }
    try {
      out.emplace(name.substr(0, name.size() - 4), detail::parse_npy(bytes, path, name));
    } catch (const std::bad_alloc&) {
      throw too_large();
    }
  }
  return out;
}

}  // namespace xg
