#!/usr/bin/env bash
# Parse benchmark: callshard against rsip on three messages (benches/parse.rs), then a summary
# of criterion's median time per message and callshard's speed-up over rsip.
#
# Usage: perf/parse_bench.sh [criterion args...]   (e.g. --measurement-time 1, or a filter)
# Works from any directory. The bench is pinned to CPU 1 with taskset when available; set
# PARSE_BENCH_CPU to pick another CPU, or PARSE_BENCH_CPU= (empty) to not pin.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

target_dir="${CARGO_TARGET_DIR:-target}"
criterion_dir="$target_dir/criterion"
groups=(invite_sdp ok_200 wsinv)
cpu="${PARSE_BENCH_CPU-1}"

# Build first, unpinned, so compilation may use every core.
cargo bench --bench parse --no-run

pin=()
if [[ -n "$cpu" ]] && command -v taskset >/dev/null 2>&1; then
    if taskset -c "$cpu" true 2>/dev/null; then
        pin=(taskset -c "$cpu")
    else
        echo "parse_bench: cannot pin to CPU $cpu; running unpinned" >&2
    fi
fi

# Estimates older than this run (a function that no longer runs) are not reported.
marker="$(mktemp)"
trap 'rm -f "$marker"' EXIT

echo "+ ${pin[*]+${pin[*]} }cargo bench --bench parse -- $*"
${pin[@]+"${pin[@]}"} cargo bench --bench parse -- "$@"

# Median point estimate (ns) of <group>/<function> from this run, or "-".
median_ns() {
    local f="$criterion_dir/$1/$2/new/estimates.json" v=""
    if [[ -f "$f" && "$f" -nt "$marker" ]]; then
        v="$(sed -n 's/.*"median":{"confidence_interval":{[^}]*},"point_estimate":\([^,}]*\).*/\1/p' "$f")"
    fi
    echo "${v:--}"
}

echo
echo "median ns/message${pin[*]+ (${pin[*]})}"
echo "  index     = callshard Message::index       vs rsip_parse = rsip SipMessage::try_from"
echo "  validated = callshard Message::parse (index + header validation)"
echo "  fields    = callshard parse + Call-ID, CSeq, branch, tags  vs rsip = try_from + the same typed fields"
echo "  typed     = callshard parse_for_transaction (Request-URI, Date, Contact left for later) + the same fields"
{
    for g in "${groups[@]}"; do
        printf '%s %s %s %s %s %s %s\n' "$g" \
            "$(median_ns "$g" callshard_index)" \
            "$(median_ns "$g" rsip_parse)" \
            "$(median_ns "$g" callshard_validated)" \
            "$(median_ns "$g" callshard)" \
            "$(median_ns "$g" callshard_typed)" \
            "$(median_ns "$g" rsip)"
    done
} | awk '
    BEGIN {
        printf "%-11s %9s %11s %8s %10s %9s %9s %9s %8s\n", "message", "index", "rsip_parse", "ratio", "validated", "fields", "typed", "rsip", "ratio"
    }
    function ns(x) { return x == "-" ? "-" : sprintf("%.0f", x) }
    function ratio(a, b) { return (a != "-" && b != "-" && a > 0) ? sprintf("%.1fx", b / a) : "-" }
    {
        printf "%-11s %9s %11s %8s %10s %9s %9s %9s %8s\n", $1, ns($2), ns($3), ratio($2, $3), ns($4), ns($5), ns($6), ns($7), ratio($5, $7)
    }'
