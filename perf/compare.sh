#!/usr/bin/env bash
# Side-by-side SIP load comparison: the same SIPp built-in `uac` load against
#   callshard  - `callshard serve --shards 1` (one shard, full transaction/dialog state)
#   kamailio   - Kamailio, stateless 200 OK responder (perf/kamailio-stateless.cfg, TLSF allocator)
#   sipp_uas   - SIPp's built-in `uas` scenario
# Every server is pinned to CPU 0 and the SIPp UAC to CPU 1; each server is restarted for every
# rate step. Loopback only. See perf/README.md for how to read the table.
#
# Usage: perf/compare.sh [--quick] [--help]
# Environment overrides (defaults in brackets):
#   SERVERS   ["callshard kamailio sipp_uas"]   RATES ["1000 4000 8000 12000 16000"] calls/s
#   DURATION  [10] seconds per step (each step asks rate*DURATION calls)
#   OUT_DIR   [a new /tmp/callshard-compare.XXXXXX] logs, SIPp stat CSVs, results.tsv
#   CALLSHARD_BIN [target/release/callshard]  CALLSHARD_PORT [5062] KAMAILIO_PORT [5064]
#   SIPP_UAS_PORT [5066]  SERVER_CPU [0]  SIPP_CPU [1]
#   TIMEOUT_SLACK [5] s past DURATION before SIPp gives up (-timeout, -timeout_error)
#   STEP_GRACE [1] s past DURATION within which calls count as completed "in time"
#   SIPP_EXTRA [] extra arguments for the SIPp UAC (e.g. "-buff_size 4194304")
# --quick: one 3 s step at 1000 calls/s per server.
set -euo pipefail

caller_dir="$PWD"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$PWD"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

quick=0
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "compare.sh: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
    esac
done

SERVERS="${SERVERS:-callshard kamailio sipp_uas}"
RATES="${RATES:-1000 4000 8000 12000 16000}"
DURATION="${DURATION:-10}"
if [[ $quick == 1 ]]; then RATES=1000; DURATION=3; fi
CALLSHARD_BIN="${CALLSHARD_BIN:-target/release/callshard}"
[[ $CALLSHARD_BIN == /* ]] || CALLSHARD_BIN="$repo/$CALLSHARD_BIN"   # relative to the repo root
CALLSHARD_PORT="${CALLSHARD_PORT:-5062}"
KAMAILIO_PORT="${KAMAILIO_PORT:-5064}"
SIPP_UAS_PORT="${SIPP_UAS_PORT:-5066}"
SERVER_CPU="${SERVER_CPU:-0}"
SIPP_CPU="${SIPP_CPU:-1}"
TIMEOUT_SLACK="${TIMEOUT_SLACK:-5}"
STEP_GRACE="${STEP_GRACE:-1}"
SIPP_EXTRA="${SIPP_EXTRA:-}"
KAMAILIO_CFG="$repo/perf/kamailio-stateless.cfg"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/callshard-compare.XXXXXX)}"
[[ $OUT_DIR == /* ]] || OUT_DIR="$caller_dir/$OUT_DIR"
mkdir -p "$OUT_DIR"

for tool in sipp taskset timeout ss getconf awk; do
    command -v "$tool" >/dev/null 2>&1 || { echo "compare.sh: '$tool' not found" >&2; exit 1; }
done
clk_tck="$(getconf CLK_TCK)"

# --- process bookkeeping: everything we start is killed on exit --------------------------------
# Servers and SIPp run under `timeout`, which puts them in their own process group and forwards
# TERM to it, so each process also stops by itself if this script dies without running its trap.
live_pids=()
cleanup() {
    local p
    for p in "${live_pids[@]+"${live_pids[@]}"}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${live_pids[@]+"${live_pids[@]}"}"; do
        wait "$p" 2>/dev/null || true
    done
    live_pids=()
}
trap cleanup EXIT
trap 'echo "compare.sh: interrupted" >&2; exit 130' INT TERM HUP

forget_pid() {
    local p keep=()
    for p in "${live_pids[@]+"${live_pids[@]}"}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    live_pids=("${keep[@]+"${keep[@]}"}")
}

# Sum of utime+stime (clock ticks; /proc/<pid>/stat fields 14 and 15) over a process and all its
# descendants. Threads are included in their process's figures.
tree_ticks() {
    local root="$1"
    for f in /proc/[0-9]*/stat; do cat "$f" 2>/dev/null || true; done | awk -v root="$root" '
        {
            pid = $1
            rest = substr($0, match($0, /\) [^)]*$/) + 2)   # after "pid (comm) "; comm may hold spaces
            split(rest, f, " ")
            ppid[pid] = f[2]; ticks[pid] = f[12] + f[13]      # fields 4, 14, 15 of the line
        }
        END {
            want[root] = 1; changed = 1
            while (changed) {
                changed = 0
                for (p in ppid) if (!(p in want) && (ppid[p] in want)) { want[p] = 1; changed = 1 }
            }
            s = 0
            for (p in want) if (p in ticks) s += ticks[p]
            print s
        }'
}

