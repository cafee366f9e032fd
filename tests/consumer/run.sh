#!/usr/bin/env bash
# Installs the built xgrad into a temporary prefix, then configures, builds and runs
# tests/consumer against it with find_package(xgrad): the path a user project takes.
# Given graph_fuzz, it also builds graph_fuzz's C++ reproductions the same way: programs that
# together draw every op (each must pass, as its graph did), and the minimal reproduction
# graph_fuzz --inject-bug prints for its first failure (it must fail, with the same diagnosis).
# Usage: run.sh <xgrad build dir> <source dir> [graph_fuzz]
set -euo pipefail
build="$1"
src="$2"
fuzz="${3:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
programs=()
if [ -n "$fuzz" ]; then
  mkdir -p "$work/programs"
  "$fuzz" --programs "$work/programs" --count 3000
  "$fuzz" --inject-bug --count 40 --quiet >"$work/injected.txt" || true
  awk '/^minimal reproduction/ { on = 1; next } on && /^graph_fuzz: / { exit } on { print }' "$work/injected.txt" \
    >"$work/programs/injected_bug.cpp"
  if ! grep -q 'buggy_square(v' "$work/programs/injected_bug.cpp"; then
    cat "$work/injected.txt"
    echo "run.sh: no minimal reproduction using buggy_square in graph_fuzz --inject-bug's output"
    exit 1
  fi
  programs=(-DXGRAD_GRAPH_PROGRAMS="$work/programs")
fi
cmake -S "$src/tests/consumer" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" "${programs[@]}" >/dev/null
cmake --build "$work/build"
"$work/build/consumer"
if [ -n "$fuzz" ]; then
  for program in "$work"/programs/graph_*.cpp; do
    name="$(basename "$program" .cpp)"
    if ! "$work/build/$name" >"$work/$name.txt" 2>&1; then
      cat "$work/$name.txt"
      echo "run.sh: $name (graph_fuzz's program of that seed) failed: run graph_fuzz --seed <seed> --count 1 to compare"
      exit 1
    fi
  done
  status=0
  "$work/build/injected_bug" >"$work/injected_run.txt" 2>&1 || status=$?
  if [ "$status" -ne 1 ] || ! grep -q "analytic is 0.5 x numerical" "$work/injected_run.txt"; then
    cat "$work/injected_run.txt"
    echo "run.sh: the printed reproduction of the injected bug did not fail as graph_fuzz reported (exit $status)"
    exit 1
  fi
  echo "run.sh: $(ls "$work"/programs/graph_*.cpp | wc -l) graph_fuzz programs built and passed; the injected bug's reproduction fails as reported"
fi
