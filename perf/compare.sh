#!/usr/bin/env bash
# Side-by-side SIP load comparison: the same SIPp built-in `uac` load against
#   callshard  - `callshard serve --shards 1 --io uring` (one shard, full transaction/dialog state)
#   callshard_poll - the same on the poll backend (`--io poll`: recvmmsg/sendmmsg + ppoll)
#   callshard_ok, callshard_poll_ok - either backend with `--route '*=ok'`: 200 without a 180,
#              so callshard sends the same datagrams as the stateless Kamailio (like-for-like)
#   kamailio   - Kamailio, stateless 200 OK responder (perf/kamailio-stateless.cfg, TLSF allocator)
#   sipp_uas   - SIPp's built-in `uas` scenario
# Every server is pinned to CPU 0 and the SIPp UAC to CPU 1; each server is restarted for every
# rate step. Loopback only. See perf/README.md for how to read the table.
#
# Usage: perf/compare.sh [--quick] [--help]
# Environment overrides (defaults in brackets):
#   SERVERS   ["callshard callshard_poll callshard_ok kamailio sipp_uas"]   RATES ["1000 4000 8000 12000 16000"] calls/s
#   DURATION  [10] seconds per step (each step asks rate*DURATION calls)
#   OUT_DIR   [a new /tmp/callshard-compare.XXXXXX] logs, SIPp stat CSVs, results.tsv
#   CALLSHARD_BIN [target/release/callshard]  CALLSHARD_PORT [5062] KAMAILIO_PORT [5064]
#   SIPP_UAS_PORT [5066]  SERVER_CPU [0]  SIPP_CPU [1]
#   TIMEOUT_SLACK [5] s past DURATION before SIPp gives up (-timeout, -timeout_error)
#   STEP_GRACE [1] s past DURATION within which calls count as completed "in time"
#   UDP_BUF   [4194304] socket buffer bytes: SIPp UAC and UAS get -buff_size UDP_BUF, Kamailio may
#             probe its receive buffer up to UDP_BUF (cfg maxbuffer); callshard sizes its own.
#             UDP_BUF= (empty) keeps each tool's default (SIPp 64 KB, Kamailio 256 KB).
#   SIPP_EXTRA [] extra arguments for the SIPp UAC (e.g. "-max_recv_loops 5000")
#   CALLSHARD_EXTRA [] extra arguments for `callshard serve` (e.g. "--batch-wait-us 100")
#   QUIET_WAIT [60] s to wait before each step for both CPUs to be under QUIET_MAX [15] % busy
#             (other work on the machine skews the figures); the step runs anyway after that.
# --quick: one 3 s step at 1000 calls/s per server.
# Output: the table on stdout (also OUT_DIR/results.tsv); per-step diagnostics on stderr and in
# OUT_DIR/details.tsv.
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

SERVERS="${SERVERS:-callshard callshard_poll callshard_ok kamailio sipp_uas}"
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
UDP_BUF="${UDP_BUF-4194304}"
QUIET_WAIT="${QUIET_WAIT:-60}"
QUIET_MAX="${QUIET_MAX:-15}"
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

# Drops counted on the server's own UDP socket (last column of /proc/net/udp).
socket_drops() {
    awk -v want="$(printf '0100007F:%04X' "$1")" 'NR > 1 && $2 == want { d += $NF; n++ } END { print n ? d : "-" }' /proc/net/udp
}

# System-wide UDP RcvbufErrors (all sockets, every process on the machine).
udp_rcvbuf_errors() {
    awk '/^Udp:/ { if (!h) { for (i = 2; i <= NF; i++) c[$i] = i; h = 1 } else print $c["RcvbufErrors"] }' /proc/net/snmp
}

# "busy total" jiffies of one CPU from /proc/stat.
cpu_jiffies() {
    awk -v cpu="cpu$1" '$1 == cpu { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }' /proc/stat
}

