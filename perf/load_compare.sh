#!/usr/bin/env bash
# Load generators side by side: SIPp's built-in `uac` and `callshard load`, each pinned to
# CPU 1, against a one-shard `callshard serve` (default route: 180 then 200) pinned to CPU 0,
# at each rate in RATES. For every run: the generator's and the server's CPU per call
# (`perf stat -e cpu-clock` over the same window, after a warm-up), the rate the generator
# really achieved, its failed calls, and whether the run was clean (no failed call and at
# least 95 % of the asked rate: SIPp's pacing falls 1-3 % short at these rates even when
# nothing fails). The summary gives each generator's CPU per call at the
# rates both ran cleanly and its highest clean rate, and the server's highest clean rate under
# `callshard load`.
#
#   perf/load_compare.sh                                        # 8 000-48 000 calls/s
#   RATES="10000 20000" LOAD_SECONDS=8 perf/load_compare.sh
#
# Environment: GENERATORS ["sipp callshard"], RATES ["8000 16000 24000 32000 40000 48000"],
# LOAD_SECONDS [10], WARM_SECONDS [2], STAT_SECONDS [6], PORT [5096], SERVE_ARGS [""],
# LOAD_ARGS [""] (more `callshard load` flags, e.g. "--ramp-ms 1000"),
# CALLSHARD_BIN [target/release/callshard], OUT_DIR [a new /tmp dir]. Loopback only; every
# process is bounded by `timeout`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=perf/lib.sh
source perf/lib.sh

GENERATORS="${GENERATORS:-sipp callshard}"
RATES="${RATES:-8000 16000 24000 32000 40000 48000}"
LOAD_SECONDS="${LOAD_SECONDS:-10}"; WARM_SECONDS="${WARM_SECONDS:-2}"; STAT_SECONDS="${STAT_SECONDS:-6}"
PORT="${PORT:-5096}"; SERVE_ARGS="${SERVE_ARGS:-}"; LOAD_ARGS="${LOAD_ARGS:-}"
BIN="${CALLSHARD_BIN:-target/release/callshard}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/callshard-loadcmp.XXXXXX)}"
mkdir -p "$OUT_DIR"
need_tools load_compare.sh perf sipp taskset timeout python3
[[ -x $BIN ]] || { echo "load_compare.sh: build first (cargo build --release)" >&2; exit 1; }
(( WARM_SECONDS + STAT_SECONDS < LOAD_SECONDS )) || { echo "load_compare.sh: WARM_SECONDS + STAT_SECONDS must be under LOAD_SECONDS" >&2; exit 2; }

gen_cmd() { # generator rate log
    local calls=$(($2 * LOAD_SECONDS))
    case "$1" in
        sipp) echo "sipp -sn uac 127.0.0.1:$PORT -i 127.0.0.1 -r $2 -m $calls -timeout $((LOAD_SECONDS + 40))s -nostdin -buff_size 4194304" ;;
        callshard) echo "$BIN load --target 127.0.0.1:$PORT --rate $2 --calls $calls --json $LOAD_ARGS" ;;
        *) echo "load_compare.sh: unknown generator '$1'" >&2; exit 2 ;;
    esac
}

# cpu_ms STATFILE: the cpu-clock milliseconds perf stat counted, or - when it counted nothing.
cpu_ms() {
    local v=""
    [[ -f $1 ]] && v="$(awk -F, '$3 == "cpu-clock" && $1 ~ /^[0-9.]+$/ { print $1 }' "$1")"
    echo "${v:--}"
}

# port_free: waits (up to 15 s) until no socket holds the server's port: the last server's
# exit may still be releasing it.
port_free() {
    local i
    for i in $(seq 1 150); do
        [[ -z "$(ss -Hlun "sport = :$PORT" 2>/dev/null)" ]] && return 0
        sleep 0.1
    done
    echo "load_compare.sh: port $PORT still held" >&2
}

