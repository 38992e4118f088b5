#!/usr/bin/env bash
# Runs every SIPp scenario of sipp_stress/scenarios against `callshard serve` and prints one
# line per scenario: calls attempted, successful, failed, retransmissions, response times.
#
#   sipp_stress/run.sh                      all scenarios (about 70 s; timeout_noack is 35 s)
#   sipp_stress/run.sh basic_call hold_resume   only those
#   sipp_stress/run.sh --validate           only check that every XML file loads in SIPp
#   sipp_stress/run.sh --list               the scenarios, their user, calls and rate
#
# Environment: CALLSHARD_BIN, SERVER_ADDR (default 127.0.0.1:5060), SKIP_SERVER=1 (use a
# server already running there), MOCK=1 (SIPp mock UASes instead of callshard), UAC_PORT
# (default 5070), TRACE_MSG=0 (no per-message logs), RESULTS_DIR (default sipp_stress/results),
# SERVER_ARGS (more `callshard serve` options, e.g. "--max-calls 1000000").
# LOSS=PERCENT runs each scenario through `callshard relay`, which drops that share of the
# datagrams each way (and duplicates and reorders 1 %: DUPLICATE, REORDER, SEED, RELAY_PORT;
# sipp_stress/lib/relay.sh); the table then shows what the relay did. run_lossy.sh: LOSS=5.
#
# Exit code: 0 when every call of every scenario succeeded and the server exited 0 on
# SIGTERM; 1 otherwise; 2 on a usage or setup error.
set -euo pipefail

source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/common.sh"
source "$STRESS_DIR/lib/relay.sh"

TRACE_MSG="${TRACE_MSG:-1}"
LOCAL_IP=127.0.0.1

# name | Request-URI user (-s) | calls (-m) | rate (-r, calls/s) | time limit (s) | extra SIPp options
SCENARIOS_TABLE="
basic_call       basic      20   10   30  -d 1000
call_rejection   busy       20   10   30
call_cancel      slow       20   10   30
options_ping     callshard  20   10   30
hold_resume      hold       20   10   30
early_media      early      20   10   30
multiple_codecs  codecs     20   10   30
forking_test     fork       20   10   30
stress_test      stress     2000 500  30
timeout_test     slow       4    2    30
timeout_noack    basic      2    1    60  -nr
"

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

validate_all() {
    need_sipp
    local dir="$RESULTS_DIR/validate" f port=5999 bad=0 kind
    mkdir -p "$dir"
    [[ -z "$(udp_port_owner $port)" ]] || die "UDP port $port is in use: it must be free for --validate"
    for f in "$SCEN_DIR"/*.xml "$MOCK_DIR"/*.xml; do
        # A UAC gets a dead destination; a UAS just listens. Both must load, then time out.
        case "$f" in
            */mock/* | */forking_uas.xml | */uas_auth.xml | */uas_forking.xml) kind=uas ;;
            *) kind=uac ;;
        esac
        if [[ "$kind" == uac ]]; then
            (cd "$dir" && timeout -k 2 10 "$SIPP" -sf "$f" "$LOCAL_IP:$port" -i "$LOCAL_IP" \
                -p "$UAC_PORT" -m 1 -timeout 1s -timeout_error -nostdin >/dev/null 2>err.txt) || true
        else
            (cd "$dir" && timeout -k 2 10 "$SIPP" -sf "$f" -i "$LOCAL_IP" -p "$port" \
                -m 1 -timeout 1s -timeout_error -nostdin >/dev/null 2>err.txt) || true
        fi
        if grep -q "timed out after" "$dir/err.txt"; then
            printf '  ok    %-4s %s\n' "$kind" "${f#"$STRESS_DIR"/}"
        else
            printf '  FAIL  %-4s %s: %s\n' "$kind" "${f#"$STRESS_DIR"/}" "$(grep -v Resolving "$dir/err.txt" | head -2 | tr '\n' ' ')"
            bad=1
        fi
    done
    rm -f "$dir/err.txt"
    return "$bad"
}

