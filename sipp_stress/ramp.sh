#!/usr/bin/env bash
# Raises the call rate step by step with scenarios/stress_test.xml against one server shard,
# and stops at the first step that fails a call or cannot keep up; prints the highest rate
# with zero failed calls and the response-time percentiles measured there.
#
#   sipp_stress/ramp.sh
#   RATES="1000 2000 3000" STEP_SECONDS=10 sipp_stress/ramp.sh
#
# The server (callshard serve --shards 1 --stats-interval 0) is pinned with `taskset -c
# $SERVER_CPU` (default 0) and SIPp with `taskset -c $SIPP_CPU` (default 1). Each step runs
# rate*STEP_SECONDS calls at the rate, bounded by -timeout. A step passes when every call
# succeeded and the answered-call rate reached MIN_PERCENT (default 97) % of the asked rate.
#
# Environment: RATES (default "500 1000 2000 4000 8000 12000 16000"), STEP_SECONDS (5),
# SERVER_CPU, SIPP_CPU, MIN_PERCENT, STEP_GAP (seconds of rest between steps, default 0),
# SERVER_ARGS (more `callshard serve` options), plus CALLSHARD_BIN, SERVER_ADDR, SKIP_SERVER=1,
# MOCK=1 (SIPp's built-in `-sn uas` plays the server), UAC_PORT, RESULTS_DIR.
# Results: sipp_stress/results/ramp/<rate>/ (stats.csv, rtt.csv, errors.log), server.log.
# Exit code: 0 when at least the first step passed and the server exited 0 on SIGTERM.
set -euo pipefail

source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/common.sh"

RATES="${RATES:-500 1000 2000 4000 8000 12000 16000}"
STEP_SECONDS="${STEP_SECONDS:-5}"
SERVER_CPU="${SERVER_CPU:-0}"
SIPP_CPU="${SIPP_CPU:-1}"
MIN_PERCENT="${MIN_PERCENT:-97}"
STEP_GAP="${STEP_GAP:-0}"
LOCAL_IP=127.0.0.1
RAMP_DIR="$RESULTS_DIR/ramp"
CLK_TCK=$(getconf CLK_TCK)

case "${1:-}" in
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
esac

# cpu_ticks PID: user+system clock ticks of a process (all its threads), or empty.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || true
}

# child_of PID: the process that `timeout` runs (taskset execs into the real program).
child_of() {
    local _ c
    for _ in $(seq 1 20); do
        c=$(pgrep -P "$1" | head -1 || true)
        [[ -n "$c" ]] && { echo "$c"; return; }
        sleep 0.05
    done
}

ROWS=()
BEST_RATE=""
BEST_PCTS=""
STOP_REASON=""

