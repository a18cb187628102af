#!/usr/bin/env bash
# //tests/docs:doc_commands_test with Debian's python3.
set -euo pipefail
exec /usr/bin/python3 "$TEST_SRCDIR/cvm_provisioner/tests/docs/doc_commands_test.py"
