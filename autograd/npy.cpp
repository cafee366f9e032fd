// .npy arrays, numpy's format for one array: written with xtensor's xnpy, read by xgrad's own
// parser (NpyHeader below says why). autograd/npz.cpp puts them in and takes them out of the zip.
#include <autograd/detail/npy.hpp>

#include <autograd/detail/tensor_impl.hpp>
#include <autograd/error.hpp>
#include <autograd/shape.hpp>

#include <fmt/format.h>
#include <bit>
#include <cctype>
#include <cstring>
#include <string_view>
#include <xtensor/xadapt.hpp>
#include <xtensor/xnpy.hpp>

namespace xg {

namespace {

static_assert(std::endian::native == std::endian::little, "load_npz reads '<' and '|' arrays as native");

// What a .npy header says, checked against the bytes that follow it.
struct NpyArray {
  char order = '<';  // '<', '>' or '|'
  char kind = 'f';   // 'f', 'i', 'u', 'b', 'c'
  uint64_t item = 0;
  bool fortran = false;
  Shape shape;
  size_t count = 0;  // elements, checked against the bytes present
  size_t data_offset = 0;
};

// The array's values as a T tensor, from stored values of type S (memcpy: the data need not
// be aligned in the entry), in C or Fortran order.
template <class S, class T>
Tensor from_npy(const std::string& bytes, const NpyArray& a) {
  std::vector<S> values(a.count);
  if (a.count > 0) std::memcpy(values.data(), bytes.data() + a.data_offset, a.count * sizeof(S));
  const std::vector<size_t> shape(a.shape.begin(), a.shape.end());
  auto adapted = xt::adapt<xt::layout_type::dynamic>(
      values, shape, a.fortran ? xt::layout_type::column_major : xt::layout_type::row_major);
  return detail::make_tensor<T>(Array<T>(xt::cast<T>(adapted)));
}

// numpy's header dictionary, parsed by hand: "{'descr': '<f8', 'fortran_order': False,
// 'shape': (2, 3), }" and nothing else. xgrad reads .npy data itself: xtensor's reader trusted
// its input (it allocated a claimed 4 GiB header, called back() on an empty value and misread
// every header length whose low byte is >= 0x80, such as the 182 bytes numpy writes for 15
// dimensions), found by tests/fuzz/npz_fuzz.cpp.
class NpyHeader {
 public:
  explicit NpyHeader(std::string_view text) : text_(text) {}

  // Fills `a`'s type, order and shape, or returns false with what is wrong in `why`.
  bool parse(NpyArray& a, std::string& why) {
    bool have_descr = false, have_order = false, have_shape = false;
    skip_space();
    if (!eat('{')) return fail(why, "the header is not a dictionary");
    for (;;) {
      skip_space();
      if (eat('}')) break;
      std::string_view key;
      if (!quoted(key)) return fail(why, "a key is not a quoted string");
      skip_space();
      if (!eat(':')) return fail(why, fmt::format("no ':' after '{}'", key));
      skip_space();
      if (key == "descr" && !have_descr) {
        std::string_view descr;
        if (!quoted(descr) || !type_string(descr, a)) return fail(why, "the 'descr' is not a numpy type string");
        have_descr = true;
      } else if (key == "fortran_order" && !have_order) {
        if (word("True")) {
          a.fortran = true;
        } else if (word("False")) {
          a.fortran = false;
        } else {
          return fail(why, "'fortran_order' is neither True nor False");
        }
        have_order = true;
      } else if (key == "shape" && !have_shape) {
        if (!shape(a.shape, why)) return false;
        have_shape = true;
      } else {
        return fail(why, fmt::format("unexpected or repeated key '{}'", key));
      }
      skip_space();
      if (eat(',')) continue;
      if (eat('}')) break;
      return fail(why, "no ',' or '}' after a value");
    }
    skip_space();
    if (pos_ != text_.size()) return fail(why, "bytes after the dictionary");
    if (!have_descr || !have_order || !have_shape)
      return fail(why, "the header lacks 'descr', 'fortran_order' or 'shape'");
    return true;
  }

