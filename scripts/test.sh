#!/usr/bin/env bash
# The whole test suite: unit, integration, property, differential and RFC 4475 tests, the
# benchmarks' own checks (run once each in test mode), and the doc tests.
# Installs what the tests need when it is missing, so it works on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "cargo is required (rustup toolchain)" >&2; exit 1; }

cargo test --all-targets
cargo test --doc
