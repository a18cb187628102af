#!/usr/bin/env bash
# Durable orders accepted per second and p99 Purchase latency against the CVM
# emulator, with the emulator's own RunInstances time and a Describe measured
# in the same run as baselines (targets: >= 2,000 orders/s, p99 <= 2 ms).
# Usage: bench/run_purchase_bench.sh [PURCHASES [CONCURRENCY [full|normal]]]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bazel build -c opt //bench:purchase_bench >/dev/null 2>&1 || bazel build -c opt //bench:purchase_bench
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
TEST_SRCDIR="$PWD/bazel-bin/bench/purchase_bench.runfiles" TEST_TMPDIR="$work" \
  bazel-bin/bench/purchase_bench "$@"
