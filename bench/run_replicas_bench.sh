#!/usr/bin/env bash
# The cost of sharing one cloud account's rate limits across replicas: slot
# takes (in-process vs PostgreSQL, 1 and 3 takers, against a bare SELECT 1),
# and purchases/s, p99 and the cloud pace with 1 replica (SQLite, PostgreSQL)
# and 3 replicas (PostgreSQL), in one run.
# Usage: bench/run_replicas_bench.sh [PURCHASES]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bazel build -c opt //bench:replicas_bench >/dev/null 2>&1 || bazel build -c opt //bench:replicas_bench
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
TEST_SRCDIR="$PWD/bazel-bin/bench/replicas_bench.runfiles" TEST_TMPDIR="$work" \
  bazel-bin/bench/replicas_bench "$@"
