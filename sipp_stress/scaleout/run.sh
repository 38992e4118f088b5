#!/usr/bin/env bash
# Scale-out behind Kamailio: NODES one-shard `callshard serve` nodes on 127.0.0.2,
# 127.0.0.3, ... and Kamailio's dispatcher in front (kamailio.cfg: Call-ID hash, OPTIONS
# probing, failover on 408/5xx). SIPp's stress_test.xml places CALLS calls through Kamailio.
# Then one node is killed (SIGKILL) and
# CALLS more calls go through: they must all complete on the others. Each node's share is
# read from its Prometheus metrics (`--metrics`, callshard_calls_total{outcome="answered"}). Exit 0 when both
# rounds completed every call, every node took a share of the first, and every node left
# took a share of the second.
#
#   sipp_stress/scaleout/run.sh
#   NODES=4 CALLS=2000 RATE=500 sipp_stress/scaleout/run.sh
#
# Environment: NODES [3], CALLS [300], RATE [150], NODE_PORT [5060], METRICS_PORT [9090]
# (each node's, on its own address), KAM_PORT [5062],
# SIPP_PORT [5070], KILL [2] (which node to kill, 1-based), CALLSHARD_BIN
# [target/release/callshard], OUT_DIR [a new /tmp dir]. Loopback only; every process is
# bounded by `timeout` and stopped on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
NODES="${NODES:-3}"; CALLS="${CALLS:-300}"; RATE="${RATE:-150}"; KILL="${KILL:-2}"
NODE_PORT="${NODE_PORT:-5060}"; METRICS_PORT="${METRICS_PORT:-9090}"; KAM_PORT="${KAM_PORT:-5062}"; SIPP_PORT="${SIPP_PORT:-5070}"
BIN="${CALLSHARD_BIN:-target/release/callshard}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/callshard-scaleout.XXXXXX)}"
mkdir -p "$OUT_DIR"
for tool in kamailio sipp timeout; do
    command -v "$tool" >/dev/null || { echo "scaleout: '$tool' not found" >&2; exit 1; }
done
[[ -x $BIN ]] || { echo "scaleout: no $BIN (cargo build --release)" >&2; exit 1; }
(( KILL >= 1 && KILL <= NODES && NODES >= 2 )) || { echo "scaleout: need NODES >= 2 and 1 <= KILL <= NODES" >&2; exit 2; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

node_ip() { echo "127.0.0.$(($1 + 1))"; }

: >"$OUT_DIR/dispatcher.list"
for i in $(seq 1 "$NODES"); do
    timeout 300 "$BIN" serve --listen "$(node_ip "$i"):$NODE_PORT" --shards 1 --stats-interval 1 \
        --metrics "$(node_ip "$i"):$METRICS_PORT" 2>"$OUT_DIR/node$i.log" &
    pids+=($!)
    echo "1 sip:$(node_ip "$i"):$NODE_PORT" >>"$OUT_DIR/dispatcher.list"
done
timeout 300 kamailio -f sipp_stress/scaleout/kamailio.cfg -DD -E -A "KAM_LISTEN=udp:127.0.0.1:$KAM_PORT" \
    -A "DS_LIST=\"$OUT_DIR/dispatcher.list\"" >"$OUT_DIR/kamailio.log" 2>&1 &
pids+=($!)
sleep 2

# answered I: calls node I has answered so far, from its /metrics (0 once it is gone).
answered() {
    python3 - "http://$(node_ip "$1"):$METRICS_PORT/metrics" <<'PY'
import re, sys, urllib.request
try:
    text = urllib.request.urlopen(sys.argv[1], timeout=2).read().decode()
except OSError:
    print(0); sys.exit()
pattern = r'^callshard_calls_total\{[^}]*outcome="answered"[^}]*\} (\d+)'
print(sum(int(v) for v in re.findall(pattern, text, re.M)))
PY
}

# round NAME: CALLS calls through Kamailio; prints SIPp's successful and failed counts.
round() {
    local name=$1
    (cd "$OUT_DIR" && timeout 120 sipp "127.0.0.1:$KAM_PORT" -sf "$OLDPWD/sipp_stress/scenarios/stress_test.xml" \
        -i 127.0.0.1 -p "$SIPP_PORT" -r "$RATE" -m "$CALLS" -nostdin -trace_stat -stf "$name.csv" \
        -timeout 100s >"$name.out" 2>&1) || true
    sleep 1.5
    python3 - "$OUT_DIR/$name.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=";"))
head, last = rows[0], rows[-1]
print(last[head.index("SuccessfulCall(C)")], last[head.index("FailedCall(C)")])
PY
}

shares() { for i in $(seq 1 "$NODES"); do echo -n "$(answered "$i") "; done; echo; }

echo "$NODES nodes on $(node_ip 1)-$(node_ip "$NODES"):$NODE_PORT behind Kamailio on 127.0.0.1:$KAM_PORT; logs in $OUT_DIR"
read -r ok1 failed1 < <(round first)
read -ra before < <(shares)
echo "round 1: $ok1 calls completed, $failed1 failed; calls per node: ${before[*]}"
# The node itself, not only its `timeout` wrapper.
pkill -KILL -P "${pids[$((KILL - 1))]}" || true
kill -KILL "${pids[$((KILL - 1))]}" 2>/dev/null || true
echo "node $KILL ($(node_ip "$KILL")) killed"
read -r ok2 failed2 < <(round second)
read -ra after < <(shares)
echo "round 2: $ok2 calls completed, $failed2 failed; calls per node: ${after[*]} (node $KILL gone)"
pass=1
(( ok1 == CALLS && failed1 == 0 && ok2 == CALLS && failed2 == 0 )) || pass=0
for i in $(seq 1 "$NODES"); do
    (( before[i - 1] > 0 )) || pass=0
    # The killed node answers no more; the others took its calls.
    if (( i != KILL )); then (( after[i - 1] > before[i - 1] )) || pass=0; fi
done
echo "INVITEs that failed over to the next node: $(grep -c 'next node' "$OUT_DIR/kamailio.log" || true)"
if (( pass )); then echo "scaleout: PASS"; else echo "scaleout: FAIL"; exit 1; fi