# Wait (up to QUIET_WAIT s) until both CPUs were under QUIET_MAX % busy for a whole second.
wait_quiet() {
    local waited=0 a0 a1 p0 p1
    while :; do
        a0="$(cpu_jiffies "$SERVER_CPU")"; a1="$(cpu_jiffies "$SIPP_CPU")"
        sleep 1
        p0="$(busy_pct "$a0" "$(cpu_jiffies "$SERVER_CPU")")"
        p1="$(busy_pct "$a1" "$(cpu_jiffies "$SIPP_CPU")")"
        if ((p0 < QUIET_MAX && p1 < QUIET_MAX)); then return 0; fi
        if ((waited >= QUIET_WAIT)); then
            echo "compare.sh: machine still busy (cpu$SERVER_CPU $p0%, cpu$SIPP_CPU $p1%); running anyway" >&2
            return 1
        fi
        ((waited == 0)) && echo "   waiting for a quiet machine (cpu$SERVER_CPU $p0%, cpu$SIPP_CPU $p1% busy)..." >&2
        waited=$((waited + 1))
    done
}

# busy_pct "busy0 total0" "busy1 total1" [ticks used by our own process] -> % of the interval
busy_pct() {
    local b0 t0 b1 t1
    read -r b0 t0 <<<"$1"; read -r b1 t1 <<<"$2"
    pct $((b1 - b0 - ${3:-0})) $((t1 - t0))
}

pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (a < 0) a = 0; if (b > 0) printf "%.0f", 100 * a / b; else print "-" }'; }

port_bound() { [[ -n "$(ss -Hlun "( sport = :$1 )" 2>/dev/null)" ]]; }

callshard_ok() { [[ -x "$CALLSHARD_BIN" ]] && "$CALLSHARD_BIN" serve --help >/dev/null 2>&1; }

server_port() {
    case "$1" in
        callshard*) echo "$CALLSHARD_PORT" ;;
        kamailio) echo "$KAMAILIO_PORT" ;;
        sipp_uas) echo "$SIPP_UAS_PORT" ;;
    esac
}

# Server command line (without the taskset/timeout wrapper).
server_cmd() {
    local name="$1" port="$2" life="$3"
    case "$name" in
        callshard*)
            local io=uring route=""
            [[ $name == *_poll* ]] && io=poll
            [[ $name == *_ok ]] && route=" --route *=ok"
            echo "$CALLSHARD_BIN serve --listen 127.0.0.1:$port --shards 1 --stats-interval 0 --io $io$route${CALLSHARD_EXTRA:+ $CALLSHARD_EXTRA}" ;;
        kamailio)   # the cfg listens on 5064 and probes up to 4 MB unless told otherwise
            local extra=""
            [[ $port == 5064 ]] || extra+=" -A KAM_PORT=$port"
            [[ ${UDP_BUF:-262144} == 4194304 ]] || extra+=" -A KAM_MAXBUF=${UDP_BUF:-262144}"
            echo "kamailio -f $KAMAILIO_CFG -DD -E -x tlsf -X tlsf -m 64 -M 8$extra" ;;
        sipp_uas) echo "sipp -sn uas -p $port -i 127.0.0.1 -bind_local -nostdin -timeout ${life}s${UDP_BUF:+ -buff_size $UDP_BUF}" ;;
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
    if [[ $name == callshard* ]]; then   # the binary may be rebuilt between steps
        echo "# $(sha256sum "$CALLSHARD_BIN" | cut -c1-12) $(stat -c '%y' "$CALLSHARD_BIN" | cut -d. -f1)" >>"$log"
    fi
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
            if kill -0 "$server_pid" 2>/dev/null; then
                check_pinning "$name"
                return 0
            fi
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "compare.sh: $name did not come up on port $port; see $log" >&2
    stop_server
    return 1
}

# Warn when a server thread may run outside SERVER_CPU (a server that sets its own affinity).
check_pinning() {
    local p t list bad=""
    for p in $server_main $(tree_descendants "$server_main"); do
        for t in /proc/"$p"/task/*; do
            list="$(awk '/^Cpus_allowed_list:/ { print $2 }' "$t/status" 2>/dev/null)"
            [[ -z $list || $list == "$SERVER_CPU" ]] || bad+=" $(cat "$t/comm" 2>/dev/null)[${t##*/}]:$list"
        done
    done
    [[ -z $bad ]] || echo "compare.sh: $1 threads not confined to CPU $SERVER_CPU:$bad" >&2
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

