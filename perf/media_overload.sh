#!/usr/bin/env bash
# Media overload: one shard echoing G.711 while held to a share of a core by a cgroup (v1 `cpu`
# or v2 `cpu.max`), offered its clean rate and then twice that; does it keep forwarding at its
# capacity and drop the excess, or collapse? The quota stands in for a smaller core, so that a
# 2x overload stays within what one load core can send here (about 250 000 packets/s).
#
# Usage: perf/media_overload.sh   (root; needs a cgroup cpu controller)
# Environment: QUOTA_PCT [40], CALLS [500], RATES ["40000 60000 80000"], OVER [2], SECONDS_EACH [4]
set -euo pipefail
cd "$(dirname "$0")/.."
QUOTA_PCT="${QUOTA_PCT:-40}"; CALLS="${CALLS:-500}"; RATES="${RATES:-40000 60000 80000}"
OVER="${OVER:-2}"; SECONDS_EACH="${SECONDS_EACH:-4}"; PORT=5097
BIN="${CALLSHARD_BIN:-target/release/callshard}"
[[ -x $BIN ]] || { echo "media_overload.sh: build first (cargo build --release)" >&2; exit 1; }

# shellcheck source=perf/lib.sh
source perf/lib.sh
procs="$(make_cgroup callshard-overload "$QUOTA_PCT")"

# One run at RATE: prints "rate achieved received_per_s loss_pct p50_us p99_us".
run() {
    local rate=$1
    taskset -c 0 "$BIN" serve --listen 127.0.0.1:$PORT --shards 1 --media echo --rtp-ports 20000-39999 \
        --stats-interval 0 --media-timeout 0 2>/dev/null &
    local srv=$!
    echo "$srv" >"$procs"
    sleep 0.5
    local json
    json="$(taskset -c 1 "$BIN" rtp-load --target 127.0.0.1:$PORT --calls "$CALLS" --rate "$rate" \
        --duration "$SECONDS_EACH" --warmup 1 --json 2>/dev/null | tail -1)"
    kill -TERM "$srv"; wait "$srv" 2>/dev/null || true
    python3 -c '
import json, sys
j = json.loads(sys.argv[1]); d = float(sys.argv[2]); r = j["rtt_us"]
row = (sys.argv[3], j["achieved_pps"], j["received"] / d, j["loss_pct"], r["p50"], r["p99"])
print("%8s %9d %11.0f %7.2f %9.0f %9.0f" % row)
' "$json" "$SECONDS_EACH" "$rate"
}

echo "one shard held to $QUOTA_PCT % of a core, $CALLS streams"
echo "    rate  achieved  echoed/s    loss%   p50 µs    p99 µs"
for rate in $RATES; do run "$rate"; done
echo "overload: $OVER x each rate"
for rate in $RATES; do run $((rate * OVER)); done
