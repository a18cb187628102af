#!/usr/bin/env bash
# Starts the CVM emulator on a free port and runs the Node SDK tests against
# it. The SDK comes from tools/install_deps.sh (npm) in $CVM_NODE_MODULES.
set -euo pipefail
root="$TEST_SRCDIR/cvm_provisioner"
modules="${CVM_NODE_MODULES:-/var/cache/cvm-provisioner/node/node_modules}"
if [ ! -d "$modules/tencentcloud-sdk-nodejs-cvm" ]; then
  echo "missing $modules/tencentcloud-sdk-nodejs-cvm: run tools/install_deps.sh" >&2
  exit 1
fi
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
export NODE_PATH="$modules"
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination="${XML_OUTPUT_FILE:-/dev/null}" \
  "$root/tests/node/emulator_sdk_test.js"