ROWS=()
FAILED_ANY=0

# run_scenario NAME USER CALLS RATE LIMIT [extra sipp options...]
run_scenario() {
    local name=$1 user=$2 calls=$3 rate=$4 limit=$5
    shift 5
    local dir="$RESULTS_DIR/$name" rc=0 mrc=0 target
    # Under loss timeout_noack survives only the drops its seed picks for one call (its XML).
    [[ -n "$LOSS" && "$name" == timeout_noack ]] && calls=1
    rm -rf "$dir"
    mkdir -p "$dir"
    target=callshard
    [[ "$SKIP_SERVER" == 1 ]] && target=external
    if [[ "$MOCK" == 1 ]]; then
        target="mock"
        start_mock "$(mock_for "$name")" "$calls" "$limit" "$dir"
    fi
    local -a args=("$SERVER_ADDR" -sf "$SCEN_DIR/$name.xml" -s "$user" -i "$LOCAL_IP" -p "$UAC_PORT")
    if [[ -n "$LOSS" ]]; then
        start_relay "$name" "$dir" "$((limit + 10))"
        target="$target+relay"
        args=("$SERVER_IP:$RELAY_PORT" -sf "$SCEN_DIR/$name.xml" -s "$user" -i localhost -mi "$LOCAL_IP" -p "$UAC_PORT")
    fi
    args+=(
        -mp 16000 -m "$calls" -r "$rate" -recv_timeout 10000 -buff_size 4194304
        -timeout "${limit}s" -timeout_error
        -trace_stat -stf stats.csv -fd 1 -trace_err -error_file errors.log
        -trace_rtt -rtt_freq 1 -trace_screen -screen_file screen.log -nostdin "$@")
    if [[ "$TRACE_MSG" == 1 && "$name" != stress_test ]]; then
        args+=(-trace_msg -message_file messages.log)
    fi
    log "$name: $calls calls to user '$user' at $rate/s against $target ($SERVER_ADDR)"
    printf '%q ' "$SIPP" "${args[@]}" >"$dir/command.txt"
    echo >>"$dir/command.txt"
    (cd "$dir" && exec timeout -k 5 "$((limit + 10))" "$SIPP" "${args[@]}" >/dev/null 2>sipp.err) &
    SIPP_PID=$!
    wait "$SIPP_PID" || rc=$?
    SIPP_PID=""
    stop_relay
    if [[ "$MOCK" == 1 ]]; then
        wait_mock || mrc=$?
    fi
    mv "$dir"/*_rtt.csv "$dir/rtt.csv" 2>/dev/null || true

    local attempted=0 ok=0 failed=0 retrans=0 rt_avg=- rt_max=- kinds="" result=PASS
    if [[ -s "$dir/stats.csv" ]]; then
        local rt
        IFS=$'\t' read -r attempted ok failed retrans rt < <(stat_fields "$dir/stats.csv" \
            "OutgoingCall(C)" "SuccessfulCall(C)" "FailedCall(C)" "Retransmissions(C)" "ResponseTime1(C)")
        [[ -n "$rt" ]] && rt_avg=$(hms_to_ms "$rt")
        kinds=$(failure_kinds "$dir/stats.csv")
    fi
    local summary
    summary=$(rtt_summary "$dir/rtt.csv")
    rt_max=$(awk '{ print $7 }' <<<"$summary")
    if [[ "$(awk '{ print $1 }' <<<"$summary")" -gt 0 ]]; then
        rt_avg=$(awk '{ print $2 }' <<<"$summary")
    else
        rt_avg=-
    fi

    local why=()
    [[ "$rc" -eq 0 ]] || why+=("sipp exit $rc")
    [[ "${failed:-0}" -eq 0 ]] || why+=("${kinds:-failed}")
    [[ "${ok:-0}" -eq "$calls" ]] || why+=("$ok/$calls ok")
    [[ "$mrc" -eq 0 ]] || why+=("mock exit $mrc")
    server_alive || why+=("server died")
    if ((${#why[@]})); then
        result="FAIL ($(IFS=';'; echo "${why[*]}"))"
        FAILED_ANY=1
        if [[ -s "$dir/errors.log" ]]; then
            log "$name: first errors ($dir/errors.log):"
            first_errors "$dir/errors.log" 4 >&2
        fi
        if [[ -s "$dir/sipp.err" ]]; then grep -v Resolving "$dir/sipp.err" | head -2 >&2 || true; fi
    fi
    [[ -n "$LOSS" ]] && result="$result  relay: dropped/dup/reord $(relay_summary "$dir")"
    ROWS+=("$(printf '%-16s %-9s %-15s %6s %9s %7s %6s %7s %9s %9s  %s' \
        "$name" "$user" "$target" "$calls" "${attempted:-0}" "${ok:-0}" "${failed:-0}" "${retrans:-0}" \
        "$rt_avg" "$rt_max" "$result")")
}

print_table() {
    printf '\n%-16s %-9s %-15s %6s %9s %7s %6s %7s %9s %9s  %s\n' scenario user target asked \
        attempted success failed retrans "rt_avg_ms" "rt_max_ms" result
    printf '%s\n' "${ROWS[@]}"
    printf '\nrt = response time of the first request to its answer (see README), 1 ms resolution.\n'
    if [[ -n "$LOSS" ]]; then
        printf 'relay: toward the server/toward SIPp, at %s %% loss, %s %% duplicated, %s %% reordered.\n' \
            "$LOSS" "$DUPLICATE" "$REORDER"
    fi
    printf 'Details: %s/<scenario>/ (stats.csv, rtt.csv, errors.log, messages.log, screen.log)\n' "$RESULTS_DIR"
}

main() {
    local -a wanted=()
    case "${1:-}" in
        -h | --help) usage; exit 0 ;;
        --list) echo "$SCENARIOS_TABLE" | sed '/^$/d'; exit 0 ;;
        --validate) validate_all; exit $? ;;
    esac
    wanted=("$@")
    check_loopback
    need_sipp
    local line name
    for name in "${wanted[@]}"; do
        grep -q "^$name " <<<"$SCENARIOS_TABLE" || die "no scenario '$name' (run.sh --list)"
    done
    mkdir -p "$RESULTS_DIR"
    [[ -z "$(udp_port_owner "$UAC_PORT")" ]] || die "UDP port $UAC_PORT (UAC_PORT) is in use: $(udp_port_owner "$UAC_PORT")"

    trap 'stop_relay; cleanup_children' EXIT
    trap 'exit 130' INT TERM

    if [[ "$SKIP_SERVER" != 1 && "$MOCK" != 1 ]]; then
        # shellcheck disable=SC2086
        start_server "$RESULTS_DIR/server.log" 600 "" $SERVER_ARGS
    fi

    while read -r line; do
        [[ -n "$line" ]] || continue
        # shellcheck disable=SC2086
        set -- $line
        if ((${#wanted[@]})) && ! printf '%s\n' "${wanted[@]}" | grep -qx "$1"; then
            continue
        fi
        run_scenario "$@"
        if ! server_alive; then
            log "the server is gone: stopping here"
            break
        fi
    done <<<"$SCENARIOS_TABLE"

    print_table
    if [[ "$SKIP_SERVER" != 1 && "$MOCK" != 1 ]]; then
        if ! stop_server; then
            echo "server: did not exit 0 on SIGTERM (log: $RESULTS_DIR/server.log)"
            FAILED_ANY=1
        else
            echo "server: exited 0 on SIGTERM"
        fi
    fi
    trap - EXIT
    cleanup_children
    if [[ "$FAILED_ANY" == 0 ]]; then
        echo "RESULT: PASS"
    else
        echo "RESULT: FAIL"
    fi
    return "$FAILED_ANY"
}

main "$@"
