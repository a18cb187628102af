#!/usr/bin/env bash
# Opens 10,000 Watch streams on the real server binary (fake backend, memory
# store) and a 100-stream baseline in the same run; prints RSS per stream,
# p50/p99/max delay from a change's commit to its delivery on every stream,
# the ratios, and the verdicts (<= 30 KB per stream, p99 <= 50 ms).
# Usage: bench/run_watch_bench.sh [STREAMS] [BASELINE_STREAMS] [extra watch_bench flags]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bazel build -c opt //bench:watch_bench >/dev/null 2>&1 || bazel build -c opt //bench:watch_bench
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec bazel-bin/bench/watch_bench --streams="${1:-10000}" --baseline_streams="${2:-100}" "${@:3}"
