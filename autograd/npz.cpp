// .npz I/O: libzip for the container, xtensor's xnpy for each .npy member.
#include <autograd/npz.hpp>

#include <autograd/detail/tensor_impl.hpp>
#include <autograd/error.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <unistd.h>
#include <xtensor/xnpy.hpp>
#include <zip.h>

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

static_assert(std::endian::native == std::endian::little, "load_npz reads '|' arrays as little-endian");

// The type is checked by the caller: xtensor's own check wants '<' exactly and threw a plain
// std::runtime_error for '|i8', which numpy reads as '<i8' (found by npz_fuzz).
template <class T>
Tensor from_npy(xt::detail::npy_file&& file) {
  auto adapted = std::move(file).cast<T, xt::layout_type::dynamic>(false);  // handles Fortran order too
  return detail::make_tensor<T>(Array<T>(adapted));
}

// Checks what xtensor's reader would allocate before it does: the header length, and the data
// size (shape x item size) against the bytes the entry really holds. A corrupt or hostile file
// otherwise makes it allocate up to 4 GiB for the header alone (found by tests/fuzz/npz_fuzz.cpp).
template <class Corrupt>
void check_npy_sizes(const std::string& bytes, Corrupt&& corrupt) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw corrupt("no .npy magic string");
  const auto byte = [&](size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])); };
  const unsigned major = static_cast<unsigned>(byte(6));
  if (major < 1 || major > 3) throw corrupt(fmt::format("unsupported .npy version {}", major));
  const size_t preamble = major == 1 ? 10 : 12;
  if (bytes.size() < preamble) throw corrupt("truncated header");
  const uint64_t header_len = major == 1 ? byte(8) | byte(9) << 8 : byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24;
  if (header_len > bytes.size() - preamble) {
    throw corrupt(fmt::format("the header claims {} bytes, the entry holds {}", header_len, bytes.size() - preamble));
  }
  if (header_len > 65536) throw corrupt(fmt::format("a header of {} bytes (numpy writes a few dozen)", header_len));
  const std::string header = bytes.substr(preamble, header_len);
  // xtensor's header parser trusts its input (it calls back() on an empty value: found by
  // npz_fuzz), so only the dictionary numpy writes reaches it: the three keys, each once, with
  // well-formed values, and nothing else but braces, commas and spaces.
  static const std::regex descr_re(R"('descr'\s*:\s*'[<>|][a-zA-Z][0-9]+')");
  static const std::regex order_re(R"('fortran_order'\s*:\s*(True|False))");
  static const std::regex shape_re(R"('shape'\s*:\s*\(\s*([0-9]+L?\s*,\s*)*([0-9]+L?\s*)?\))");
  std::string rest = header;
  for (const std::regex* re : {&descr_re, &order_re, &shape_re}) {
    std::smatch m;
    if (!std::regex_search(rest, m, *re)) throw corrupt("the header lacks a well-formed 'descr', 'fortran_order' or 'shape'");
    rest = m.prefix().str() + m.suffix().str();
  }
  for (char c : rest) {
    if (c != '{' && c != '}' && c != ',' && c != ' ' && c != '\n') throw corrupt(fmt::format("unexpected '{}' in the header", c));
  }
  if (std::count(rest.begin(), rest.end(), '{') != 1 || std::count(rest.begin(), rest.end(), '}') != 1 ||
      rest.find('{') > rest.find('}')) {
    throw corrupt("the header is not one dictionary");
  }
  const size_t descr = header.find("'descr'");
  const size_t shape_key = header.find("'shape'");
  if (descr == std::string::npos || shape_key == std::string::npos) throw corrupt("no 'descr' or 'shape' in the header");
  const size_t type_start = header.find('\'', header.find(':', descr));
  if (type_start == std::string::npos || type_start + 3 >= header.size()) throw corrupt("unreadable 'descr'");
  uint64_t item = 0;
  for (size_t i = type_start + 3; i < header.size() && std::isdigit(static_cast<unsigned char>(header[i])); ++i) {
    item = item * 10 + static_cast<uint64_t>(header[i] - '0');
    if (item > 64) throw corrupt("item size over 64 bytes");
  }
  const size_t open = header.find('(', shape_key), close = header.find(')', shape_key);
  if (open == std::string::npos || close == std::string::npos || close < open) throw corrupt("unreadable 'shape'");
  uint64_t count = 1, dim = 0;
  bool in_number = false;
  for (size_t i = open + 1; i <= close; ++i) {
    const char c = header[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      if (__builtin_mul_overflow(dim, uint64_t{10}, &dim) || __builtin_add_overflow(dim, static_cast<uint64_t>(c - '0'), &dim)) {
        throw corrupt("a size in 'shape' overflows");
      }
      in_number = true;
    } else if (c == ',' || c == ')') {
      if (in_number && __builtin_mul_overflow(count, dim, &count)) throw corrupt("the element count overflows");
      dim = 0;
      in_number = false;
    } else if (c != ' ' && c != 'L') {
      throw corrupt(fmt::format("unexpected '{}' in 'shape'", c));
    }
  }
  uint64_t data_bytes = 0;
  if (__builtin_mul_overflow(count, item, &data_bytes) || data_bytes > bytes.size() - preamble - header_len) {
    throw corrupt("the data is shorter than its header says: truncated");
  }
}

