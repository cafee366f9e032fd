// Pictures for the examples: curves and heatmaps as SVG through gnuplot. The data and the gnuplot
// script are written beside the picture, so they stay inspectable (and re-plottable) without it.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace xg::examples {

/// One curve: y against x, drawn as a line, or as markers with `points`.
struct Series {
  std::string name;
  std::vector<double> x, y;
  bool points = false;
};

/// Whether the picture was made. `message` says where it is, or why it is missing and where the
/// data and script are; it is meant to be printed as it is.
struct PlotResult {
  bool ok = false;
  std::string message;
};

/// Optional settings of plot_svg. Unset ranges are chosen by gnuplot from the data.
struct PlotOptions {
  std::optional<double> xmin, xmax, ymin, ymax;
  bool log_y = false;
  std::string key = "top right";  // gnuplot's `set key` position, e.g. "bottom right"
  std::optional<double> xtics;    // the distance between x tics (1 for epochs); unset: gnuplot's choice
};

/// Writes `<stem>.dat` and `<stem>.gp` beside `path` (`out/loss.svg` -> `out/loss.dat`,
/// `out/loss.gp`) and runs `gnuplot <stem>.gp`, which draws `path` (terminal svg size 800,500).
/// Throws xg::ValueError when a series' x and y differ in length, xg::IOError when the files
/// cannot be written. A missing or failing gnuplot is reported in the result, not thrown:
///   auto result = plot_svg("out/loss.svg", "loss", "epoch", "loss", {{.name = "train", .x = e, .y = l}});
///   std::cout << result.message << "\n";
PlotResult plot_svg(const std::string& path, const std::string& title, const std::string& xlabel,
                    const std::string& ylabel, const std::vector<Series>& series, const PlotOptions& options = {});

/// Optional settings of plot_heatmap_svg.
struct HeatmapOptions {
  std::string xlabel = "column", ylabel = "row";
  /// Cell centres: column c is at x_first + c (x_last - x_first) / (cols - 1), and likewise for
  /// rows. Unset: the column and row indices (integer tics for up to 20 cells).
  std::optional<double> x_first, x_last, y_first, y_last;
  bool rows_top_down = false;  // row 0 at the top, as a matrix is printed (a confusion matrix)
  bool annotate = false;       // each cell's value printed in it (for small matrices)
  bool diverging = false;      // blue-white-red about the middle of the scale (e.g. a probability), not white-blue
  std::optional<double> zmin, zmax;  // the colour scale; unset: the values' range
  std::vector<Series> overlay;       // curves or points drawn on top, in the x/y coordinates above
};

/// `values` holds rows x cols numbers, row-major; cell (r, c) is drawn at x = column c, y = row r.
/// Files and errors as plot_svg: `<stem>.dat` (the matrix), `<stem>.overlay.dat`, `<stem>.gp`.
///   plot_heatmap_svg("out/confusion.svg", "confusion matrix", 10, 10, counts,
///                    {.xlabel = "predicted", .ylabel = "true", .rows_top_down = true, .annotate = true});
PlotResult plot_heatmap_svg(const std::string& path, const std::string& title, int rows, int cols,
                            const std::vector<double>& values, const HeatmapOptions& options = {});

/// The path of `program` ("gnuplot", "dot") in the first folder of PATH that has it executable,
/// or nothing: tells "not installed" apart from "failed".
std::optional<std::string> find_program(const std::string& program);

/// Creates `dir` (and its parents) if needed and returns it; xg::IOError naming it on failure.
std::string ensure_output_dir(const std::string& dir);

}  // namespace xg::examples