noisy_steps=()
results="$OUT_DIR/results.tsv"
details="$OUT_DIR/details.tsv"
printf 'server\trate\tcompleted\tfailed\tretrans\tcpu_us_per_call\tclean\n' >"$results"
printf 'server\trate\tasked\tcompleted\tin_time\tunfinished\tfailed\tretrans\tcpu_us_per_call\tsched_us_per_call\tserver_ticks\tserver_sock_drops\tudp_rcvbuf_errors\tuac_cpu_pct\tother_load_server_cpu_pct\tother_load_sipp_cpu_pct\tsipp_elapsed_s\tsipp_rc\n' >"$details"
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }
detail() { local IFS=$'\t'; echo "$*" >>"$details"; }

run_step() {
    local name="$1" rate="$2"
    local port calls tag log csv rc stats ok failed retr in_time el t0 t1 n0 n1 e0 e1 c0 c1 d0 d1
    port="$(server_port "$name")"
    calls=$((rate * DURATION))
    tag="$name-$rate"
    log="$OUT_DIR/$tag.server.log"
    csv="$OUT_DIR/$tag.stat.csv"
    echo "== $name @ $rate calls/s x ${DURATION}s ($calls calls) on 127.0.0.1:$port" >&2
    wait_quiet || true
    if ! start_server "$name" "$port" "$log"; then
        row "$name" "$rate" - - - - "no(server did not start)"; return
    fi

    local uac=(sipp -sn uac "127.0.0.1:$port" -i 127.0.0.1 -bind_local -r "$rate" -m "$calls"
        -timeout "$((DURATION + TIMEOUT_SLACK))s" -timeout_error
        -trace_stat -stf "$csv" -fd 1 -trace_err -error_file "$OUT_DIR/$tag.uac_errors.log" -nostdin)
    [[ -n "$UDP_BUF" ]] && uac+=(-buff_size "$UDP_BUF")
    # shellcheck disable=SC2206  # split on purpose
    [[ -n "$SIPP_EXTRA" ]] && uac+=($SIPP_EXTRA)
    echo "+ taskset -c $SIPP_CPU ${uac[*]}" >"$OUT_DIR/$tag.uac.out"
    local timing=()   # the UAC's own CPU time, to tell a saturated load generator from a slow server
    [[ -x /usr/bin/time ]] && timing=(/usr/bin/time -o "$OUT_DIR/$tag.uac.time" -f '%U %S %e')

    t0="$(tree_ticks "$server_main")"; n0="$(tree_sched_ns "$server_main")"
    e0="$(udp_rcvbuf_errors)"; c0="$(cpu_jiffies "$SERVER_CPU")"; d0="$(cpu_jiffies "$SIPP_CPU")"
    (cd "$OUT_DIR" && exec timeout -k 3 "$((DURATION + TIMEOUT_SLACK + 10))" \
        ${timing[@]+"${timing[@]}"} taskset -c "$SIPP_CPU" "${uac[@]}") \
        >>"$OUT_DIR/$tag.uac.out" 2>&1 </dev/null &
    local uac_pid=$!
    live_pids+=("$uac_pid")
    rc=0; wait "$uac_pid" || rc=$?
    forget_pid "$uac_pid"
    t1="$(tree_ticks "$server_main")"; n1="$(tree_sched_ns "$server_main")"
    e1="$(udp_rcvbuf_errors)"; c1="$(cpu_jiffies "$SERVER_CPU")"; d1="$(cpu_jiffies "$SIPP_CPU")"
    local sock_drops; sock_drops="$(socket_drops "$port")"
    if ! kill -0 "$server_main" 2>/dev/null; then
        echo "compare.sh: $name exited during the step; see $log" >&2
    fi
    stop_server
    local errlog="$OUT_DIR/$tag.uac_errors.log"
    if [[ -f $errlog ]] && (($(stat -c %s "$errlog") > 1000000)) && command -v gzip >/dev/null; then
        gzip -f "$errlog"
    fi

    if [[ ! -s "$csv" ]] || ! stats="$(read_stats "$csv")" || [[ -z "$stats" ]]; then
        row "$name" "$rate" - - - - "no(no SIPp stats, rc=$rc)"; return
    fi
    read -r ok failed retr in_time el <<<"$stats"
    local cpu="-" sched="-"
    if ((ok > 0)); then
        cpu="$(awk -v d="$((t1 - t0))" -v hz="$clk_tck" -v n="$ok" 'BEGIN { printf "%.1f", d * 1e6 / hz / n }')"
        sched="$(awk -v d="$((n1 - n0))" -v n="$ok" 'BEGIN { printf "%.1f", d / 1e3 / n }')"
    fi
    local uac_cpu="-" uac_ticks=0
    if [[ -s "$OUT_DIR/$tag.uac.time" ]]; then
        read -r uac_cpu uac_ticks < <(awk -v hz="$clk_tck" 'NF == 3 && $3 > 0 {
            printf "%.0f %.0f\n", 100 * ($1 + $2) / $3, ($1 + $2) * hz }' "$OUT_DIR/$tag.uac.time") || true
    fi
    # CPU time on the two CPUs that was neither the server's nor the UAC's: someone else's load.
    local other0 other1
    other0="$(busy_pct "$c0" "$c1" $((t1 - t0)))"; other1="$(busy_pct "$d0" "$d1" "${uac_ticks:-0}")"
    if [[ $other0 != - && $other1 != - ]] && ((other0 > 10 || other1 > 10)); then
        noisy_steps+=("$name@$rate (other load cpu$SERVER_CPU $other0%, cpu$SIPP_CPU $other1%)")
    fi

    local why=()
    ((failed == 0)) || why+=("failed")
    ((in_time * 100 >= calls * 97)) || why+=("late")
    ((retr * 200 < calls)) || why+=("retrans")
    local clean="yes"
    if ((${#why[@]})); then clean="no($(IFS=,; echo "${why[*]}"))"; fi
    row "$name" "$rate" "$ok" "$failed" "$retr" "$cpu" "$clean"
    local unfinished=$((calls - ok - failed))
    detail "$name" "$rate" "$calls" "$ok" "$in_time" "$unfinished" "$failed" "$retr" "$cpu" "$sched" \
        "$((t1 - t0))" "$sock_drops" "$((e1 - e0))" "${uac_cpu:--}" "$other0" "$other1" "$el" "$rc"
    echo "   completed=$ok (in time $in_time, unfinished $unfinished) failed=$failed retrans=$retr" \
        "cpu_us/call=$cpu (ticks $((t1 - t0)), schedstat ${sched}) drops: server socket $sock_drops," \
        "all UDP $((e1 - e0)); uac cpu ${uac_cpu:--}%; other load cpu$SERVER_CPU $other0%, cpu$SIPP_CPU $other1%;" \
        "sipp ${el}s rc=$rc -> $clean" >&2
}

{
    echo "compare.sh: servers=[$SERVERS] rates=[$RATES] duration=${DURATION}s; server CPU $SERVER_CPU, SIPp CPU $SIPP_CPU; CLK_TCK=$clk_tck; UDP_BUF=${UDP_BUF:-tool defaults}; logs in $OUT_DIR"
    echo "  $(sipp -v 2>/dev/null | awk 'NF { $1 = $1; print; exit }'); $(kamailio -v 2>/dev/null | head -n1 || echo 'no kamailio')"
    if [[ -x $CALLSHARD_BIN ]]; then
        echo "  callshard: $CALLSHARD_BIN $(stat -c '%s bytes, modified %y' "$CALLSHARD_BIN" | cut -d. -f1), sha256 $(sha256sum "$CALLSHARD_BIN" | cut -c1-12)"
    fi
} | tee "$OUT_DIR/run.txt" >&2
for name in $SERVERS; do
    case "$name" in
        callshard | callshard_poll | callshard_ok | callshard_poll_ok)
            if ! callshard_ok; then
                echo "compare.sh: '$CALLSHARD_BIN serve --help' does not work; skipping $name" >&2
                row "$name" - - - - - "no(callshard serve unavailable)"
                continue
            fi ;;
        kamailio)
            command -v kamailio >/dev/null 2>&1 || { row kamailio - - - - - "no(kamailio not installed)"; continue; } ;;
        sipp_uas) ;;
        *) echo "compare.sh: unknown server '$name' (callshard, callshard_poll, callshard_ok, callshard_poll_ok, kamailio, sipp_uas)" >&2; exit 2 ;;
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
    END { for (i = 1; i <= n; i++) printf "  %-18s %s\n", order[i], best[order[i]] }' "$results"
if ((${#noisy_steps[@]})); then
    echo "warning: other processes used >10% of a CPU during: ${noisy_steps[*]}"
fi
echo "(per-step diagnostics in $OUT_DIR/details.tsv; SIPp stat CSVs and logs in $OUT_DIR)"
