#!/usr/bin/env bash
# Installs what the build needs, builds offline and starts the service on its
# embedded default: the SQLite store and the tencentcloud backend talking to
# the local CVM emulator (no credentials, no network). The emulator starts
# empty, so each run uses a fresh database (its path is printed).
#   gRPC     127.0.0.1:50051
#   metrics  127.0.0.1:9464/metrics
#   emulator 127.0.0.1:9000 (Tencent Cloud's API; POST /_emulator/advance
#            {"Seconds": N} moves its clock)
# Extra arguments go to the server. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bazel build //service:provisioner //backends/tencentcloud/emulator:cvm_emulator_server \
  //proto:provisioning_py
bazel-bin/backends/tencentcloud/emulator/cvm_emulator_server --port=9000 \
  --config=backends/tencentcloud/emulator/default_config.textproto &
emulator=$!
trap 'kill $emulator 2>/dev/null || true' EXIT INT TERM
state="$(mktemp -d /tmp/cvm-provisioner.XXXXXX)"
echo "orders are kept in $state/orders.db"
bazel-bin/service/provisioner --config=deploy/config/local-emulator.textproto \
  --store="sqlite:$state/orders.db" "$@"
