#!/usr/bin/env bash
# Profiles one loaded callshard shard: `callshard serve --shards 1` pinned to CPU 0, SIPp's
# built-in `uac` at RATE calls/s pinned to CPU 1, `perf record --call-graph dwarf` on the
# server for RECORD_SECONDS in the middle of the load; then prints where the server's CPU went, by
# layer (perf/profile_breakdown.py), and its hottest symbols. Loopback only; every process is
# bounded by `timeout`.
#
#   perf/profile.sh                          # 4000 calls/s, io_uring, default route
#   RATE=10000 IO=poll ROUTE='*=ok' perf/profile.sh
#   SERVER=kamailio perf/profile.sh          # perf/kamailio-stateless.cfg, every process of it
#   GENERATOR=callshard RATE=30000 perf/profile.sh   # `callshard load` as the generator
#
# Environment: GENERATOR [sipp] or callshard, RATE [4000], IO [uring], ROUTE [] (a --route value), SECONDS_LOAD [20] of SIPp
# load, RECORD_SECONDS [8] recorded (not SECONDS: bash counts that one itself), FREQ [999] samples/s, PORT [5072], OUT_DIR [a new /tmp dir],
# CALLSHARD_BIN [target/release/callshard].
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=perf/lib.sh
source perf/lib.sh

RATE="${RATE:-4000}"; IO="${IO:-uring}"; ROUTE="${ROUTE:-}"; SECONDS_LOAD="${SECONDS_LOAD:-20}"
SECONDS_REC="${RECORD_SECONDS:-8}"; FREQ="${FREQ:-999}"; PORT="${PORT:-5072}"
BIN="${CALLSHARD_BIN:-target/release/callshard}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/callshard-profile.XXXXXX)}"
mkdir -p "$OUT_DIR"
need_tools profile.sh perf sipp taskset timeout
SERVER="${SERVER:-callshard}"
case "$SERVER" in
    callshard)
        [[ -x $BIN ]] || { echo "profile.sh: build first (cargo build --release)" >&2; exit 1; }
        args=(serve --listen "127.0.0.1:$PORT" --shards 1 --stats-interval 0 --io "$IO")
        [[ -n $ROUTE ]] && args+=(--route "$ROUTE")
        cmd=("$BIN" "${args[@]}") ;;
    kamailio) read -ra cmd <<<"$(kamailio_cmd "$PORT")" ;;
    *) echo "profile.sh: SERVER is callshard or kamailio" >&2; exit 2 ;;
esac
timeout -k 2 "$((SECONDS_LOAD + 30))" taskset -c 0 "${cmd[@]}" >"$OUT_DIR/server.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
sleep 0.5
pid="$(server_pids "$server")"
if [[ ${GENERATOR:-sipp} == callshard ]]; then
    # shellcheck disable=SC2086
    timeout -k 2 "$((SECONDS_LOAD + 50))" taskset -c 1 "$BIN" load --target "127.0.0.1:$PORT" --rate "$RATE" \
        --duration "$SECONDS_LOAD" --ramp-ms 1000 --json >"$OUT_DIR/sipp.out" 2>&1 &
else
    timeout -k 2 "$((SECONDS_LOAD + 20))" taskset -c 1 sipp -sn uac "127.0.0.1:$PORT" -i 127.0.0.1 -bind_local \
        -r "$RATE" -m "$((RATE * SECONDS_LOAD))" -timeout "$((SECONDS_LOAD + 10))s" -timeout_error -nostdin \
        -buff_size 4194304 >"$OUT_DIR/sipp.out" 2>&1 &
fi
sipp=$!
sleep "$(( (SECONDS_LOAD - SECONDS_REC) / 2 ))"
perf record -q -F "$FREQ" --call-graph dwarf,16384 -p "$pid" -o "$OUT_DIR/perf.data" -- sleep "$SECONDS_REC" 2>"$OUT_DIR/perf.err"
wait "$sipp" || true
kill -TERM "$server"; wait "$server" || true
trap - EXIT
echo "server: ${cmd[*]:1}; ${GENERATOR:-sipp} at $RATE calls/s; $(grep -E 'Successful call|Failed call|^\{' "$OUT_DIR/sipp.out" | tr -s ' ' | tr '\n' ';')"
grep '^final:' "$OUT_DIR/server.log" || true
perf script -i "$OUT_DIR/perf.data" 2>/dev/null | perf/profile_breakdown.py | tee "$OUT_DIR/breakdown.txt"
echo "hottest symbols (self time):"
perf report -i "$OUT_DIR/perf.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null \
    | grep -v '^#' | grep -v '^$' | head -25
echo "(perf data and logs in $OUT_DIR)"
