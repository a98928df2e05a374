#!/usr/bin/env bash
# Host-compiled C unit tests for native/: every native/tests/test_*.c is linked against all of
# native/src (portable and scalar paths; the wasm SIMD files compile to nothing on the host) and run.
# Writes .reports/native/summary.json with pass/fail counts for `npm test`'s summary line.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/native/tests/build"
rep="$root/.reports/native"
mkdir -p "$out" "$rep"
cc="${CC:-cc}"
mapfile -t srcs < <(cd "$root" && find native/src -name '*.c' | sort)
passed=0; failed=0
cd "$root"
for t in native/tests/test_*.c; do
  [ -e "$t" ] || continue
  name="$(basename "$t" .c)"
  if ! "$cc" -std=c11 -O2 -g -Wall -Wextra -Wno-unused-parameter -Werror=implicit-function-declaration \
      -D_GNU_SOURCE -Inative/include -Inative/tests "$t" "${srcs[@]}" -o "$out/$name" -lm -lpthread; then
    echo "native: $name: compile FAILED"; failed=$((failed+1)); continue
  fi
  # Each test binary prints 'N passed, M failed' as its last line and exits non-zero on failure.
  log="$out/$name.log"
  if "$out/$name" > "$log" 2>&1; then st=0; else st=$?; fi
  cat "$log"
  line="$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)"
  p="$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')"; f="$(echo "$line" | sed -E 's/.*, ([0-9]+) failed.*/\1/')"
  [ -n "$line" ] || { p=0; f=1; }
  [ "$st" -eq 0 ] || [ "$f" -gt 0 ] || f=1
  passed=$((passed+p)); failed=$((failed+f))
done
echo "{\"passed\": $passed, \"failed\": $failed}" > "$rep/summary.json"
echo "native: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
