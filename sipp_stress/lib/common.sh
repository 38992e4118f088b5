# shellcheck shell=bash
# Shared by run.sh and ramp.sh (sourced, not run). Bash, under `set -euo pipefail`.
#
# Environment (all optional):
#   CALLSHARD_BIN  server binary            default <repo>/target/release/callshard (built if missing)
#   SERVER_ADDR    where the server listens default 127.0.0.1:5060
#   SKIP_SERVER=1  use a server already running at SERVER_ADDR; start and stop nothing
#   MOCK=1         no callshard: each scenario runs against a SIPp mock UAS (mock/*.xml) on
#                  SERVER_ADDR, to check the scenarios and scripts themselves
#   UAC_PORT       SIPp's own SIP port      default 5070
#   SERVER_ARGS    more `callshard serve` options, word-split (e.g. "--max-calls 1000000")
#   SIPP           the sipp binary          default sipp

STRESS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$STRESS_DIR/.." && pwd)"
SCEN_DIR="$STRESS_DIR/scenarios"
MOCK_DIR="$STRESS_DIR/mock"
RESULTS_DIR="${RESULTS_DIR:-$STRESS_DIR/results}"

CALLSHARD_BIN="${CALLSHARD_BIN:-$REPO_DIR/target/release/callshard}"
SERVER_ADDR="${SERVER_ADDR:-127.0.0.1:5060}"
SERVER_IP="${SERVER_ADDR%:*}"
SERVER_PORT="${SERVER_ADDR##*:}"
SKIP_SERVER="${SKIP_SERVER:-0}"
MOCK="${MOCK:-0}"
UAC_PORT="${UAC_PORT:-5070}"
SIPP="${SIPP:-sipp}"
SERVER_ARGS="${SERVER_ARGS:-}"

SERVER_PID=""
MOCK_PID=""
SIPP_PID=""

log() { printf '%s %s\n' "[$(date +%H:%M:%S)]" "$*" >&2; }
die() { log "error: $*"; exit 2; }

check_loopback() {
    case "$SERVER_IP" in
        127.*) ;;
        *) die "SERVER_ADDR=$SERVER_ADDR: these tests send loopback traffic only (127.x.x.x)" ;;
    esac
    [[ "$SERVER_PORT" =~ ^[0-9]+$ ]] || die "SERVER_ADDR=$SERVER_ADDR: no port"
    [[ "$UAC_PORT" != "$SERVER_PORT" ]] || die "UAC_PORT and the server port are both $UAC_PORT"
}

need_sipp() {
    command -v "$SIPP" >/dev/null 2>&1 || die "sipp not found (Debian: apt-get install sip-tester)"
}

# udp_port_owner PORT: the "users:(...)" of whoever has the UDP port bound, or nothing.
udp_port_owner() {
    ss -Hlunp "sport = :$1" 2>/dev/null | sed -n 's/.*users:/users:/p' | head -1
}

# Builds the server if the binary is missing, or has no `serve` command yet.
ensure_server_binary() {
    if [[ ! -x "$CALLSHARD_BIN" ]] || ! "$CALLSHARD_BIN" serve --help >/dev/null 2>&1; then
        [[ "$CALLSHARD_BIN" == "$REPO_DIR/target/release/callshard" ]] \
            || die "CALLSHARD_BIN=$CALLSHARD_BIN is not an executable with a 'serve' command"
        log "building callshard (cargo build --release)"
        (cd "$REPO_DIR" && cargo build --release --bin callshard) >&2
        "$CALLSHARD_BIN" serve --help >/dev/null 2>&1 \
            || die "$CALLSHARD_BIN has no 'serve' command"
    fi
}

# start_server LOGFILE MAX_SECONDS [CPU_LIST] [extra serve args...]
# Starts `callshard serve` in the background (under `timeout`, so it cannot outlive
# MAX_SECONDS even if this script is killed) and waits until it has bound its port.
start_server() {
    local logfile=$1 max_s=$2 cpus=${3:-}
    shift 3 || shift $#
    local -a pin=()
    [[ -n "$cpus" ]] && pin=(taskset -c "$cpus")
    ensure_server_binary
    local owner
    owner=$(udp_port_owner "$SERVER_PORT")
    [[ -z "$owner" ]] || die "UDP port $SERVER_PORT is already in use ($owner); set SERVER_ADDR, or SKIP_SERVER=1 to use that server"
    log "starting: ${pin[*]} $CALLSHARD_BIN serve --listen $SERVER_ADDR --shards 1 --stats-interval 0 $*"
    timeout -k 5 "$max_s" "${pin[@]}" "$CALLSHARD_BIN" serve --listen "$SERVER_ADDR" \
        --shards 1 --stats-interval 0 "$@" >"$logfile" 2>&1 &
    SERVER_PID=$!
    local _
    for _ in $(seq 1 100); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID" || true
            SERVER_PID=""
            cat "$logfile" >&2
            die "the server exited at start"
        fi
        [[ -n "$(udp_port_owner "$SERVER_PORT")" ]] && return 0
        sleep 0.1
    done
    die "the server did not bind $SERVER_ADDR within 10 s"
}

# stop_server: SIGTERM, then up to 10 s for it to exit; prints and returns its exit code.
stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    local pid=$SERVER_PID rc=0 _
    SERVER_PID=""
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid" || rc=$?
        log "the server had already exited, code $rc"
        return 1
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "the server ignored SIGTERM for 10 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" || true
        return 1
    fi
    wait "$pid" || rc=$?
    log "server stopped by SIGTERM, exit code $rc"
    return "$rc"
}

