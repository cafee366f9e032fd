#!/usr/bin/env bash
# Installs the built xgrad into a temporary prefix, then configures, builds and runs
# tests/consumer against it with find_package(xgrad): the path a user project takes.
# Usage: run.sh <xgrad build dir> <source dir>
set -euo pipefail
build="$1"
src="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/consumer" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build"
"$work/build/consumer"
