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

# server_pids WRAPPER: every process in the process group of the `timeout` wrapper WRAPPER but
# the wrapper itself, comma-separated (Kamailio forks; callshard is one process), or the
# wrapper when there is none.
server_pids() {
    local wrapper=$1 pids
    pids="$(pgrep -d, -g "$(ps -o pgid= "$wrapper" | tr -d ' ')" | sed "s/\\b$wrapper,\\?//")"
    echo "${pids:-$wrapper}"
}
