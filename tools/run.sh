#!/usr/bin/env bash
# Installs what the build needs, builds offline and starts the service on its
# embedded default: in-memory store and the fake backend (no credentials).
# gRPC on 127.0.0.1:50051, Prometheus metrics on 127.0.0.1:9464/metrics.
# Extra arguments are passed to the server (e.g. --listen=0.0.0.0:50051).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
bazel build //service:provisioner //proto:provisioning_py @googleapis_rpc//:rpc_py
exec bazel-bin/service/provisioner --config=deploy/config/fake.textproto "$@"
