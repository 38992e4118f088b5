#!/usr/bin/env bash
# Every scenario through `callshard relay` at LOSS percent loss each way (default 5), plus
# 1 % duplicated and 1 % reordered (DUPLICATE, REORDER), with the seeds of
# tests/serve_sipp_lossy.rs unless SEED is given: run.sh's table, with what the relay did.
#
#   sipp_stress/run_lossy.sh                    all scenarios (about 70 s)
#   LOSS=10 SEED=7 sipp_stress/run_lossy.sh basic_call hold_resume
#
# Everything else as run.sh (sipp_stress/README.md); the relay: sipp_stress/lib/relay.sh.
set -euo pipefail
LOSS="${LOSS:-5}" exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/run.sh" "$@"