 private:
  static bool fail(std::string& why, std::string what) {
    why = std::move(what);
    return false;
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n')) ++pos_;
  }
  bool eat(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) return ++pos_, true;
    return false;
  }
  bool word(std::string_view w) {
    if (text_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }
  bool quoted(std::string_view& out) {
    if (!eat('\'')) return false;
    const size_t close = text_.find('\'', pos_);
    if (close == std::string_view::npos) return false;
    out = text_.substr(pos_, close - pos_);
    pos_ = close + 1;
    return true;
  }
  // '<f8', '|u1', '>i4', '<c16': a byte order, a kind letter, the size in bytes
  static bool type_string(std::string_view d, NpyArray& a) {
    if (d.size() < 3 || d.size() > 4 || (d[0] != '<' && d[0] != '>' && d[0] != '|')) return false;
    if (std::string_view("ifucb").find(d[1]) == std::string_view::npos) return false;
    a.order = d[0];
    a.kind = d[1];
    a.item = 0;
    for (char c : d.substr(2)) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
      a.item = a.item * 10 + static_cast<uint64_t>(c - '0');
    }
    return a.item > 0;
  }
  // '(2, 3)', '(5,)', '()': sizes with an optional 'L' (Python 2), at most 64 of them (their
  // product is checked by the caller, with the check every op uses)
  bool shape(Shape& out, std::string& why) {
    static constexpr size_t kMaxDims = 64;  // numpy 2's NPY_MAXDIMS
    if (!eat('(')) return fail(why, "'shape' is not a tuple");
    out.clear();
    for (;;) {
      skip_space();
      if (eat(')')) return true;
      int64_t dim = 0;
      size_t digits = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        if (__builtin_mul_overflow(dim, int64_t{10}, &dim) ||
            __builtin_add_overflow(dim, int64_t{text_[pos_] - '0'}, &dim)) {
          return fail(why, "a size in 'shape' overflows int64");
        }
        ++pos_, ++digits;
      }
      if (digits == 0) return fail(why, "'shape' holds something other than sizes");
      if (out.size() == kMaxDims) return fail(why, fmt::format("'shape' has more than {} dimensions", kMaxDims));
      out.push_back(dim);
      eat('L');
      skip_space();
      if (eat(',')) continue;
      if (eat(')')) return true;
      return fail(why, "'shape' is not a tuple of sizes");
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// The header of a .npy entry, checked against the bytes that follow it before anything is
// allocated: a corrupt or hostile file cannot make load_npz allocate more than the entry holds.
template <class Corrupt>
NpyArray read_npy_header(const std::string& bytes, Corrupt&& corrupt) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw corrupt("no .npy magic string");
  const auto byte = [&](size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])); };
  const unsigned major = static_cast<unsigned>(byte(6));
  if (major < 1 || major > 3) throw corrupt(fmt::format("unsupported .npy version {}", major));
  const size_t preamble = major == 1 ? 10 : 12;
  if (bytes.size() < preamble) throw corrupt("truncated header");
  const uint64_t header_len =
      major == 1 ? byte(8) | byte(9) << 8 : byte(8) | byte(9) << 8 | byte(10) << 16 | byte(11) << 24;
  if (header_len > bytes.size() - preamble) {
    throw corrupt(fmt::format("the header claims {} bytes, the entry holds {}", header_len, bytes.size() - preamble));
  }
  // numpy itself refuses headers over 10,000 bytes unless told otherwise (max_header_size)
  if (header_len > 10000) throw corrupt(fmt::format("a header of {} bytes (numpy writes a few dozen)", header_len));
  NpyArray a;
  std::string why;
  if (!NpyHeader(std::string_view(bytes).substr(preamble, header_len)).parse(a, why)) throw corrupt(why);
  a.data_offset = preamble + header_len;
  try {
    check_sizes(a.shape, "load_npz");  // the element count and the strides must fit in int64
  } catch (const ValueError& e) {
    throw corrupt(e.what());
  }
  const uint64_t count = static_cast<uint64_t>(numel(a.shape));
  a.count = static_cast<size_t>(count);
  uint64_t data_bytes = 0;
  if (__builtin_mul_overflow(count, a.item, &data_bytes) || data_bytes > bytes.size() - a.data_offset) {
    throw corrupt(
        fmt::format("the data is shorter than its header says: truncated ({} bytes for {} elements of {} bytes)",
                    bytes.size() - a.data_offset, count, a.item));
  }
  return a;
}

}  // namespace

std::string detail::dump_npy(const Tensor& t) {
  return detail::with_array(t, [](const auto& a) { return xt::dump_npy(a); });
}

Tensor detail::parse_npy(const std::string& bytes, const std::string& path, const std::string& entry) {
  auto corrupt = [&](const std::string& why) {
    return IOError(fmt::format("load_npz: '{}' in {} is not a valid .npy array ({})", entry, path, why));
  };
  const NpyArray a = read_npy_header(bytes, corrupt);
  const std::string type = fmt::format("{}{}{}", a.order, a.kind, a.item);
  // byte orders: '<' little, '|' not applicable (numpy writes it for one-byte types and reads it
  // as native otherwise); '>' (big) is only readable for one-byte types
  if (a.order == '>' && a.item != 1) throw corrupt(fmt::format("unsupported dtype '{}' (big-endian)", type));
  if (a.kind == 'f' && a.item == 4) return from_npy<float, float>(bytes, a);
  if (a.kind == 'f' && a.item == 8) return from_npy<double, double>(bytes, a);
  if (a.kind == 'i' && a.item == 8) return from_npy<int64_t, int64_t>(bytes, a);
  if (a.kind == 'i' && a.item == 4) return from_npy<int32_t, int64_t>(bytes, a);
  if (a.kind == 'u' && a.item == 4) return from_npy<uint32_t, int64_t>(bytes, a);
  if (a.kind == 'i' && a.item == 1) return from_npy<int8_t, int64_t>(bytes, a);
  if ((a.kind == 'u' || a.kind == 'b') && a.item == 1) return from_npy<uint8_t, int64_t>(bytes, a);
  throw corrupt(fmt::format("unsupported dtype '{}' (xgrad reads float32, float64 and integer arrays)", type));
}

}  // namespace xg
