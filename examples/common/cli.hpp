// The examples' shared ending of main(): parse the options, run, and map the outcome to the exit
// status every example documents: 0 done, 1 an error (xg::Error or any other std::exception),
// 2 bad options, 3 a --check claim failed (what `run` itself returns).
#pragma once

#include <autograd/error.hpp>

#include <fmt/core.h>
#include <CLI/CLI.hpp>
#include <exception>
#include <functional>
#include <string>

namespace xg::examples {

inline int parse_and_run(CLI::App& app, int argc, char** argv, const std::string& program,
                         const std::function<int()>& run) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : 2;  // --help is a "parse error" with status 0
  }
  try {
    return run();
  } catch (const xg::Error& error) {
    fmt::print(stderr, "{}: error: {}\n", program, error.what());
    return 1;
  } catch (const std::exception& error) {
    // from the standard library (bad_alloc, filesystem_error, ...): reported, not an abort
    fmt::print(stderr, "{}: error: {}\n", program, error.what());
    return 1;
  }
}

}  // namespace xg::examples
