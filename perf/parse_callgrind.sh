#!/usr/bin/env bash
# Instructions per parse (valgrind's callgrind), a repeatable companion to the timed
# bench on a shared machine: benches/parse.rs's functions run under --profile-time, only
# the function named is counted, and the count is divided by its number of calls.
#
# Usage: perf/parse_callgrind.sh [message]   (invite_sdp, ok_200 or wsinv; default invite_sdp)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
message="${1:-invite_sdp}"
bin="$(cargo bench --bench parse --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -1)"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

echo "instructions per call, $message (callgrind, $bin)"
# bench row = bench function
for row in callshard_index=callshard_index callshard_validated=callshard_validated \
    callshard=callshard_parse callshard_typed=callshard_typed; do
    f="${row#*=}"
    valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect="parse::$f" \
        "$bin" --bench --profile-time 1 "^$message/${row%%=*}\$" >/dev/null 2>&1
    # Total collected events, and the calls made to the function (its id is named once).
    awk -v f="parse::$f" -v row="${row%%=*}" '
        /^summary:/ { total = $2 }
        /^c?fn=\(/ {
            open = index($0, "(")
            id = substr($0, open + 1, index($0, ")") - open - 1)
            if (substr($0, index($0, ") ") + 2) == f) want = id
            pending = /^cfn=/ && id == want
        }
        /^calls=/ { if (pending) { split($0, c, "[= ]"); calls += c[2] } pending = 0 }
        END { printf "%-20s %8.0f\n", row, calls ? total / calls : 0 }
    ' "$out"
done
