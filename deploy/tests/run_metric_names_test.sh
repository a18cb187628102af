#!/usr/bin/env bash
# //deploy:metric_names_test with Debian's python3 (grpcio, yaml) and the
# generated stubs from the runfiles on PYTHONPATH.
set -euo pipefail
root="$TEST_SRCDIR/cvm_provisioner"
export PYTHONPATH="$root/proto:$TEST_SRCDIR/googleapis_rpc:$root/tests/python"
exec /usr/bin/python3 "$root/deploy/tests/metric_names_test.py"
