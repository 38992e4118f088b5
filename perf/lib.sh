# Shared by the perf scripts that start one server under a SIPp load (profile.sh, cpu_stat.sh).
# Source it from the repository root.

# need_tools SCRIPT TOOL...: stops with a one-line error naming the first tool not installed.
need_tools() {
    local who=$1 tool
    shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "$who: '$tool' not found" >&2; exit 1; }
    done
}

# kamailio_cmd PORT: the stateless Kamailio baseline (perf/kamailio-stateless.cfg, TLSF
# allocator) listening on PORT, as words.
kamailio_cmd() {
    echo "kamailio -f perf/kamailio-stateless.cfg -DD -E -x tlsf -X tlsf -m 64 -M 8 -A KAM_PORT=$1"
}

# server_cmd WHO NAME PORT BIN: the command line of one server the comparisons run, as words:
# kamailio (perf/kamailio-stateless.cfg), callshard (--io uring), callshard_poll (--io poll), and
# either with _ok (--route '*=ok': a 200 without a 180, the datagrams Kamailio sends); one
# shard, no live statistics. WHO names the calling script in errors.
server_cmd() {
    local who=$1 name=$2 port=$3 bin=$4
    case "$name" in
        kamailio) kamailio_cmd "$port" ;;
        callshard*)
            [[ -x $bin ]] || { echo "$who: build first (cargo build --release)" >&2; exit 1; }
            local io=uring route=""
            [[ $name == *_poll* ]] && io=poll
            [[ $name == *_ok ]] && route=" --route *=ok"
            echo "$bin serve --listen 127.0.0.1:$port --shards 1 --stats-interval 0 --io $io$route" ;;
        *) echo "$who: unknown server '$name'" >&2; exit 2 ;;
    esac
}

# server_pids WRAPPER: every process in the process group of the `timeout` wrapper WRAPPER but
# the wrapper itself, comma-separated (Kamailio forks; callshard is one process), or the
# wrapper when there is none.
server_pids() {
    local wrapper=$1 pids
    pids="$(pgrep -d, -g "$(ps -o pgid= "$wrapper" | tr -d ' ')" | sed "s/\\b$wrapper,\\?//")"
    echo "${pids:-$wrapper}"
}

# make_cgroup NAME PCT [PERIOD_US]: a cgroup (v1 `cpu` or v2 `cpu.max`) holding its processes
# to PCT % of one CPU in every period (100 ms unless given: a shorter period makes the quota
# stand in for a slower core rather than for one that stops for most of every 100 ms);
# prints the file to write a PID into.
make_cgroup() {
    local name=$1 pct=$2 period=${3:-100000} g
    if [[ -d /sys/fs/cgroup/cpu ]]; then
        g=/sys/fs/cgroup/cpu/$name
        mkdir -p "$g"; echo "$period" >"$g/cpu.cfs_period_us"; echo $((period * pct / 100)) >"$g/cpu.cfs_quota_us"
    else
        g=/sys/fs/cgroup/$name
        mkdir -p "$g"; echo "$((period * pct / 100)) $period" >"$g/cpu.max"
    fi
    echo "$g/cgroup.procs"
}