# One run; appends "generator rate gen_cpu_ms srv_cpu_ms achieved failed p99_ms" to runs.txt.
run_one() {
    local gen=$1 rate=$2 log="$OUT_DIR/$1.$2"
    port_free
    # shellcheck disable=SC2086 # the commands are split into words on purpose
    timeout -k 2 "$((LOAD_SECONDS + 60))" taskset -c 0 "$BIN" serve --listen "127.0.0.1:$PORT" --shards 1 \
        --stats-interval 0 $SERVE_ARGS >"$log.server" 2>&1 &
    local srv=$!
    sleep 1
    # shellcheck disable=SC2046
    timeout -k 2 "$((LOAD_SECONDS + 50))" taskset -c 1 $(gen_cmd "$gen" "$rate") >"$log.gen" 2>"$log.gen.err" &
    local g=$!
    sleep "$WARM_SECONDS"
    local gpid spid # the processes under the `timeout` wrappers
    gpid="$(pgrep -P "$g" | head -1)"; gpid="${gpid:-$g}"
    spid="$(pgrep -P "$srv" | head -1)"; spid="${spid:-$srv}"
    perf stat -x, -e cpu-clock -p "$gpid" -- sleep "$STAT_SECONDS" 2>"$log.gstat" >/dev/null &
    local gstat=$!
    perf stat -x, -e cpu-clock -p "$spid" -- sleep "$STAT_SECONDS" 2>"$log.sstat" >/dev/null || true
    wait "$gstat" || true
    wait "$g" || true
    kill -TERM "$srv" 2>/dev/null || true
    wait "$srv" 2>/dev/null || true
    local achieved failed p99
    if [[ $gen == sipp ]]; then
        achieved="$(grep -E '^ *Call Rate' "$log.gen" | tail -1 | awk -F'|' '{print $3}' | awk '{print $1}')"
        failed="$(grep -E '^ *Failed call' "$log.gen" | tail -1 | awk -F'|' '{gsub(/ /, "", $3); print $3}')"
        p99=-
    else
        read -r achieved failed p99 < <(tail -1 "$log.gen" | python3 -c \
            'import json,sys; j=json.load(sys.stdin); print(j["rate"], j["failed"], j["setup_ms"]["p99"])' 2>/dev/null || echo "- - -")
    fi
    echo "$gen $rate $(cpu_ms "$log.gstat") $(cpu_ms "$log.sstat") ${achieved:--} ${failed:--} $p99" | tee -a "$OUT_DIR/runs.txt" >&2
}

: >"$OUT_DIR/runs.txt"
echo "load_compare.sh: rates $RATES; generators $GENERATORS (runs: generator rate gen_cpu_ms srv_cpu_ms achieved failed setup_p99_ms)" >&2
for rate in $RATES; do
    for g in $GENERATORS; do
        run_one "$g" "$rate"
    done
done

awk -v stat="$STAT_SECONDS" '
    function per_call(ms) { return ms == "-" ? "-" : sprintf("%.1f", ms * 1000 / calls) }
    {
        calls = ($5 == "-" ? $2 : $5) * stat
        clean = ($6 == "0" && $5 != "-" && $5 >= 0.95 * $2)
        printf "%-10s %7d %12s %12s %10s %8s %8s  %s\n", $1, $2, per_call($3), per_call($4), $5, $6, $7, clean ? "clean" : "NOT clean"
        if (clean && $2 > best[$1]) best[$1] = $2
        if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
    }
    BEGIN { printf "\n%-10s %7s %12s %12s %10s %8s %8s\n", "generator", "rate", "gen_us/call", "srv_us/call", "achieved", "failed", "p99_ms" }
    END {
        for (i = 1; i <= n; i++) printf "highest clean rate, %s: %s calls/s\n", order[i], (order[i] in best) ? best[order[i]] : "none"
    }' "$OUT_DIR/runs.txt"
echo "(runs and logs in $OUT_DIR)"
