#!/usr/bin/env bash
# Resident memory of one shard under a sustained SIPp load: `callshard serve --shards 1` pinned
# to CPU 0, SIPp's built-in `uac` (INVITE, 180, 200, ACK, BYE) pinned to CPU 1, loopback only.
# Every 5 s it prints the server's VmRSS and its CPU ticks (utime+stime); at the end, SIPp's
# successful and failed calls and the server's final statistics line (retransmissions, 503s).
#
#   perf/rss.sh                                      20 000 calls/s for 60 s
#   RATE=6000 perf/rss.sh
#   CALLSHARD_BIN=/path/to/other/callshard RATE=6000 perf/rss.sh      another build, same load
#
# Environment: RATE (20000), SECONDS_RUN (60), SERVER_ARGS (more `serve` options), PORT (5070),
# UAC_PORT (5071), OUT (directory for server.log, sipp.out, rss.txt; default a temporary one).
set -euo pipefail
cd "$(dirname "$0")/.."

RATE="${RATE:-20000}"
SECONDS_RUN="${SECONDS_RUN:-60}"
PORT="${PORT:-5070}"
UAC_PORT="${UAC_PORT:-5071}"
BIN="${CALLSHARD_BIN:-target/release/callshard}"
OUT="${OUT:-$(mktemp -d)}"
mkdir -p "$OUT"
[[ -x "$BIN" ]] || cargo build --release --quiet

# shellcheck disable=SC2086 # SERVER_ARGS is a list of options
taskset -c 0 "$BIN" serve --listen "127.0.0.1:$PORT" --shards 1 --stats-interval 5 ${SERVER_ARGS:-} \
    2>"$OUT/server.log" &
SERVER=$!
trap 'kill -INT $SERVER 2>/dev/null || true' EXIT
sleep 1
(cd "$OUT" && exec taskset -c 1 sipp -sn uac "127.0.0.1:$PORT" -i 127.0.0.1 -p "$UAC_PORT" -r "$RATE" \
    -m $((RATE * SECONDS_RUN)) -buff_size 4194304 -nostdin -timeout $((SECONDS_RUN + 30))s -timeout_error \
    >sipp.out 2>&1) &
SIPP=$!

sample() {
    printf '%4s s  RSS %7d KiB  CPU %6d ticks\n' "$1" "$(awk '/VmRSS/ { print $2 }' "/proc/$SERVER/status")" \
        "$(awk '{ print $14 + $15 }' "/proc/$SERVER/stat")" | tee -a "$OUT/rss.txt"
}
start=$(date +%s)
while kill -0 "$SIPP" 2>/dev/null; do
    sample $(($(date +%s) - start))
    sleep 5
done
sample "end $(($(date +%s) - start))"
kill -INT "$SERVER"
wait "$SERVER" || true
trap - EXIT
awk '/Successful call|Failed call/ { line[$1 " " $2] = $NF } END { for (k in line) print k ": " line[k] }' \
    "$OUT/sipp.out"
grep '^final' "$OUT/server.log" || tail -1 "$OUT/server.log"
echo "logs in $OUT"
