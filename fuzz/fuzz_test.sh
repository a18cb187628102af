#!/usr/bin/env bash
# One fuzzer's CI run: libFuzzer for SECONDS on a scratch copy of its
# checked-in corpus. A crash, a sanitizer report, a FUZZ_CHECK failure, a
# leak or a slow input fails the test; the input is kept in the test's
# undeclared outputs (bazel-testlogs/fuzz/<name>_test/test.outputs/).
# The seed is fixed so that CI walks the same inputs each run (a red CI is
# then a change of the code, not of luck); long runs (run_fuzzers.sh) roam.
#   fuzz_test.sh FUZZER CORPUS_DIR SECONDS [DICT]
set -euo pipefail
fuzzer="$1" corpus="$2" seconds="$3"
dict=()
if [ $# -ge 4 ]; then dict=(-dict="$4"); fi
work="${TEST_TMPDIR:-/tmp}/corpus"
artifacts="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}/"
mkdir -p "$work"
exec "$fuzzer" -seed=1 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts" "${dict[@]}" "$work" "$corpus"
