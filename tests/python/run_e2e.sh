#!/usr/bin/env bash
# Runs e2e_test.py with Debian's python3 (which has grpcio) and the generated
# stubs from the test's runfiles on PYTHONPATH.
set -euo pipefail
here="$TEST_SRCDIR/cvm_provisioner/tests/python"
export PYTHONPATH="$TEST_SRCDIR/cvm_provisioner/proto:$TEST_SRCDIR/googleapis_rpc:$here"
exec /usr/bin/python3 "$here/e2e_test.py"
