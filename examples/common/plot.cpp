// gnuplot driver of plot.hpp: data files and a script beside the picture, then gnuplot run
// without a shell (posix_spawn), so no path or title is ever interpreted by one.
#include <examples/common/plot.hpp>

#include <autograd/error.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace xg::examples {
namespace {

namespace fs = std::filesystem;

// The files of one picture: out/loss.svg -> out/loss.dat, out/loss.gp, out/loss.log.
struct PlotFiles {
  fs::path picture, stem;
  fs::path with_suffix(const std::string& suffix) const { return fs::path(stem.string() + suffix); }
};

PlotFiles files_for(const std::string& path, const char* function) {
  if (path.empty()) throw ValueError(fmt::format("{}: the picture's path is empty", function));
  PlotFiles files;
  files.picture = fs::path(path);
  files.stem = fs::path(path).replace_extension();
  const fs::path dir = files.picture.parent_path();
  if (!dir.empty() && !fs::is_directory(dir)) {
    throw IOError(fmt::format("{}: the folder {} of {} does not exist (create it with ensure_output_dir)", function,
                              dir.string(), path));
  }
  return files;
}

// gnuplot single-quoted strings take everything literally except '' for a quote.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "''";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out + "'";
}

// Absolute, so that the script redraws the picture from any working directory.
std::string quoted_path(const fs::path& path) { return quoted(fs::absolute(path).lexically_normal().string()); }

std::string number(double value) { return std::isfinite(value) ? fmt::format("{:.9g}", value) : "NaN"; }

std::string range(const std::optional<double>& low, const std::optional<double>& high) {
  return fmt::format("[{}:{}]", low ? number(*low) : "*", high ? number(*high) : "*");
}

void write_file(const fs::path& path, const std::string& text, const char* function) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw IOError(fmt::format("{}: cannot write {}", function, path.string()));
}

void check_series(const std::vector<Series>& series, const char* function) {
  for (const Series& s : series) {
    if (s.x.size() != s.y.size()) {
      throw ValueError(fmt::format("{}: series '{}' has {} x values but {} y values (they must be pairs)", function,
                                   s.name, s.x.size(), s.y.size()));
    }
  }
}

// Blocks separated by two blank lines: gnuplot's `index i` picks block i. Empty series get no
// block (gnuplot does not count a block without data, so later indices would shift).
std::string series_data(const std::vector<Series>& series) {
  std::string text;
  for (const Series& s : series) {
    if (s.x.empty()) continue;
    text += "# " + s.name + "\n";
    for (size_t i = 0; i < s.x.size(); ++i) text += number(s.x[i]) + " " + number(s.y[i]) + "\n";
    text += "\n\n";
  }
  return text;
}

// The plot clauses of the non-empty series in `data` (an empty one would make gnuplot fail).
// `outlined` rings each marker in black, so that points stay visible on a heatmap of any colour.
std::vector<std::string> series_clauses(const std::vector<Series>& series, const fs::path& data, bool outlined) {
  static const char* const colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  std::vector<std::string> clauses;
  size_t block = 0;
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    if (s.x.empty()) continue;
    const double point_size = s.x.size() <= 50 ? 1.2 : 0.5;  // a few points big, a cloud of them small
    const std::string style = s.points ? fmt::format("points pt 7 ps {}", point_size) : "lines lw 2";
    clauses.push_back(fmt::format("{} index {} using 1:2 with {} lc rgb '{}' title {}", quoted_path(data), block, style,
                                  colors[i % std::size(colors)], quoted(s.name)));
    if (outlined && s.points) {
      clauses.push_back(fmt::format("{} index {} using 1:2 with points pt 6 ps {} lw 1.5 lc rgb 'black' notitle",
                                    quoted_path(data), block, point_size));
    }
    ++block;
  }
  return clauses;
}

