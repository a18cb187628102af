#!/usr/bin/env bash
# //deploy:prometheus_rules_test with Debian's python3 and promtool.
set -euo pipefail
exec /usr/bin/python3 "$TEST_SRCDIR/cvm_provisioner/deploy/tests/check_rules.py"
