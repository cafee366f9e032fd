#!/usr/bin/python3
"""The README's output blocks are what the code prints.

A block marked in README.md with a line `<!-- output: BINARY ARGS... -->` right before its
```-fence is checked against the output of build/tests/BINARY ARGS (the `[.print]` tests run the
README's examples). Lines `...` in the block stand for any number of lines; every other line
must appear in the output, the block's runs of lines contiguous and in order. Numbers below
1e-8 written in exponent form (5.55e-11, rounding noise of central differences) compare equal.

    check_readme_outputs.py README.md BUILD/tests
"""
import re
import shlex
import subprocess
import sys

TINY = re.compile(r"\b\d\.\d+e-(?:0?9|[1-9]\d)\b")


def normal(line):
    return TINY.sub("<tiny>", line.rstrip())


def blocks(readme):
    lines = open(readme, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        m = re.fullmatch(r"<!-- output: (.+) -->", line.strip())
        if not m:
            continue
        if i + 1 >= len(lines) or not lines[i + 1].startswith("```"):
            yield i + 1, m.group(1), None
            continue
        end = next(j for j in range(i + 2, len(lines)) if lines[j].startswith("```"))
        yield i + 1, m.group(1), lines[i + 2:end]


def find_run(run, output, start):
    for k in range(start, len(output) - len(run) + 1):
        if output[k:k + len(run)] == run:
            return k + len(run)
    return -1


def main():
    readme, bin_dir = sys.argv[1], sys.argv[2]
    failed = checked = 0
    for line_no, command, block in blocks(readme):
        if block is None:
            print(f"README.md:{line_no}: an output marker must stand right before a ``` block")
            failed += 1
            continue
        argv = shlex.split(command)
        result = subprocess.run([f"{bin_dir}/{argv[0]}"] + argv[1:], capture_output=True, text=True)
        output = [normal(l) for l in (result.stdout + result.stderr).split("\n")]
        if result.returncode != 0:
            print(f"README.md:{line_no}: `{command}` exited with {result.returncode}")
            failed += 1
            continue
        runs, run = [], []
        for l in block:
            if l.strip() == "...":
                runs.append(run)
                run = []
            else:
                run.append(normal(l))
        runs.append(run)
        if not any(runs):
            print(f"README.md:{line_no}: the block shows nothing to compare")
            failed += 1
            continue
        at = 0
        for r in (r for r in runs if r):
            found = find_run(r, output, at)
            if found < 0:
                print(f"README.md:{line_no}: the block shows lines that `{command}` does not print in this order:")
                print("  first of them: " + r[0])
                print("  the program printed:\n    " + "\n    ".join(output[:80]))
                failed += 1
                break
            at = found
        checked += 1
    print(f"check_readme_outputs: {checked} output blocks of {readme} checked, {failed} differ")
    return 1 if failed or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