# step RATE: one step; returns 0 when it passed.
step() {
    local rate=$1 calls=$(($1 * STEP_SECONDS)) limit=$((STEP_SECONDS + 20))
    local dir="$RAMP_DIR/$rate" rc=0
    rm -rf "$dir"
    mkdir -p "$dir"
    if [[ "$MOCK" == 1 ]]; then
        start_mock uas "$calls" "$limit" "$dir" "$SERVER_CPU"
    fi
    local srv_pid="" srv_t0=""
    if [[ "$MOCK" == 1 ]]; then
        srv_pid=$(child_of "$MOCK_PID")
    elif [[ -n "$SERVER_PID" ]]; then
        srv_pid=$(child_of "$SERVER_PID")
    fi
    [[ -n "$srv_pid" ]] && srv_t0=$(cpu_ticks "$srv_pid")
    local srv_drops0
    srv_drops0=$(udp_drops "$SERVER_PORT")
    local -a args=("$SERVER_ADDR" -sf "$SCEN_DIR/stress_test.xml" -s stress -i "$LOCAL_IP"
        -p "$UAC_PORT" -mp 16000 -m "$calls" -r "$rate" -recv_timeout 5000 -buff_size 4194304
        -timeout "${limit}s" -timeout_error -trace_stat -stf stats.csv -fd 1
        -trace_err -error_file errors.log -trace_rtt -rtt_freq 1 -nostdin)
    printf '%q ' taskset -c "$SIPP_CPU" "$SIPP" "${args[@]}" >"$dir/command.txt"
    echo >>"$dir/command.txt"
    log "step $rate calls/s: $calls calls"
    local t_start t_end
    t_start=$(date +%s.%N)
    (cd "$dir" && exec timeout -k 5 "$((limit + 10))" taskset -c "$SIPP_CPU" "$SIPP" "${args[@]}" \
        >/dev/null 2>sipp.err) &
    SIPP_PID=$!
    # SIPp's own CPU: sampled until it exits (the last sample is within 0.2 s of the end).
    # Its socket's kernel drops likewise (the socket goes with it).
    local sipp_pid sipp_ticks=0 sipp_drops=0 t
    sipp_pid=$(child_of "$SIPP_PID")
    while kill -0 "$SIPP_PID" 2>/dev/null; do
        if [[ -n "$sipp_pid" ]]; then
            t=$(cpu_ticks "$sipp_pid")
            if [[ -n "$t" ]]; then
                sipp_ticks=$t
                sipp_drops=$(udp_drops "$UAC_PORT")
            fi
        fi
        sleep 0.2
    done
    local srv_drops
    srv_drops=$(($(udp_drops "$SERVER_PORT") - srv_drops0))
    wait "$SIPP_PID" || rc=$?
    SIPP_PID=""
    t_end=$(date +%s.%N)
    local srv_pct="-" sipp_pct srv_mb="-" srv_rss="-"
    if [[ -n "$srv_pid" ]]; then
        srv_mb=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$srv_pid/status" 2>/dev/null || echo -)
        srv_rss=$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$srv_pid/status" 2>/dev/null || echo -)
    fi
    if [[ -n "$srv_t0" ]]; then
        local srv_t1
        srv_t1=$(cpu_ticks "$srv_pid")
        [[ -n "$srv_t1" ]] && srv_pct=$(awk -v a="$srv_t0" -v b="$srv_t1" -v s="$t_start" -v e="$t_end" -v hz="$CLK_TCK" \
            'BEGIN { printf "%.0f", (b - a) / hz / (e - s) * 100 }')
    fi
    sipp_pct=$(awk -v a="$sipp_ticks" -v s="$t_start" -v e="$t_end" -v hz="$CLK_TCK" \
        'BEGIN { printf "%.0f", a / hz / (e - s) * 100 }')
    if [[ "$MOCK" == 1 ]]; then
        # SIPp's UAS may still wait for BYEs of failed calls: do not let it hold the step.
        kill -TERM "$MOCK_PID" 2>/dev/null || true
        wait_mock || true
    fi
    mv "$dir"/*_rtt.csv "$dir/rtt.csv" 2>/dev/null || true

    local ok=0 failed=0 retrans=0 kinds=""
    if [[ -s "$dir/stats.csv" ]]; then
        IFS=$'\t' read -r ok failed retrans < <(stat_fields "$dir/stats.csv" \
            "SuccessfulCall(C)" "FailedCall(C)" "Retransmissions(C)")
        kinds=$(failure_kinds "$dir/stats.csv")
    fi
    # Answered-call rate: 200s received over the time from the first to the last, from the
    # per-call response times SIPp logged (Date_ms is when each 200 came).
    local achieved pcts
    achieved=$(awk -F';' -v r="$rate" 'NR > 1 && $1 != "" { n++; if (n == 1) f = $1; l = $1 }
        END { if (n < 2) { print 0; exit } printf "%.0f", n / ((l - f) / 1000 + 1 / r) }' "$dir/rtt.csv" 2>/dev/null || echo 0)
    pcts=$(rtt_summary "$dir/rtt.csv")
    local p50 p90 p99 p999 max
    read -r _ _ p50 p90 p99 p999 max <<<"$pcts"
    local pct_ok
    pct_ok=$(awk -v a="$achieved" -v r="$rate" -v m="$MIN_PERCENT" 'BEGIN { print (a >= r * m / 100) ? 1 : 0 }')
    local -a why=()
    [[ "$rc" -eq 0 ]] || why+=("sipp exit $rc")
    [[ "${failed:-0}" -eq 0 ]] || why+=("failed: ${kinds:-?}")
    [[ "${ok:-0}" -eq "$calls" ]] || why+=("$ok/$calls ok")
    [[ "$pct_ok" == 1 ]] || why+=("achieved $achieved/s < ${MIN_PERCENT}% of $rate/s")
    server_alive || why+=("server died")
    local verdict=pass
    ((${#why[@]})) && verdict="STOP: $(IFS=';'; echo "${why[*]}")"
    ROWS+=("$(printf '%7s %8s %8s %7s %8s %10s %5s %5s %5s %6s %6s %8s %9s %9s %10s %9s %10s  %s' "$rate" "$calls" \
        "${ok:-0}" "${failed:-0}" "${retrans:-0}" "$achieved" "$p50" "$p90" "$p99" "$p999" "$max" "$srv_pct" \
        "$sipp_pct" "$srv_drops" "$sipp_drops" "$srv_rss" "$srv_mb" "$verdict")")
    if [[ "$verdict" == pass ]]; then
        BEST_RATE=$rate
        BEST_PCTS="p50 $p50 ms, p90 $p90 ms, p99 $p99 ms, p99.9 $p999 ms, max $max ms ($ok calls)"
        return 0
    fi
    STOP_REASON="$verdict"
    if [[ -s "$dir/errors.log" ]]; then
        log "step $rate: first errors ($dir/errors.log):"
        first_errors "$dir/errors.log" 3 >&2
    fi
    return 1
}

main() {
    check_loopback
    need_sipp
    command -v taskset >/dev/null || die "taskset not found (util-linux)"
    local n
    n=$(nproc)
    ((SERVER_CPU < n && SIPP_CPU < n)) || die "SERVER_CPU=$SERVER_CPU / SIPP_CPU=$SIPP_CPU: this machine has $n CPUs"
    [[ "$SERVER_CPU" != "$SIPP_CPU" ]] || log "warning: server and SIPp share CPU $SERVER_CPU"
    [[ -z "$(udp_port_owner "$UAC_PORT")" ]] || die "UDP port $UAC_PORT (UAC_PORT) is in use: $(udp_port_owner "$UAC_PORT")"
    mkdir -p "$RAMP_DIR"
    trap cleanup_children EXIT
    trap 'exit 130' INT TERM

    local total=0 r
    for r in $RATES; do total=$((total + STEP_SECONDS + STEP_GAP + 30)); done
    if [[ "$SKIP_SERVER" != 1 && "$MOCK" != 1 ]]; then
        # shellcheck disable=SC2086
        start_server "$RAMP_DIR/server.log" "$((total + 60))" "$SERVER_CPU" $SERVER_ARGS
    fi

    local first=1
    for r in $RATES; do
        if [[ "$first" == 0 && "$STEP_GAP" != 0 ]]; then
            log "resting ${STEP_GAP} s (STEP_GAP)"
            sleep "$STEP_GAP"
        fi
        first=0
        step "$r" || break
    done

    printf '\n%7s %8s %8s %7s %8s %10s %5s %5s %5s %6s %6s %8s %9s %9s %10s %9s %10s  %s\n' "rate/s" calls ok failed \
        retrans "answered/s" p50 p90 p99 p99.9 max "srv_cpu%" "sipp_cpu%" "srv_drops" "sipp_drops" "srv_rssMB" "srv_maxMB" verdict
    printf '%s\n' "${ROWS[@]}"
    echo "(response times in ms, INVITE to 200, 1 ms resolution; cpu% of one core over the step;"
    echo " drops: datagrams the kernel dropped for a full receive buffer on the server's / SIPp's port;"
    echo " srv_rssMB: the server's resident memory at the end of the step; srv_maxMB: its peak so far)"
    local rc=0
    if [[ -n "$BEST_RATE" ]]; then
        echo "highest rate with zero failed calls (and >= ${MIN_PERCENT}% of it answered): $BEST_RATE calls/s"
        echo "  response times there: $BEST_PCTS"
    else
        echo "no step passed"
        rc=1
    fi
    [[ -n "$STOP_REASON" ]] && echo "stopped: $STOP_REASON" || echo "every step passed (raise RATES to find the limit)"
    if [[ "$SKIP_SERVER" != 1 && "$MOCK" != 1 ]]; then
        if stop_server; then echo "server: exited 0 on SIGTERM"; else echo "server: did not exit 0 on SIGTERM"; rc=1; fi
    fi
    trap - EXIT
    cleanup_children
    return "$rc"
}

main "$@"
