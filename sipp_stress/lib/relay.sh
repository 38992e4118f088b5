# shellcheck shell=bash
# `callshard relay` between SIPp and the server, for run.sh under LOSS=PERCENT (sourced after
# common.sh). SIPp sends to the relay (RELAY_PORT) and writes `localhost:UAC_PORT` in its Via
# and Contact (-i localhost); the relay talks to the server from 127.0.0.2:UAC_PORT. callshard
# answers to the source address with the Via's port and sends its own requests to the source
# when the Contact names no IP address, so every datagram both ways passes the relay
# (README, Testing under loss).
#
#   LOSS        percent dropped each way (unset: no relay)
#   DUPLICATE   percent duplicated each way, default 1
#   REORDER     percent reordered each way, default 1
#   SEED        the relay's seed; default: the scenario's seed in tests/serve_sipp_lossy.rs
#               (timeout_noack always keeps its own)
#   RELAY_PORT  where SIPp sends, default UAC_PORT + 1

LOSS="${LOSS:-}"
DUPLICATE="${DUPLICATE:-1}"
REORDER="${REORDER:-1}"
SEED="${SEED:-}"
RELAY_PORT="${RELAY_PORT:-$((UAC_PORT + 1))}"
RELAY_PID=""

# The seed tests/serve_sipp_lossy.rs gives each scenario: each drops one of the first six
# datagrams both ways; timeout_noack's only what its timing checks survive (its XML says).
scenario_seed() {
    case "$1" in
        basic_call) echo 17 ;; call_rejection) echo 21 ;; call_cancel) echo 28 ;;
        options_ping) echo 37 ;; hold_resume) echo 39 ;; early_media) echo 62 ;;
        multiple_codecs) echo 80 ;; forking_test) echo 115 ;; stress_test) echo 122 ;;
        timeout_test) echo 153 ;; timeout_noack) echo 245 ;; *) echo 1 ;;
    esac
}

# start_relay SCENARIO DIR MAX_SECONDS: the relay in the background, counters to DIR/relay.txt.
start_relay() {
    local name=$1 dir=$2 max_s=$3 seed=${SEED:-$(scenario_seed "$1")}
    # timeout_noack survives only the drops of its own seed (scenarios/timeout_noack.xml).
    [[ "$name" == timeout_noack ]] && seed=$(scenario_seed "$name")
    [[ -z "$(udp_port_owner "$RELAY_PORT")" ]] || die "UDP port $RELAY_PORT (RELAY_PORT) is in use"
    timeout -k 5 "$((max_s + 5))" "$CALLSHARD_BIN" relay --listen "$SERVER_IP:$RELAY_PORT" \
        --target "$SERVER_ADDR" --bind "127.0.0.2:$UAC_PORT" --drop "$LOSS" \
        --duplicate "$DUPLICATE" --reorder "$REORDER" --seed "$seed" --duration "$max_s" \
        >"$dir/relay.txt" 2>"$dir/relay.err" &
    RELAY_PID=$!
    local _
    for _ in $(seq 1 50); do
        grep -q "callshard relay:" "$dir/relay.err" 2>/dev/null && return 0
        kill -0 "$RELAY_PID" 2>/dev/null || { cat "$dir/relay.err" >&2; die "the relay exited at start"; }
        sleep 0.1
    done
    die "the relay did not start"
}

# stop_relay: SIGTERM; it writes its counters and exits.
stop_relay() {
    [[ -n "$RELAY_PID" ]] || return 0
    kill -TERM "$RELAY_PID" 2>/dev/null || true
    wait "$RELAY_PID" || true
    RELAY_PID=""
}

# relay_summary DIR: "dropped U/D dup U/D reord U/D" (toward the server / toward SIPp).
relay_summary() {
    awk '/^relay to-/ { for (i = 3; i <= NF; i++) { split($i, kv, "="); v[$2, kv[1]] = kv[2] } }
        END { printf "%s/%s %s/%s %s/%s", v["to-server:", "dropped"], v["to-client:", "dropped"],
              v["to-server:", "duplicated"], v["to-client:", "duplicated"],
              v["to-server:", "reordered"], v["to-client:", "reordered"] }' "$1/relay.txt"
}
