// Creation sites: the stack captured when anomaly mode records an op. Stacks are captured as bare
// return addresses (cheap) and resolved only when printed, with GCC's libbacktrace, which reads
// the DWARF line tables (file:line, inlined frames included) or, without debug information, the
// symbol table.
//
// Why a stack and not std::source_location: operators (a * b + c) cannot take the defaulted
// source_location argument that would capture the caller, and the user's line is usually a few
// frames up anyway (inside nn::Linear::forward, called from the user's model).
#include <autograd/anomaly.hpp>

#include <fmt/format.h>

#include <cxxabi.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#if XGRAD_HAVE_LIBBACKTRACE
#include <backtrace.h>
#else
#include <dlfcn.h>
#include <execinfo.h>
#endif

namespace xg {

namespace {

// XGRAD_SOURCE_DIR ends with '/': frames in the tree are shown relative to it.
constexpr const char* kSourceDir = XGRAD_SOURCE_DIR;
constexpr size_t kMaxFrames = 64;

std::string demangle(const char* name) {
  if (name == nullptr) return "?";
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(name);
}

// "ns::Net::forward(xg::Tensor const&) const" -> "ns::Net::forward": the argument lists make
// frames unreadable, and file:line already says which overload.
std::string without_arguments(std::string name) {
  if (name.find("operator") != std::string::npos) return name;
  int depth = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '<') ++depth;
    if (c == '>') --depth;
    if (c == '(' && depth == 0) {
      if (name.compare(i, 20, "(anonymous namespace") == 0) continue;
      name.resize(i);
      break;
    }
  }
  return name;
}

std::string relative(const char* file) {
  const size_t n = std::strlen(kSourceDir);
  if (std::strncmp(file, kSourceDir, n) == 0) return file + n;
  return file;
}

struct Frame {
  std::string file;  // relative to the source tree when inside it; empty without debug info
  int line = 0;
  std::string function;
  std::string text() const {
    if (file.empty()) return function;
    return fmt::format("{}:{} in {}", file, line, function);
  }
};

// A frame of xgrad's engine (autograd/): tensors' and ops' own code, or the standard library's
// plumbing between them (std::function, shared_ptr).
bool is_engine_frame(const Frame& f) {
  if (!f.file.empty()) {
    // autograd/ of this source tree, or its installed headers (Tensor::record is compiled into the
    // user's file from <prefix>/include/xgrad/autograd/node.hpp), or the standard library's
    return f.file.rfind("autograd/", 0) == 0 || f.file.find("/include/xgrad/autograd/") != std::string::npos ||
           f.file.rfind("/usr/include/", 0) == 0;
  }
  const std::string& fn = f.function;
  if (fn.rfind("std::", 0) == 0 || fn.rfind("void std::", 0) == 0) return true;
  return fn.rfind("xg::", 0) == 0 && fn.rfind("xg::nn::", 0) != 0 && fn.rfind("xg::optim::", 0) != 0;
}

#if XGRAD_HAVE_LIBBACKTRACE

void ignore_error(void*, const char*, int) {}

backtrace_state* state() {
  // one state per process, safe to share between threads (threaded = 1)
  static backtrace_state* s = backtrace_create_state(nullptr, 1, ignore_error, nullptr);
  return s;
}

std::vector<uintptr_t> capture_pcs() {
  std::vector<uintptr_t> pcs;
  pcs.reserve(kMaxFrames);
  backtrace_simple(
      state(), 2,  // skip capture_pcs and CreationSite::capture
      [](void* data, uintptr_t pc) {
        auto* out = static_cast<std::vector<uintptr_t>*>(data);
        if (pc == static_cast<uintptr_t>(-1)) return 1;
        out->push_back(pc);
        return out->size() >= kMaxFrames ? 1 : 0;
      },
      ignore_error, &pcs);
  return pcs;
}

