#!/usr/bin/env bash
# Watch fan-out against the floor of gRPC on this machine, in one run: a bare
# callback-API server (bench/watch_floor_server.cc) and the real provisioner,
# interleaved for 4 rounds each (each side first in half of them), 10,000 streams (100 per connection). Prints
# per side p50/p99/max delivery delay of single changes and of bursts of 4,
# server CPU per delivered change, RSS per stream, the ratios service / floor
# and the verdicts; exits 1 unless every stream saw every revision once, in
# order.
# Usage: bench/run_watch_bench.sh [STREAMS] [ROUNDS] [extra watch_bench flags]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bazel build -c opt //bench:watch_bench >/dev/null 2>&1 || bazel build -c opt //bench:watch_bench
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec bazel-bin/bench/watch_bench --streams="${1:-10000}" --rounds="${2:-4}" "${@:3}"
