#!/usr/bin/env bash
# Starts the CVM emulator on a free port and runs the Node SDK tests against
# it. The SDK comes from tools/install_deps.sh (npm) in $CVM_NODE_MODULES.
set -euo pipefail
root="$TEST_SRCDIR/cvm_provisioner"
source "$root/tests/node/node_test_lib.sh"
use_node_modules tencentcloud-sdk-nodejs-cvm tencentcloud-sdk-nodejs-common
out="$TEST_TMPDIR/emulator.out"
"$root/backends/tencentcloud/emulator/cvm_emulator_server" --port=0 \
  --config="$root/backends/tencentcloud/emulator/default_config.textproto" > "$out" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q 'listening on port' "$out" && break
  sleep 0.1
done
export EMULATOR_PORT="$(grep -o 'listening on port [0-9]*' "$out" | awk '{print $4}')"
export EMULATOR_SECRET_ID="AKIDEMULATOR0000000000000000000000"
export EMULATOR_SECRET_KEY="emulator-secret-key-0000000000000"
run_node_tests "$root/tests/node/emulator_sdk_test.js"