server_alive() {
    [[ "$SKIP_SERVER" == 1 || "$MOCK" == 1 ]] && return 0
    [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null
}

# mock_for SCENARIO: the mock UAS that plays callshard's part for that scenario.
mock_for() {
    case "$1" in
        forking_test) echo "$SCEN_DIR/forking_uas.xml" ;;
        *) echo "$MOCK_DIR/$1.xml" ;;
    esac
}

# start_mock SCENARIO_FILE CALLS MAX_SECONDS DIR [CPU_LIST]: a SIPp UAS on SERVER_ADDR.
# SCENARIO_FILE "uas" means SIPp's built-in UAS (-sn uas).
start_mock() {
    local file=$1 calls=$2 max_s=$3 dir=$4 cpus=${5:-}
    local -a pin=() sf=(-sf "$file")
    [[ -n "$cpus" ]] && pin=(taskset -c "$cpus")
    [[ "$file" == uas ]] && sf=(-sn uas)
    local owner
    owner=$(udp_port_owner "$SERVER_PORT")
    [[ -z "$owner" ]] || die "UDP port $SERVER_PORT is already in use ($owner)"
    (cd "$dir" && exec timeout -k 5 "$((max_s + 10))" "${pin[@]}" "$SIPP" "${sf[@]}" \
        -i "$SERVER_IP" -p "$SERVER_PORT" -mp 17000 -m "$calls" -buff_size 4194304 \
        -timeout "${max_s}s" -timeout_error -trace_err -error_file mock_errors.log \
        -nostdin >/dev/null 2>mock.err) &
    MOCK_PID=$!
    local _
    for _ in $(seq 1 50); do
        [[ -n "$(udp_port_owner "$SERVER_PORT")" ]] && return 0
        kill -0 "$MOCK_PID" 2>/dev/null || { cat "$dir/mock.err" >&2; die "mock UAS exited at start"; }
        sleep 0.1
    done
    die "mock UAS did not bind $SERVER_ADDR"
}

# wait_mock: its exit code (0 when all its calls succeeded).
wait_mock() {
    [[ -n "$MOCK_PID" ]] || return 0
    local rc=0
    wait "$MOCK_PID" || rc=$?
    MOCK_PID=""
    return "$rc"
}

# Kills only what this script started, by PID.
cleanup_children() {
    local p
    for p in "$SIPP_PID" "$MOCK_PID"; do
        if [[ -n "$p" ]]; then kill -TERM "$p" 2>/dev/null || true; fi
    done
    SIPP_PID="" MOCK_PID=""
    if [[ -n "$SERVER_PID" ]]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        sleep 0.5
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}

# stat_fields CSV COLUMN...: values of the named columns in the last line of a SIPp
# -trace_stat file, tab-separated (empty when the column does not exist).
stat_fields() {
    local csv=$1
    shift
    awk -F';' -v want="$*" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        { last = $0 }
        END {
            n = split(want, w, " ")
            split(last, f, ";")
            for (i = 1; i <= n; i++) printf "%s%s", (w[i] in col ? f[col[w[i]]] : ""), (i < n ? "\t" : "\n")
        }' "$csv"
}

# hms_to_ms "HH:MM:SS:UUUUUU" -> milliseconds (SIPp's response time format).
hms_to_ms() {
    awk -v t="$1" 'BEGIN { n = split(t, a, ":"); if (n < 4) { print "-"; exit }
        printf "%.3f\n", (a[1] * 3600 + a[2] * 60 + a[3]) * 1000 + a[4] / 1000 }'
}

# rtt_summary RTT_CSV: "count avg p50 p90 p99 p99.9 max" in ms, from SIPp's -trace_rtt file
# (one line per response time measured, 1 ms resolution).
rtt_summary() {
    local f=$1
    if [[ ! -s "$f" ]]; then
        echo "0 - - - - - -"
        return
    fi
    awk -F';' 'NR > 1 && $2 != "" { print $2 }' "$f" | sort -g | awk '
        { v[NR] = $1; s += $1 }
        function pct(p,  k) { k = int(p * NR + 0.999999); if (k < 1) k = 1; if (k > NR) k = NR; return v[k] }
        END {
            if (NR == 0) { print "0 - - - - - -"; exit }
            printf "%d %.2f %s %s %s %s %s\n", NR, s / NR, pct(0.50), pct(0.90), pct(0.99), pct(0.999), v[NR]
        }'
}

# failure_kinds CSV: the non-zero Failed*(C) counters, as "Name=N,Name=N".
failure_kinds() {
    awk -F';' '
        NR == 1 { for (i = 1; i <= NF; i++) name[i] = $i; next }
        { last = $0 }
        END {
            n = split(last, f, ";"); out = ""
            for (i = 1; i <= n; i++)
                if (name[i] ~ /^Failed.*\(C\)$/ && name[i] != "FailedCall(C)" && f[i] + 0 > 0) {
                    k = name[i]; sub(/^Failed/, "", k); sub(/\(C\)$/, "", k)
                    out = out (out == "" ? "" : ",") k "=" f[i]
                }
            print out
        }' "$1"
}

# first_errors ERRORS_LOG N: the first N events of a SIPp error file, one line each (SIPp
# runs them together), cut to 300 characters.
first_errors() {
    sed 's/\([0-9]\{4\}-[0-9][0-9]-[0-9][0-9]\t[0-9:.]*\t\)/\n\1/g' "$1" |
        grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}' | head -"$2" | cut -c1-300 || true
}

# udp_drops PORT: datagrams the kernel dropped (receive buffer full) on the UDP sockets bound
# to that local port, summed, from /proc/net/udp (IPv4) and /proc/net/udp6.
udp_drops() {
    local hex
    hex=$(printf '%04X' "$1")
    cat /proc/net/udp /proc/net/udp6 2>/dev/null |
        awk -v p=":$hex" 'NR > 1 && substr($2, length($2) - 4) == p { d += $NF } END { print d + 0 }'
}
