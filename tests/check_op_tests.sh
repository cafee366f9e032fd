#!/usr/bin/env bash
# Every op of the catalogue has its test case: a TEST_CASE tagged [op:<name>] in the test file of
# the op's family (autograd/ops/shape -> tests/autograd/ops/shape_test.cpp, binary
# autograd_ops_shape_test). Fails naming each op without one, each tag naming no op, and each
# function an op family's header declares that no catalogue entry's signature names.
# Usage: check_op_tests.sh <folder of the test binaries> <graph_fuzz> <source folder>
set -euo pipefail
bin="$1"
fuzz="$2"
src="$3"
missing=0
# every Tensor-returning function of the family headers appears in some entry's call signature
table="$("$fuzz" --ops-table)"
for header in "$src"/autograd/ops/*.hpp "$src"/autograd/broadcast.hpp "$src"/nn/loss.hpp; do
  [ "$(basename "$header")" = op_info.hpp ] && continue
  for fn in $(grep -oE '^Tensor [a-z_0-9]+\(' "$header" | sed 's/^Tensor //; s/($//' | sort -u); do
    if ! grep -qE "[\`:. ]$fn\(" <<<"$table"; then
      echo "check_op_tests: ${header#"$src"/} declares $fn, but no entry of the op catalogue names it in its signature (docs/adding-an-op.md)"
      missing=1
    fi
  done
done
declare -A tagged
while read -r name family sample; do
  test="$bin/${family//\//_}_test"
  if [ ! -x "$test" ]; then
    echo "check_op_tests: $name: its family $family has no test binary $test"
    missing=1
    continue
  fi
  if [ -z "${tagged[$test]+x}" ]; then
    # Catch2 v2 exits with the number of tags it listed
    tagged[$test]="$({ "$test" --list-tags || true; } | { grep -o '\[op:[a-z0-9_]*\]' || true; } | sort -u | tr '\n' ' ')"
  fi
  if [[ " ${tagged[$test]} " != *" [op:$name] "* ]]; then
    echo "check_op_tests: $name ($family.cpp, drawn as $sample) has no test case tagged [op:$name] in $(basename "$test")"
    missing=1
  fi
done < <("$fuzz" --list-ops || echo "__list_ops_failed__ - -")
names=" $("$fuzz" --list-ops | cut -d' ' -f1 | tr '\n' ' ') "
for test in "${!tagged[@]}"; do
  read -r -a tags <<<"${tagged[$test]}"
  for tag in "${tags[@]}"; do
    op="${tag#\[op:}"
    op="${op%\]}"
    if [[ "$names" != *" $op "* ]]; then
      echo "check_op_tests: $(basename "$test") tags [op:$op], which is not in the op catalogue"
      missing=1
    fi
  done
done
if [ "$missing" -eq 0 ]; then
  echo "check_op_tests: all $(wc -w <<<"$names") ops of the catalogue have a tagged test case"
fi
exit "$missing"