# Cross-check only (progress line, not the table): on-CPU nanoseconds of the same process tree from
# /proc/<pid>/task/<tid>/schedstat (first field), which is not quantised to clock ticks.
tree_sched_ns() {
    local root="$1" pids p t s=0 v
    pids="$root $(tree_descendants "$root")"
    for p in $pids; do
        for t in /proc/"$p"/task/*/schedstat; do
            read -r v _ <"$t" 2>/dev/null && s=$((s + v))
        done
    done
    echo "$s"
}

tree_descendants() {
    local kids k
    kids="$(ps -o pid= --ppid "$1" 2>/dev/null || true)"
    for k in $kids; do echo "$k"; tree_descendants "$k"; done
}

port_bound() { [[ -n "$(ss -Hlun "( sport = :$1 )" 2>/dev/null)" ]]; }

callshard_ok() { [[ -x "$CALLSHARD_BIN" ]] && "$CALLSHARD_BIN" serve --help >/dev/null 2>&1; }

server_port() {
    case "$1" in
        callshard) echo "$CALLSHARD_PORT" ;;
        kamailio) echo "$KAMAILIO_PORT" ;;
        sipp_uas) echo "$SIPP_UAS_PORT" ;;
    esac
}

# Server command line (without the taskset/timeout wrapper).
server_cmd() {
    local name="$1" port="$2" life="$3"
    case "$name" in
        callshard) echo "$CALLSHARD_BIN serve --listen 127.0.0.1:$port --shards 1 --stats-interval 0" ;;
        kamailio)   # the cfg listens on 5064 unless KAM_PORT is defined
            local extra=""; [[ $port == 5064 ]] || extra=" -A KAM_PORT=$port"
            echo "kamailio -f $KAMAILIO_CFG -DD -E -x tlsf -X tlsf -m 64 -M 8$extra" ;;
        sipp_uas) echo "sipp -sn uas -p $port -i 127.0.0.1 -bind_local -nostdin -timeout ${life}s" ;;
    esac
}

server_pid=""   # the `timeout` wrapper
server_main=""  # the server itself (child of the wrapper)

start_server() {
    local name="$1" port="$2" log="$3" life cmd i
    life=$((DURATION + TIMEOUT_SLACK + 20))
    cmd="$(server_cmd "$name" "$port" "$life")"
    if port_bound "$port"; then
        echo "compare.sh: UDP port $port already in use; not starting $name" >&2
        return 1
    fi
    echo "+ taskset -c $SERVER_CPU $cmd" >"$log"
    # shellcheck disable=SC2086  # cmd is split on purpose (no argument contains spaces)
    (cd "$OUT_DIR" && exec timeout -k 3 "$((life + 5))" taskset -c "$SERVER_CPU" $cmd) \
        >>"$log" 2>&1 </dev/null &
    server_pid=$!
    live_pids+=("$server_pid")
    server_main=""
    for ((i = 0; i < 100; i++)); do        # up to 10 s for the socket to be bound
        [[ -z "$server_main" ]] && server_main="$(ps -o pid= --ppid "$server_pid" 2>/dev/null | head -n1 | tr -d ' ')"
        if [[ -n "$server_main" ]] && port_bound "$port"; then
            sleep 0.5                       # let Kamailio fork its workers, startup CPU settle
            kill -0 "$server_pid" 2>/dev/null && return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "compare.sh: $name did not come up on port $port; see $log" >&2
    stop_server
    return 1
}

stop_server() {
    [[ -n "$server_pid" ]] || return 0
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    forget_pid "$server_pid"
    server_pid=""; server_main=""
}

# Read the SIPp stat CSV: prints "successful failed retrans in_time elapsed" where in_time is
# SuccessfulCall(C) in the last row written at most DURATION+STEP_GRACE s after the start.
read_stats() {
    awk -F';' -v limit="$((DURATION + STEP_GRACE))" '
        NR == 1 {
            for (i = 1; i <= NF; i++) col[$i] = i
            if (!("SuccessfulCall(C)" in col) || !("FailedCall(C)" in col) || !("Retransmissions(C)" in col)) {
                print "compare.sh: unexpected SIPp stat CSV header" > "/dev/stderr"; exit 1
            }
            next
        }
        {
            split($col["StartTime"], st, "\t"); split($col["CurrentTime"], ct, "\t")
            el = ct[3] - st[3]
            ok = $col["SuccessfulCall(C)"]; failed = $col["FailedCall(C)"]
            retr = $col["Retransmissions(C)"]
            if (el <= limit + 0.25) in_time = ok
        }
        END { if (NR > 1) printf "%d %d %d %d %.2f\n", ok, failed, retr, in_time, el }' "$1"
}

results="$OUT_DIR/results.tsv"
printf 'server\trate\tcompleted\tfailed\tretrans\tcpu_us_per_call\tclean\n' >"$results"
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }

run_step() {
    local name="$1" rate="$2" port calls tag log csv t0 t1 n0 n1 rc stats ok failed retr in_time el
    port="$(server_port "$name")"
    calls=$((rate * DURATION))
    tag="$name-$rate"
    log="$OUT_DIR/$tag.server.log"
    csv="$OUT_DIR/$tag.stat.csv"
    echo "== $name @ $rate calls/s x ${DURATION}s ($calls calls) on 127.0.0.1:$port" >&2
    if ! start_server "$name" "$port" "$log"; then
        row "$name" "$rate" - - - - "no(server did not start)"; return
    fi

    local uac=(sipp -sn uac "127.0.0.1:$port" -i 127.0.0.1 -bind_local -r "$rate" -m "$calls"
        -timeout "$((DURATION + TIMEOUT_SLACK))s" -timeout_error
        -trace_stat -stf "$csv" -fd 1 -trace_err -error_file "$OUT_DIR/$tag.uac_errors.log" -nostdin)
    # shellcheck disable=SC2206
    [[ -n "$SIPP_EXTRA" ]] && uac+=($SIPP_EXTRA)
    echo "+ taskset -c $SIPP_CPU ${uac[*]}" >"$OUT_DIR/$tag.uac.out"

    t0="$(tree_ticks "$server_main")"; n0="$(tree_sched_ns "$server_main")"
    (cd "$OUT_DIR" && exec timeout -k 3 "$((DURATION + TIMEOUT_SLACK + 10))" taskset -c "$SIPP_CPU" "${uac[@]}") \
        >>"$OUT_DIR/$tag.uac.out" 2>&1 </dev/null &
    local uac_pid=$!
    live_pids+=("$uac_pid")
    rc=0; wait "$uac_pid" || rc=$?
    forget_pid "$uac_pid"
    t1="$(tree_ticks "$server_main")"; n1="$(tree_sched_ns "$server_main")"
    if ! kill -0 "$server_main" 2>/dev/null; then
        echo "compare.sh: $name exited during the step; see $log" >&2
    fi
    stop_server

    if [[ ! -s "$csv" ]] || ! stats="$(read_stats "$csv")" || [[ -z "$stats" ]]; then
        row "$name" "$rate" - - - - "no(no SIPp stats, rc=$rc)"; return
    fi
    read -r ok failed retr in_time el <<<"$stats"
    local cpu="-" sched="-"
    if ((ok > 0)); then
        cpu="$(awk -v d="$((t1 - t0))" -v hz="$clk_tck" -v n="$ok" 'BEGIN { printf "%.1f", d * 1e6 / hz / n }')"
        sched="$(awk -v d="$((n1 - n0))" -v n="$ok" 'BEGIN { printf "%.1f", d / 1e3 / n }')"
    fi
    local why=()
    ((failed == 0)) || why+=("failed")
    ((in_time * 100 >= calls * 97)) || why+=("late:$in_time@${DURATION}+${STEP_GRACE}s")
    ((retr * 200 < calls)) || why+=("retrans")
    ((rc == 0)) || why+=("rc=$rc")
    local clean="yes"
    if ((${#why[@]})); then clean="no($(IFS=,; echo "${why[*]}"))"; fi
    row "$name" "$rate" "$ok" "$failed" "$retr" "$cpu" "$clean"
    echo "   completed=$ok failed=$failed retrans=$retr cpu_us/call=$cpu (ticks $((t1 - t0)); schedstat ${sched}us) sipp_elapsed=${el}s rc=$rc clean=$clean" >&2
}

echo "compare.sh: servers=[$SERVERS] rates=[$RATES] duration=${DURATION}s; server CPU $SERVER_CPU, SIPp CPU $SIPP_CPU; CLK_TCK=$clk_tck; logs in $OUT_DIR" >&2
for name in $SERVERS; do
    case "$name" in
        callshard)
            if ! callshard_ok; then
                echo "compare.sh: '$CALLSHARD_BIN serve --help' does not work; skipping callshard" >&2
                row callshard - - - - - "no(callshard serve unavailable)"
                continue
            fi ;;
        kamailio)
            command -v kamailio >/dev/null 2>&1 || { row kamailio - - - - - "no(kamailio not installed)"; continue; } ;;
        sipp_uas) ;;
        *) echo "compare.sh: unknown server '$name' (callshard, kamailio, sipp_uas)" >&2; exit 2 ;;
    esac
    for rate in $RATES; do
        run_step "$name" "$rate"
    done
done

echo
column -t -s $'\t' "$results" 2>/dev/null || cat "$results"
echo
echo "highest clean rate (calls/s):"
awk -F'\t' 'NR > 1 {
        if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1; best[$1] = "none" }
        if ($7 == "yes" && (best[$1] == "none" || $2 + 0 > best[$1] + 0)) best[$1] = $2
    }
    END { for (i = 1; i <= n; i++) printf "  %-10s %s\n", order[i], best[order[i]] }' "$results"
echo "(logs, SIPp stat CSVs and results.tsv in $OUT_DIR)"
