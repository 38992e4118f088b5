#!/usr/bin/env bash
# User-space instructions per call of callshard serve and of the stateless Kamailio baseline,
# counted by valgrind's callgrind: the one figure of issue 9's comparison this VM's noise
# cannot move (CPU per call of one server swings by a third between runs here; see
# perf/signalling_cpu.md). The kernel's share (system calls, datagrams, wake-ups) is not
# counted: callgrind sees user space only.
#
# Each server runs twice under callgrind for the same SECONDS of SIPp's built-in `uac`, once
# at LOW and once at HIGH calls/s; instructions per call are the difference of the two runs'
# totals over the difference of their calls, so start-up and what a server does per second
# whatever the load (timers, statistics) cancel out. Every process of the server is counted
# (Kamailio forks; callshard is one). A run with a failed call or a retransmission (valgrind
# made the server too slow) is flagged: its count is not clean.
#
#   perf/instructions.sh                               # kamailio callshard callshard_ok
#   SERVERS="callshard callshard_poll" LOW=100 HIGH=300 perf/instructions.sh
#
# Servers: kamailio (perf/kamailio-stateless.cfg), callshard (--io uring, default route),
# callshard_ok (--route '*=ok': a 200 without the 180, the datagrams Kamailio sends),
# callshard_poll and callshard_poll_ok (--io poll). Loopback only; every process bounded by
# `timeout`.
#
# Environment: SERVERS ["kamailio callshard callshard_ok"], LOW [100], HIGH [300],
# SECONDS_EACH [10], PORT [5093], CALLSHARD_BIN [target/release/callshard], OUT_DIR [new /tmp dir].
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=perf/lib.sh
source perf/lib.sh

[[ $# -eq 0 ]] || { echo "instructions.sh: takes no arguments (settings are environment variables, see its header)" >&2; exit 2; }
SERVERS="${SERVERS:-kamailio callshard callshard_ok}"
LOW="${LOW:-100}"; HIGH="${HIGH:-300}"; SECONDS_EACH="${SECONDS_EACH:-10}"; PORT="${PORT:-5093}"
BIN="${CALLSHARD_BIN:-target/release/callshard}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/callshard-instructions.XXXXXX)}"
mkdir -p "$OUT_DIR"
need_tools instructions.sh valgrind sipp ss timeout
[[ " $SERVERS " == *" kamailio "* ]] && need_tools instructions.sh kamailio
(( HIGH > LOW )) || { echo "instructions.sh: HIGH must be above LOW" >&2; exit 2; }

# One run of server $1 at $2 calls/s; prints "instructions calls failed retransmissions".
run_one() {
    local name=$1 rate=$2 dir="$OUT_DIR/$1.$2"
    rm -rf "$dir"; mkdir -p "$dir"
    # shellcheck disable=SC2046 # the command is split into words on purpose
    timeout -k 5 "$((SECONDS_EACH + 90))" valgrind --tool=callgrind --trace-children=yes \
        --callgrind-out-file="$dir/callgrind.%p" $(server_cmd instructions.sh "$name" "$PORT" "$BIN") >"$dir/server.log" 2>&1 &
    local srv=$!
    # Valgrind starts slowly: wait for the port, then for Kamailio's workers to fork. A server
    # stopped before it handles signals would die without writing its counts.
    local tries=0
    until ss -Hlun "sport = :$PORT" | grep -q . || (( ++tries > 240 )); do sleep 0.5; done
    sleep 3
    timeout -k 2 "$((SECONDS_EACH + 60))" sipp -sn uac "127.0.0.1:$PORT" -i 127.0.0.1 -r "$rate" \
        -m "$((rate * SECONDS_EACH))" -timeout "$((SECONDS_EACH + 50))s" -nostdin >"$dir/sipp.log" 2>&1 || true
    # One SIGTERM to the server's main process (Kamailio's stops its children): a second
    # one, as the `timeout` wrapper would forward, can end it before callgrind writes.
    pkill -TERM -P "$srv" 2>/dev/null || true
    wait "$srv" 2>/dev/null || true
    local total=0 f count
    for f in "$dir"/callgrind.*; do
        count="$(sed -n 's/^summary: *//p' "$f" | head -1)"
        # A process that ended without writing its counts makes the run's total meaningless.
        [[ -n $count ]] || { echo "instructions.sh: no count in $f (the process died unflushed)" >&2; total="-"; break; }
        total=$((total + count))
    done
    local ok failed retrans
    ok="$(grep -E '^ *Successful call' "$dir/sipp.log" | awk -F'|' '{gsub(/ /, "", $3); print $3}' | tail -1)"
    failed="$(grep -E '^ *Failed call' "$dir/sipp.log" | awk -F'|' '{gsub(/ /, "", $3); print $3}' | tail -1)"
    # The column after each message line's count (an E-RTD1 mark may stand before it).
    retrans="$(awk '/ Messages +Retrans/ { on = 1; next } /Test Terminated/ { on = 0 }
        on && /---------->|<----------/ { for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+$/) { r += $(i + 1); break } }
        END { print r + 0 }' "$dir/sipp.log")"
    echo "$total ${ok:-0} ${failed:--} $retrans"
}

printf 'server\tinstructions_per_call\tcalls_low\tcalls_high\tfailed\tretransmissions\n' >"$OUT_DIR/results.tsv"
for s in $SERVERS; do
    read -r i1 c1 f1 r1 < <(run_one "$s" "$LOW")
    read -r i2 c2 f2 r2 < <(run_one "$s" "$HIGH")
    per_call=$(awk -v a="$i1" -v b="$i2" -v x="$c1" -v y="$c2" 'BEGIN { if (a != "-" && b != "-" && y > x) printf "%.0f", (b - a) / (y - x); else print "-" }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$s" "$per_call" "$c1" "$c2" "$f1/$f2" "$((r1 + r2))" | tee -a "$OUT_DIR/results.tsv"
done
echo "(user-space instructions per call: the difference of a ${HIGH}/s and a ${LOW}/s run of ${SECONDS_EACH} s; runs in $OUT_DIR)"
