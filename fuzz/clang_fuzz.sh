#!/usr/bin/env bash
# Compiles and links libFuzzer targets with Debian's clang, outside Bazel's gcc
# toolchain (run by the genrules of fuzz/fuzz.bzl, inside Bazel's sandbox).
#
#   clang_fuzz.sh compile ours|generated OUT.o SRC.cc GENDIR
#   clang_fuzz.sh link OUT OBJ.o...
#
# Our code is instrumented for coverage (libFuzzer) and checked by ASan and
# UBSan, every UBSan finding fatal; protoc's generated code gets ASan only;
# the system libraries (protobuf, Abseil, OpenSSL, curl, prometheus-cpp) are
# linked as Debian ships them.
set -euo pipefail

CXX="${FUZZ_CXX:-clang++}"
SANITIZERS="address,undefined"

case "$1" in
  compile)
    kind="$2" out="$3" src="$4" gendir="$5"
    flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -Wall -Wno-sign-compare
           -I. -I"$gendir" -I"$gendir/proto" -I"$gendir/external/googleapis_rpc")
    if [ "$kind" = ours ]; then
      flags+=(-fsanitize=fuzzer-no-link,"$SANITIZERS" -fno-sanitize-recover=all)
    else
      flags+=(-fsanitize=address)
    fi
    exec "$CXX" "${flags[@]}" -c "$src" -o "$out"
    ;;
  link)
    out="$2"
    shift 2
    # shellcheck disable=SC2046  # pkg-config prints one word per flag
    exec "$CXX" -fsanitize=fuzzer,"$SANITIZERS" "$@" -o "$out" \
      $(pkg-config --libs protobuf libssl libcrypto libcurl absl_statusor absl_str_format \
          absl_synchronization absl_time absl_cord absl_random_random absl_hash \
          absl_raw_hash_set absl_flags) \
      -lprometheus-cpp-core -lpthread -ldl
    ;;
  *)
    echo "usage: $0 compile ours|generated OUT SRC GENDIR | link OUT OBJ..." >&2
    exit 2
    ;;
esac
