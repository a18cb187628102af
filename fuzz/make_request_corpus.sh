#!/usr/bin/env bash
# Regenerates corpus/request_validation_fuzzer/ from seeds/request_validation/:
# each <kind>_<name>.textproto becomes the fuzzer's input, one selector byte
# (purchase 0, quote 1, describe 2, watch 3, terminate 4) and the request in
# binary format (protoc --encode).
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/corpus/request_validation_fuzzer
mkdir -p "$out"
for seed in fuzz/seeds/request_validation/*.textproto; do
  name="$(basename "$seed" .textproto)"
  case "$name" in
    purchase_*) selector='\x00' message=PurchaseRequest ;;
    quote_*) selector='\x01' message=QuoteRequest ;;
    describe_*) selector='\x02' message=DescribeRequest ;;
    watch_*) selector='\x03' message=WatchRequest ;;
    terminate_*) selector='\x04' message=TerminateRequest ;;
    *) echo "$seed: unknown request kind" >&2; exit 1 ;;
  esac
  {
    printf "$selector"
    protoc -Iproto -I/usr/include --encode="provisioning.v1.$message" \
      provisioning/v1/provisioning.proto < "$seed"
  } > "$out/seed_$name"
done
ls "$out"
