#!/usr/bin/env bash
# Instructions per call in the library (valgrind's callgrind), the repeatable companion of
# `cargo bench --bench call_path` on a shared machine: only what runs inside the bench's
# `core_feed` and `core_timer` (the endpoint, the media plane and serve's policy) is counted,
# not the bench building its datagrams. Prints instructions per call, then the allocations
# per call the bench's counting allocator saw (second half of the calls).
#
# Usage: CALLS=40000 perf/call_path_callgrind.sh [callgrind output file]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
calls="${CALLS:-40000}"
bin="$(cargo bench --bench call_path --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -1)"
out="${1:-$(mktemp)}"
[ -n "${1:-}" ] || trap 'rm -f "$out"' EXIT

line="$(CALLS="$calls" valgrind --tool=callgrind --callgrind-out-file="$out" \
    --toggle-collect='call_path::core_*' "$bin" --bench 2>/dev/null)"
total="$(sed -n 's/^summary: *//p' "$out")"
echo "$line"
awk -v t="$total" -v n="$calls" 'BEGIN { printf "library instructions per call: %.0f (%d calls, %s in all)\n", t / n, n, t }'
