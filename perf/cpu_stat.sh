#!/usr/bin/env bash
# CPU per call of several servers under the same SIPp load, measured in interleaved rounds
# with `perf stat` on the server's processes over the same window of each run: CPU time, and
# per call the system calls, context switches, page faults and softirqs (on loopback one
# NET_RX softirq per datagram sent) that make up the kernel's share. Interleaving (server A,
# B, C, then A, B, C again) spreads the host's noise over all servers; the table gives the
# median of the rounds and, for each server, the median of its per-round ratio to the first
# server in SERVERS.
#
#   perf/cpu_stat.sh                                   # 4 000 calls/s, 3 rounds
#   RATE=10000 ROUNDS=5 SERVERS="kamailio callshard" perf/cpu_stat.sh
#
# Servers: kamailio (perf/kamailio-stateless.cfg, TLSF, every process counted), callshard
# (--io uring), callshard_poll (--io poll), callshard_ok and callshard_poll_ok (--route '*=ok':
# a 200 without a 180, the same datagrams as Kamailio). Each run: the server pinned to CPU 0,
# SIPp's built-in `uac` pinned to CPU 1 at RATE for LOAD_SECONDS, `perf stat` for
# STAT_SECONDS after WARM_SECONDS; loopback only, every process bounded by `timeout`.
#
# Environment: SERVERS ["kamailio callshard callshard_ok callshard_poll"], RATE [4000],
# ROUNDS [3], LOAD_SECONDS [14], WARM_SECONDS [3], STAT_SECONDS [8], PORT [5094],
# CALLSHARD_BIN [target/release/callshard], OUT_DIR [a new /tmp dir].
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=perf/lib.sh
source perf/lib.sh

SERVERS="${SERVERS:-kamailio callshard callshard_ok callshard_poll}"
RATE="${RATE:-4000}"; ROUNDS="${ROUNDS:-3}"; LOAD_SECONDS="${LOAD_SECONDS:-14}"
WARM_SECONDS="${WARM_SECONDS:-3}"; STAT_SECONDS="${STAT_SECONDS:-8}"; PORT="${PORT:-5094}"
BIN="${CALLSHARD_BIN:-target/release/callshard}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/callshard-cpustat.XXXXXX)}"
mkdir -p "$OUT_DIR"
need_tools cpu_stat.sh perf sipp taskset timeout
# Kamailio only when it is measured (Debian: apt-get install -y kamailio).
[[ " $SERVERS " == *" kamailio "* ]] && need_tools cpu_stat.sh kamailio
(( WARM_SECONDS + STAT_SECONDS < LOAD_SECONDS )) || { echo "cpu_stat.sh: WARM_SECONDS + STAT_SECONDS must be under LOAD_SECONDS" >&2; exit 2; }

# One run of server $1 in round $2; appends "server round cpu_ms syscalls cs faults softirqs calls".
run_one() {
    local name=$1 round=$2 log="$OUT_DIR/$1.$2"
    # shellcheck disable=SC2046 # the command is split into words on purpose
    timeout -k 2 "$((LOAD_SECONDS + 15))" taskset -c 0 $(server_cmd cpu_stat.sh "$name" "$PORT" "$BIN") >"$log.server" 2>&1 &
    local srv=$!
    sleep 1
    local pids
    pids="$(server_pids "$srv")"
    timeout -k 2 "$((LOAD_SECONDS + 10))" taskset -c 1 sipp -sn uac "127.0.0.1:$PORT" -i 127.0.0.1 -bind_local \
        -r "$RATE" -m "$((RATE * LOAD_SECONDS))" -timeout "$((LOAD_SECONDS + 5))s" -nostdin \
        -buff_size 4194304 >"$log.sipp" 2>&1 &
    local sipp=$!
    sleep "$WARM_SECONDS"
    perf stat -x, -e raw_syscalls:sys_enter,context-switches,cpu-clock,page-faults,irq:softirq_entry \
        -p "$pids" -- sleep "$STAT_SECONDS" 2>"$log.stat" >/dev/null || true
    wait "$sipp" || true
    kill -TERM "$srv" 2>/dev/null || true
    wait "$srv" 2>/dev/null || true
    local failed
    failed="$(grep -E '^ *Failed call' "$log.sipp" | awk -F'|' '{gsub(/ /, "", $3); print $3}' | tail -1)"
    awk -F, -v name="$name" -v round="$round" -v calls="$((RATE * STAT_SECONDS))" -v failed="${failed:--}" '
        $3 == "raw_syscalls:sys_enter" { sc = $1 }
        $3 == "context-switches" { cs = $1 }
        $3 == "cpu-clock" { ms = $1 }
        $3 == "page-faults" { pf = $1 }
        $3 == "irq:softirq_entry" { si = $1 }
        END { printf "%s %s %.1f %s %s %s %s %s %s\n", name, round, ms, sc, cs, pf, si, calls, failed }
    ' "$log.stat" | tee -a "$OUT_DIR/runs.txt" >&2
}

: >"$OUT_DIR/runs.txt"
echo "cpu_stat.sh: $RATE calls/s, $ROUNDS rounds of: $SERVERS (runs: server round cpu_ms syscalls cs faults softirqs calls failed)" >&2
for round in $(seq 1 "$ROUNDS"); do
    for s in $SERVERS; do
        run_one "$s" "$round"
    done
done

first="${SERVERS%% *}"
awk -v first="$first" -v rate="$RATE" '
    function median(list,   n, a, i, j, t) {
        n = split(list, a, " ")
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    {
        us = $3 * 1000 / $8
        cpu[$1] = cpu[$1] " " us; base[$2 "," $1] = us
        sc[$1] = sc[$1] " " $4 / $8; cs[$1] = cs[$1] " " $5 / $8
        pf[$1] = pf[$1] " " $6 / $8; si[$1] = si[$1] " " $7 / $8
        if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
        rounds[$2] = 1; if ($9 != "0") bad[$1] = bad[$1] " r" $2 ":" $9
    }
    END {
        printf "\n%s calls/s; medians over the rounds, per call\n", rate
        printf "%-18s %9s %9s %8s %8s %8s %9s  %s\n", "server", "cpu_us", "ratio", "syscalls", "ctxsw", "faults", "softirqs", "failed calls"
        for (i = 1; i <= n; i++) {
            s = order[i]; r = ""
            for (k in rounds) if ((k "," first) in base && (k "," s) in base) r = r " " base[k "," s] / base[k "," first]
            printf "%-18s %9.1f %8.2fx %8.2f %8.2f %8.3f %9.2f  %s\n", s, median(cpu[s]), median(r), median(sc[s]), median(cs[s]), median(pf[s]), median(si[s]), (s in bad) ? bad[s] : "none"
        }
        printf "(ratio: median of the per-round ratios to %s)\n", first
    }' "$OUT_DIR/runs.txt"
echo "(runs and logs in $OUT_DIR)"
