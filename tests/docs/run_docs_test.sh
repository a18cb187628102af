#!/usr/bin/env bash
# //tests/docs:docs_test in a network namespace of its own (loopback only), so
# the fixed ports the docs show (50051, 9000, 9464) are the test's alone;
# Debian's python3 (grpcio) runs docs_test.py.
set -euo pipefail
root="$TEST_SRCDIR/cvm_provisioner"
if [ -z "${DOCTEST_IN_NETNS:-}" ]; then
  export DOCTEST_IN_NETNS=1
  if unshare --net -- true 2>/dev/null; then
    exec unshare --net -- bash -c 'ip link set lo up && exec bash "$0"' "$0"
  fi
  # Not root: the host's loopback, where another service on those ports
  # would make the test fail (it says which port).
  echo "docs_test: no network namespace of its own (needs root); using the host's ports" >&2
fi
exec /usr/bin/python3 "$root/tests/docs/docs_test.py"
