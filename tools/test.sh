#!/usr/bin/env bash
# Installs what the build needs, builds offline and runs every test, then
# prints "N passed, N failed" counted from the individual test cases in
# bazel-testlogs/**/test.xml. Exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

bash tools/install_deps.sh || { echo "dependency install failed"; echo "0 passed, 1 failed"; exit 1; }

mapfile -t targets < <(bazel query 'tests(//...)' 2>/dev/null)
if [ ${#targets[@]} -eq 0 ]; then
  echo "bazel query found no tests"; echo "0 passed, 1 failed"; exit 1
fi
# Drop results of earlier runs so only this run is counted.
for t in "${targets[@]}"; do
  rm -f "bazel-testlogs/$(echo "${t#//}" | tr ':' '/')/test.xml" 2>/dev/null
done

# Every test runs each time, so each test.xml is from this run.
bazel test --keep_going --nocache_test_results "${targets[@]}"
bazel_rc=$?

/usr/bin/python3 tools/count_tests.py "${targets[@]}"
count_rc=$?
if [ $bazel_rc -ne 0 ] || [ $count_rc -ne 0 ]; then exit 1; fi
exit 0