std::string script_header(const PlotFiles& files, const std::string& title) {
  return fmt::format(
      "# Draws {} (written by xgrad's examples): gnuplot {}\n"
      "set terminal svg size 800,500 dynamic noenhanced font 'sans,12' background rgb 'white'\n"
      "set output {}\n"
      "set title {}\n",
      files.picture.filename().string(), files.with_suffix(".gp").filename().string(), quoted_path(files.picture),
      quoted(title));
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

std::string first_lines(const fs::path& path, int count) {
  std::ifstream in(path);
  std::string line, text;
  for (int i = 0; i < count && std::getline(in, line); ++i) {
    if (i > 0) text += " | ";
    text += line;
  }
  return text;
}

// Runs `gnuplot script` with its output in the .log file and says what came of it.
PlotResult run_gnuplot(const PlotFiles& files) {
  const fs::path script = files.with_suffix(".gp"), log = files.with_suffix(".log");
  const std::string where = files.picture.parent_path().empty() ? "." : files.picture.parent_path().string();
  const std::optional<std::string> gnuplot = find_program("gnuplot");
  if (!gnuplot) {
    return {false, fmt::format("gnuplot not found: apt-get install gnuplot-nox; the data and script are in {} "
                               "(then: gnuplot {})",
                               where, script.string())};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  const std::string log_path = log.string();
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  const std::string script_path = script.string();
  std::vector<char*> argv = {const_cast<char*>(gnuplot->c_str()), const_cast<char*>(script_path.c_str()), nullptr};
  pid_t pid = 0;
  const int spawn_error = posix_spawn(&pid, gnuplot->c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    return {false, fmt::format("cannot run {}: {}; the data and script are in {}", *gnuplot, std::strerror(spawn_error),
                               where)};
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const bool exited_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::error_code ec;
  const bool drawn = fs::exists(files.picture, ec) && fs::file_size(files.picture, ec) > 0;
  if (!exited_ok || !drawn) {
    return {false,
            fmt::format("gnuplot failed to draw {} ({}): {}; the data and script are in {}", files.picture.string(),
                        WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                          : std::string("killed by a signal"),
                        first_lines(log, 3), where)};
  }
  fs::remove(log, ec);  // gnuplot's chatter is only worth keeping when it failed
  return {true, fmt::format("wrote {}", files.picture.string())};
}

}  // namespace

PlotResult plot_svg(const std::string& path, const std::string& title, const std::string& xlabel,
                    const std::string& ylabel, const std::vector<Series>& series, const PlotOptions& options) {
  const PlotFiles files = files_for(path, "plot_svg");
  check_series(series, "plot_svg");
  const fs::path data = files.with_suffix(".dat");
  write_file(data, series_data(series), "plot_svg");

  const std::vector<std::string> clauses = series_clauses(series, data, false);
  std::string script = script_header(files, title);
  script += fmt::format("set xlabel {}\nset ylabel {}\nset grid\nset key {} box opaque\n", quoted(xlabel),
                        quoted(ylabel), options.key);
  script += fmt::format("set xrange {}\nset yrange {}\n", range(options.xmin, options.xmax),
                        range(options.ymin, options.ymax));
  if (options.log_y) script += "set logscale y\n";
  if (options.xtics) script += fmt::format("set xtics {}\n", number(*options.xtics));
  script += clauses.empty() ? "plot NaN notitle\n" : "plot " + join(clauses, ", \\\n     ") + "\n";
  write_file(files.with_suffix(".gp"), script, "plot_svg");
  if (clauses.empty()) return {false, fmt::format("plot_svg: no data points to draw in {}", path)};
  return run_gnuplot(files);
}

PlotResult plot_heatmap_svg(const std::string& path, const std::string& title, int rows, int cols,
                            const std::vector<double>& values, const HeatmapOptions& options) {
  const PlotFiles files = files_for(path, "plot_heatmap_svg");
  if (rows < 1 || cols < 1 || values.size() != static_cast<size_t>(rows) * static_cast<size_t>(cols)) {
    throw ValueError(fmt::format("plot_heatmap_svg: {} values do not fill {} rows x {} cols (expected {})",
                                 values.size(), rows, cols, static_cast<long long>(rows) * cols));
  }
  check_series(options.overlay, "plot_heatmap_svg");

  std::string matrix;
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      if (c > 0) matrix += ' ';
      matrix += number(values[static_cast<size_t>(r * cols + c)]);
    }
    matrix += "\n";
  }
  const fs::path data = files.with_suffix(".dat");
  write_file(data, matrix, "plot_heatmap_svg");

  // Cell centres: index i -> first + i * step; one cell wide when there is a single row/column.
  auto axis = [](std::optional<double> first, std::optional<double> last, int count) {
    const double f = first.value_or(0.0);
    const double l = last.value_or(static_cast<double>(count - 1));
    const double step = count > 1 ? (l - f) / (count - 1) : 1.0;
    return std::array<double, 3>{f, l, step};
  };
  const auto [x0, x1, dx] = axis(options.x_first, options.x_last, cols);
  const auto [y0, y1, dy] = axis(options.y_first, options.y_last, rows);
  const bool indexed = !options.x_first && !options.x_last && !options.y_first && !options.y_last;

  double zmin = options.zmin.value_or(*std::min_element(values.begin(), values.end()));
  double zmax = options.zmax.value_or(*std::max_element(values.begin(), values.end()));
  if (!(zmax > zmin)) zmax = zmin + 1.0;  // a constant matrix still needs a colour scale

  std::string script = script_header(files, title);
  script += fmt::format("set xlabel {}\nset ylabel {}\nset cbrange [{}:{}]\n", quoted(options.xlabel),
                        quoted(options.ylabel), number(zmin), number(zmax));
  script += options.diverging
                ? "set palette defined (0 '#2166ac', 0.25 '#92c5de', 0.5 '#f7f7f7', 0.75 '#f4a582', 1 '#b2182b')\n"
                : "set palette defined (0 '#f7fbff', 0.35 '#9ecae1', 0.7 '#3182bd', 1 '#08306b')\n";
  script += fmt::format("set xrange [{}:{}]\n", number(x0 - dx / 2), number(x1 + dx / 2));
  script += options.rows_top_down ? fmt::format("set yrange [{}:{}]\n", number(y1 + dy / 2), number(y0 - dy / 2))
                                  : fmt::format("set yrange [{}:{}]\n", number(y0 - dy / 2), number(y1 + dy / 2));
  if (indexed) {
    script += "set size ratio -1\n";  // square cells
    if (cols <= 20) script += "set xtics 1\n";
    if (rows <= 20) script += "set ytics 1\n";
  }
  script += "set tics out nomirror\nset key outside right top\n";
  const std::string at = fmt::format("({} + $1 * {}):({} + $2 * {})", number(x0), number(dx), number(y0), number(dy));
  // `pixels`: each cell an SVG rectangle; plain `with image` embeds a bitmap that viewers scale up
  // with smoothing, which blurs the cells into each other
  std::vector<std::string> clauses = {
      fmt::format("{} matrix using {}:3 with image pixels notitle", quoted_path(data), at)};
  if (options.annotate) {
    // white text on the dark part of the palette (its top half; both ends when diverging), else black
    const std::string dark =
        options.diverging ? fmt::format("abs($3 - {}) > {}", number((zmin + zmax) / 2), number((zmax - zmin) * 0.3))
                          : fmt::format("$3 > {}", number((zmin + zmax) / 2));
    clauses.push_back(
        fmt::format("{} matrix using {}:(sprintf('%g', $3)):({} ? 0xffffff : 0x000000) "
                    "with labels tc rgb variable notitle",
                    quoted_path(data), at, dark));
  }
  if (!options.overlay.empty()) {
    const fs::path overlay = files.with_suffix(".overlay.dat");
    write_file(overlay, series_data(options.overlay), "plot_heatmap_svg");
    for (std::string& clause : series_clauses(options.overlay, overlay, true)) clauses.push_back(std::move(clause));
  }
  script += "plot " + join(clauses, ", \\\n     ") + "\n";
  write_file(files.with_suffix(".gp"), script, "plot_heatmap_svg");
  return run_gnuplot(files);
}

std::optional<std::string> find_program(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::string ensure_output_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    throw IOError(fmt::format("ensure_output_dir: cannot create the folder {}: {}", dir,
                              ec ? ec.message() : std::string("a file of that name is in the way")));
  }
  return dir;
}

}  // namespace xg::examples
