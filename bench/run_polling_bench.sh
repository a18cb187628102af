#!/usr/bin/env bash
# Cloud calls per polling round for N = 10, 100, 1,000 instances watched by 1
# and by 1,000 Watch subscribers, against naive one-call-per-instance-per-
# watcher polling. Fails unless every round costs ceil(N/100) calls.
# Usage: bench/run_polling_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bazel build -c opt //bench:polling_bench >/dev/null 2>&1 || bazel build -c opt //bench:polling_bench
bazel-bin/bench/polling_bench