Tensor parse_npy(const std::string& bytes, const std::string& path, const std::string& entry) {
  auto corrupt = [&](const std::string& why) {
    return IOError(fmt::format("load_npz: '{}' in {} is not a valid .npy array ({})", entry, path, why));
  };
  check_npy_sizes(bytes, corrupt);
  std::istringstream stream(bytes);
  std::optional<xt::detail::npy_file> parsed;
  try {
    parsed.emplace(xt::detail::load_npy_file(stream));
  } catch (const std::exception& e) {
    throw corrupt(e.what());
  }
  xt::detail::npy_file& file = *parsed;
  if (stream.fail()) throw corrupt("the data is shorter than its header says: truncated");
  const std::string& type = file.m_typestring;
  if (type.size() < 3) throw corrupt(fmt::format("unsupported dtype '{}'", type));
  const char kind = type[1];
  const int bytes_per = std::atoi(type.c_str() + 2);
  // byte orders: '<' little, '|' not applicable (numpy writes it for one-byte types and reads it
  // as native otherwise); '>' (big) is only readable for one-byte types. '=' is refused above.
  if (type[0] == '>' && bytes_per != 1) throw corrupt(fmt::format("unsupported dtype '{}' (big-endian)", type));
  const auto read = [&]() -> Tensor {
    if (kind == 'f' && bytes_per == 4) return from_npy<float>(std::move(file));
    if (kind == 'f' && bytes_per == 8) return from_npy<double>(std::move(file));
    if (kind == 'i' && bytes_per == 8) return from_npy<int64_t>(std::move(file));
    auto convert = [&](auto tag) {
      using S = decltype(tag);
      auto adapted = std::move(file).cast<S, xt::layout_type::dynamic>(false);
      return detail::make_tensor<int64_t>(Array<int64_t>(xt::cast<int64_t>(adapted)));
    };
    if ((kind == 'i' || kind == 'u') && bytes_per == 4) return kind == 'i' ? convert(int32_t{}) : convert(uint32_t{});
    if ((kind == 'i' || kind == 'u' || kind == 'b') && bytes_per == 1) {
      return kind == 'i' ? convert(int8_t{}) : convert(uint8_t{});
    }
    throw corrupt(fmt::format("unsupported dtype '{}' (xgrad reads float32, float64 and integer arrays)", type));
  };
  try {
    return read();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {  // whatever else xtensor's reader throws stays an IOError
    throw corrupt(e.what());
  }
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
    std::string bytes = detail::with_array(*t.impl(), [](const auto& a) { return xt::dump_npy(a); });
    members.emplace_back(key + ".npy", std::move(bytes));
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
    std::string bytes(static_cast<size_t>(stat.size), '\0');
    zip_file_t* file = zip_fopen_index(zip.get(), static_cast<zip_uint64_t>(i), 0);
    if (file == nullptr) {
      throw IOError(fmt::format("load_npz: cannot open entry '{}' of {}: {}", name, path, zip_strerror(zip.get())));
    }
    const zip_int64_t read = zip_fread(file, bytes.data(), bytes.size());
    zip_fclose(file);
    if (read != static_cast<zip_int64_t>(bytes.size())) {
      throw IOError(fmt::format("load_npz: entry '{}' of {} is truncated or corrupt", name, path));
    }
    out.emplace(name.substr(0, name.size() - 4), parse_npy(bytes, path, name));
  }
  return out;
}

}  // namespace xg
