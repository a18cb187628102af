#!/usr/bin/env bash
# Long fuzzing runs: every fuzzer (or the ones named) for SECONDS each, one
# after the other, then a summary line per fuzzer.
#
#   bash fuzz/run_fuzzers.sh [SECONDS] [NAME...]     (default 600 s each)
#
# NAME is a target in fuzz/BUILD.bazel, e.g. tencent_response_fuzzer. Each
# run starts from the checked-in corpus (fuzz/corpus/NAME) plus what earlier
# long runs found, kept in $FUZZ_WORK/NAME (default
# /var/tmp/cvm-provisioner-fuzz); crashes and their inputs go to
# $FUZZ_WORK/artifacts/. Exits non-zero when any fuzzer found something.
# FUZZ_MERGE=1 afterwards merges the grown corpus into fuzz/corpus/NAME,
# keeping only inputs that add coverage (then commit them).
set -uo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-600}"
shift || true
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=(request_validation_fuzzer tencent_response_fuzzer emulator_request_fuzzer
         service_config_fuzzer)
fi
work="${FUZZ_WORK:-/var/tmp/cvm-provisioner-fuzz}"
mkdir -p "$work/artifacts"

bash tools/install_deps.sh || { echo "dependency install failed"; exit 1; }
targets=()
for name in "${names[@]}"; do targets+=("//fuzz:$name"); done
bazel build "${targets[@]}" || exit 1

summary=()
found=0
for name in "${names[@]}"; do
  corpus="$work/$name"
  log="$work/$name.log"
  mkdir -p "$corpus"
  dict=()
  if [ -f "fuzz/dicts/$name.dict" ]; then dict=(-dict="fuzz/dicts/$name.dict"); fi
  echo "== $name: $seconds s (log $log)"
  start=$(date +%s)
  "bazel-bin/fuzz/$name.bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/$name-" "${dict[@]}" \
    "$corpus" "fuzz/corpus/$name" > "$log" 2>&1
  rc=$?
  elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  units=$(find "$corpus" -type f | wc -l)
  if [ $rc -eq 0 ]; then
    result="nothing found"
  else
    found=1
    what=$(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|FUZZ_CHECK failed|what\(\)' "$log")
    result="FOUND: ${what:-exit $rc} ($(grep -o "Test unit written to .*" "$log" | cut -d' ' -f5))"
  fi
  summary+=("$name: ${elapsed} s, ${execs:-?} executions, coverage ${cov:-?} edges, corpus $units inputs: $result")
  if [ "${FUZZ_MERGE:-0}" = 1 ] && [ $rc -eq 0 ]; then
    "bazel-bin/fuzz/$name.bin" -merge=1 "fuzz/corpus/$name" "$corpus" >> "$log" 2>&1
  fi
done

echo
printf '%s\n' "${summary[@]}"
exit $found
