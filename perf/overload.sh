#!/usr/bin/env bash
# Signalling overload: one `serve` shard held to QUOTA_PCT % of a core (a cgroup quota over
# 10 ms periods stands in for a slower core, so that three times its capacity stays within
# what one `callshard load` core can offer), offered BASE calls/s, then each multiple in
# STEPS of it, then BASE/2 again, all against the same server process. Per step: calls
# started and answered, goodput (answered per second) as a share of the first step's, failed
# calls by status (503: shed; anything else: a call the server let down), the server's RSS,
# and how many INVITEs it shed. The last step shows how soon it is clean again.
#
#   QUOTA_PCT=25 BASE=8000 perf/overload.sh
#
# Environment: QUOTA_PCT [25], BASE [8000] (the quota's clean rate: find it with STEPS="1"
# and rising BASE), STEPS ["1 2 3 0.5"], SECONDS_EACH [8], PORT [5098], SERVE_ARGS [""],
# GENERATOR [callshard] (it speaks RFC 7339: the server asks it on the Via of its responses
# to hold back a share of new calls, which it does not send and reports as held back) or
# sipp (its built-in `uac`, which cannot: a 503 counts as its "unexpected message", any other
# failure is a call the server let down),
# CALLSHARD_BIN [target/release/callshard], OUT_DIR [a new /tmp dir]. Root (cgroup);
# loopback only; every process bounded by `timeout`. Both processes run at nice -10 so
# that builds beside them do not take the quota's share.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=perf/lib.sh
source perf/lib.sh
QUOTA_PCT="${QUOTA_PCT:-25}"; BASE="${BASE:-8000}"; STEPS="${STEPS:-1 2 3 0.5}"
SECONDS_EACH="${SECONDS_EACH:-8}"; PORT="${PORT:-5098}"; SERVE_ARGS="${SERVE_ARGS:-}"
BIN="${CALLSHARD_BIN:-target/release/callshard}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/callshard-overload.XXXXXX)}"
mkdir -p "$OUT_DIR"
need_tools overload.sh taskset timeout python3 sipp
[[ -x $BIN ]] || { echo "overload.sh: build first (cargo build --release)" >&2; exit 1; }
procs="$(make_cgroup callshard-overload-sip "$QUOTA_PCT" 10000)"

# shellcheck disable=SC2086
nice -n -10 taskset -c 0 timeout 600 "$BIN" serve --listen 127.0.0.1:$PORT --shards 1 \
    --stats-interval 1 $SERVE_ARGS 2>"$OUT_DIR/serve.log" &
srv=$!
sleep 0.3
server_pid="$(server_pids "$srv")"
echo "$server_pid" >"$procs"
sleep 0.5
# generate RATE N: one step's load; leaves its summary as the last line of load_N.out, as
# `callshard load --json` prints it (SIPp's final statistics are turned into the same shape).
generate() {
    local rate=$1 n=$2
    if [[ ${GENERATOR:-callshard} == sipp ]]; then
        (cd "$OUT_DIR" && nice -n -10 taskset -c 1 timeout $((SECONDS_EACH + 60)) sipp -sn uac "127.0.0.1:$PORT" \
            -i 127.0.0.1 -r "$rate" -m $((rate * SECONDS_EACH)) -nostdin -buff_size 33554432 \
            -trace_stat -stf "sipp_$n.csv" -timeout $((SECONDS_EACH + 50))s >"load_$n.err" 2>&1) || true
        python3 - "$OUT_DIR/sipp_$n.csv" >"$OUT_DIR/load_$n.out" <<'PY'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=";"))
v = dict(zip(rows[0], rows[-1]))
ok, failed, shed = int(v["SuccessfulCall(C)"]), int(v["FailedCall(C)"]), int(v["FailedUnexpectedMessage(C)"])
other = {k[6:-3]: int(x) for k, x in v.items() if k.startswith("Failed") and k.endswith("(C)")
         and k not in ("FailedCall(C)", "FailedUnexpectedMessage(C)") and int(x)}
print(json.dumps({"started": ok + failed, "answered": ok, "failed": failed, "failures": dict({"503": shed}, **other)}))
PY
    else
        nice -n -10 taskset -c 1 timeout $((SECONDS_EACH + 60)) "$BIN" load --target 127.0.0.1:$PORT --shards 1 \
            --rate "$rate" --duration "$SECONDS_EACH" --json >"$OUT_DIR/load_$n.out" 2>"$OUT_DIR/load_$n.err" || true
    fi
}

echo "one shard held to $QUOTA_PCT % of a core; base $BASE calls/s; $SECONDS_EACH s a step; logs in $OUT_DIR"
n=0
for step in $STEPS; do
    n=$((n + 1))
    rate="$(python3 -c "print(int($BASE * $step))")"
    generate "$rate" "$n"
    rss="$(awk '/VmRSS/ { print $2 }' "/proc/$server_pid/status")"
    shed="$(grep -o 'overload:shed=[0-9]*' "$OUT_DIR/serve.log" | tail -1 | cut -d= -f2)"
    echo "$step $rate $rss ${shed:-0} $(tail -1 "$OUT_DIR/load_$n.out")" >>"$OUT_DIR/steps"
    sleep 2
done
kill -TERM "$srv"; wait "$srv" 2>/dev/null || true
python3 - "$OUT_DIR/steps" "$SECONDS_EACH" <<'PY'
import json, sys
rows = [line.split(" ", 4) for line in open(sys.argv[1])]
seconds = float(sys.argv[2])
print("  step  offered/s  started  answered  goodput/s  of base  held back  failed: 503 / other   RSS MiB  shed so far")
base = None
for step, rate, rss, shed, text in rows:
    j = json.loads(text)
    goodput = j["answered"] / seconds
    base = base or goodput
    f = j["failures"]; shed503 = f.get("503", 0); other = j["failed"] - shed503
    print("%5sx %10s %8d %9d %10.0f %7.0f%% %10d %11d / %-6d %8.0f %12s" % (
        step, rate, j["started"], j["answered"], goodput, 100 * goodput / base, j.get("held_back", 0), shed503, other,
        int(rss) / 1024, shed))
PY
