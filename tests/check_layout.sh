#!/usr/bin/env bash
# The repository's layout rules, checked (docs/architecture.md, "Layers"):
# - no source file in autograd/, nn/ or optim/ over 500 lines (one purpose per file);
# - dependencies point one way: autograd/ includes nothing of nn/ or optim/, nn/ and optim/
#   nothing of each other, and no library file includes tests/, examples/ or bench/;
# - nothing tracked refers to the design notes outside the repository.
# Usage: check_layout.sh <source folder>
set -euo pipefail
cd "$1"
failed=0
if [ "$(git ls-files 'autograd/*.cpp' | wc -l)" -eq 0 ]; then
  echo "check_layout: git lists no file of autograd/ in $1: the checks need a git checkout"
  exit 1
fi
while read -r lines file; do
  if [ "$lines" -gt 500 ]; then
    echo "check_layout: $file has $lines lines (at most 500 in autograd/, nn/, optim/: split it by purpose)"
    failed=1
  fi
done < <(git ls-files 'autograd/*.cpp' 'autograd/*.hpp' 'nn/*.cpp' 'nn/*.hpp' 'optim/*.cpp' 'optim/*.hpp' |
  xargs wc -l | grep -v ' total$')
forbid() {  # folder, include pattern, what it means
  local hits
  hits="$(git ls-files "$1/*.cpp" "$1/*.hpp" | xargs grep -nE "^#include <($2)/" || true)"
  if [ -n "$hits" ]; then
    echo "check_layout: $1/ includes $3:"
    echo "$hits"
    failed=1
  fi
}
forbid autograd 'nn|optim|tests|examples|bench' "a layer above it"
forbid nn 'optim|tests|examples|bench' "optim/ or a program"
forbid optim 'nn|tests|examples|bench' "nn/ or a program"
hits="$(git grep -nE '\.\./shared|(DESIGN|TOOLCHAIN|REFERENCE|STYLE)\.md' -- . ':!tests/check_layout.sh' || true)"
if [ -n "$hits" ]; then
  echo "check_layout: these refer to notes outside the repository (docs/ says it in the repository's own words):"
  echo "$hits"
  failed=1
fi
[ "$failed" -eq 0 ] && echo "check_layout: file sizes, include directions and references as the rules say"
exit "$failed"
