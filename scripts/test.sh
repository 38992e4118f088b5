#!/usr/bin/env bash
# The whole test suite: unit, integration, property, differential and RFC 4475 tests, the
# real server under real SIPp, the examples/ programs (which --all-targets builds) run by
# tests/examples.rs, the benchmarks' own checks (run once each in test mode), and the doc
# tests. Installs what the tests need when it is missing, so it works on a fresh machine
# (Debian; run as root or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "cargo is required (rustup toolchain)" >&2; exit 1; }

# SIPp (Debian: sip-tester) for the SIPp tests, Kamailio for the scale-out test.
missing=()
command -v sipp >/dev/null || missing+=(sip-tester)
command -v kamailio >/dev/null || missing+=(kamailio)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} for the tests" >&2
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cargo test --all-targets
cargo test --doc