void resolve(uintptr_t pc, std::vector<Frame>& frames) {
  const size_t before = frames.size();
  backtrace_pcinfo(
      state(), pc,
      [](void* data, uintptr_t, const char* file, int line, const char* function) {
        if (file == nullptr) return 0;
        static_cast<std::vector<Frame>*>(data)->push_back(
            {relative(file), line, without_arguments(demangle(function))});
        return 0;
      },
      ignore_error, &frames);
  // the symbol table names the function qualified ("Net::forward", where DWARF says "forward")
  struct Symbol {
    std::string name;
    uintptr_t offset = 0;
  } symbol;
  backtrace_syminfo(
      state(), pc,
      [](void* data, uintptr_t pc, const char* name, uintptr_t value, uintptr_t) {
        auto* s = static_cast<Symbol*>(data);
        if (name != nullptr) *s = {without_arguments(demangle(name)), pc - value};
      },
      ignore_error, &symbol);
  if (frames.size() > before) {
    // the last frame of this pc is the function itself (the ones before it were inlined into it)
    if (!symbol.name.empty()) frames.back().function = symbol.name;
    return;
  }
  // no line information: the symbol and the offset into it
  frames.push_back(
      {{}, 0, symbol.name.empty() ? fmt::format("{:#x}", pc) : fmt::format("{}+{:#x}", symbol.name, symbol.offset)});
}

#else  // glibc's backtrace(): function names of exported symbols only

std::vector<uintptr_t> capture_pcs() {
  void* buffer[kMaxFrames];
  const int n = ::backtrace(buffer, static_cast<int>(kMaxFrames));
  std::vector<uintptr_t> pcs;
  for (int i = 2; i < n; ++i) pcs.push_back(reinterpret_cast<uintptr_t>(buffer[i]) - 1);
  return pcs;
}

void resolve(uintptr_t pc, std::vector<Frame>& frames) {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(pc), &info) != 0 && info.dli_sname != nullptr) {
    frames.push_back({{},
                      0,
                      fmt::format("{}+{:#x}", without_arguments(demangle(info.dli_sname)),
                                  pc - reinterpret_cast<uintptr_t>(info.dli_saddr))});
  } else {
    frames.push_back({{}, 0, fmt::format("{:#x}", pc)});
  }
}

#endif

std::vector<Frame> resolve_all(const std::vector<uintptr_t>& pcs) {
  // One thread at a time: libbacktrace reads the DWARF lazily on first use, and ThreadSanitizer
  // cannot see the uninstrumented atomics it synchronises that with (a race report on two
  // threads resolving at once). Resolving only happens when a message is printed.
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::vector<Frame> frames;
  for (uintptr_t pc : pcs) resolve(pc, frames);
  return frames;
}

}  // namespace

std::shared_ptr<const CreationSite> CreationSite::capture() {
  auto site = std::make_shared<CreationSite>();
  site->pcs_ = capture_pcs();
  return site;
}

std::vector<std::string> CreationSite::frames() const {
  std::vector<std::string> out;
  for (const Frame& f : resolve_all(pcs_)) out.push_back(f.text());
  return out;
}

std::string CreationSite::where() const {
  for (const Frame& f : resolve_all(pcs_)) {
    if (!is_engine_frame(f)) return f.text();
  }
  return "unknown (no frame outside xgrad's engine)";
}

std::string CreationSite::describe(const std::string& indent, size_t max_frames) const {
  const std::vector<Frame> frames = resolve_all(pcs_);
  std::string s;
  size_t shown = 0;
  bool debug_info = false;
  for (const Frame& f : frames) {
    if (shown == 0 && is_engine_frame(f)) continue;
    if (shown == max_frames) break;
    if (f.function == "main" || f.function.rfind("__libc_start", 0) == 0) {
      if (f.function == "main") s += fmt::format("{}{}\n", indent, f.text());
      ++shown;
      break;
    }
    debug_info = debug_info || !f.file.empty();
    s += fmt::format("{}{}\n", indent, f.text());
    ++shown;
  }
  if (s.empty()) return indent + "unknown (no frame outside xgrad's engine)";
#if XGRAD_HAVE_LIBBACKTRACE
  if (!debug_info) s += indent + "(no debug information: compile with -g for file:line)\n";
#else
  if (!debug_info) {
    s += indent + "(xgrad was built without GCC's libbacktrace: no file:line; link with -rdynamic for names)\n";
  }
#endif
  s.pop_back();
  return s;
}

}  // namespace xg
