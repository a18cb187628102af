#!/usr/bin/env bash
# Runs tools/check_layering.py over the workspace the test was built from.
# The check reads every source file, so the test is tagged "external" (never
# cached: it always reads the tree as it is) and "no-sandbox" (the runfiles
# link back into the workspace, which is found from this script's real path).
set -euo pipefail
script="$(readlink -f "${BASH_SOURCE[0]}")"
root="$(dirname "$(dirname "$script")")"
exec /usr/bin/python3 "$root/tools/check_layering.py" --root "$root"
