#!/usr/bin/env bash
# Signs one RunInstances request with our TC3 signer and with the official
# Tencent Node SDK in the same run, checks both produce the same
# Authorization header, and prints the speed ratio (target: ours >= 15x).
# Usage: bench/run_signer_bench.sh [ITERATIONS_PER_ROUND]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bazel build -c opt //bench:signer_bench >/dev/null 2>&1 || bazel build -c opt //bench:signer_bench
iterations="${1:-200000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Five alternating rounds; each side's median round is compared.
ours_runs=(); node_runs=()
for round in 1 2 3 4 5; do
  bazel-bin/bench/signer_bench "$work/body.json" "$iterations" > "$work/ours.txt"
  NODE_PATH="${CVM_NODE_DIR:-/var/cache/cvm-provisioner/node}/node_modules" \
    node bench/signer_bench.js "$work/body.json" "$iterations" > "$work/node.txt"
  ours_runs+=("$(sed -n 's/^ns_per_signature //p' "$work/ours.txt")")
  node_runs+=("$(sed -n 's/^ns_per_signature //p' "$work/node.txt")")
  ours_header=$(sed -n 's/^header //p' "$work/ours.txt")
  node_header=$(sed -n 's/^header //p' "$work/node.txt")
  if [ "$ours_header" != "$node_header" ]; then
    echo "MISMATCH: the signers disagree"; echo " ours: $ours_header"; echo " node: $node_header"
    exit 1
  fi
done
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
ours_ns=$(median "${ours_runs[@]}")
node_ns=$(median "${node_runs[@]}")
echo "body: $(sed -n 's/^body_bytes //p' "$work/ours.txt") bytes, $iterations signatures per round"
echo "ours:     ${ours_runs[*]} ns/signature (median $ours_ns)"
echo "node sdk: ${node_runs[*]} ns/signature (median $node_ns)"
echo "same Authorization header: yes"
awk -v a="$node_ns" -v b="$ours_ns" 'BEGIN { printf "ratio (node / ours, medians): %.1fx\n", a / b }'
