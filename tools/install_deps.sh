#!/usr/bin/env bash
# Installs every Debian package the build, the service and the tests need.
# Idempotent: skips apt entirely when everything is already installed.
# grpc-proto: grpc.health / grpc.reflection protos (test clients).
# golang-github-gogo-googleapis-dev: google/rpc/{status,error_details}.proto.
# libpq-dev: the PostgreSQL store's client library; postgresql-15: the server
# its tests start themselves (initdb into a temp dir, store/postgres_test_server.h).
# clang + libclang-rt-14-dev: the libFuzzer targets (fuzz/, ASan + UBSan).
set -euo pipefail

PACKAGES=(
  bazel-bootstrap g++ pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libssl-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcurl4-openssl-dev nlohmann-json3-dev libsqlite3-dev libcpp-httplib-dev
  libpq-dev postgresql-15
  python3 python3-grpcio python3-protobuf python3-yaml
  prometheus curl
  grpc-proto golang-github-gogo-googleapis-dev
  clang libclang-rt-14-dev
)

# npm packages pinned in a package.json, installed into a directory of their
# own with the machine's Node.js (20 or newer: the tests use node:test's junit
# reporter); skipped when every pinned version is already there.
# tests/node: the official Tencent Cloud Node SDK (an independent client of the
# emulator) and @grpc/grpc-js + @grpc/proto-loader (the provisioner's Node
# client). deploy/tests: Kubernetes schemas for the manifest checks.
install_node_packages() {
  local manifest="$1" dir="$2" name version stale=0
  while read -r name version; do
    grep -qs "\"version\": \"$version\"" "$dir/node_modules/$name/package.json" || stale=1
  done < <(sed -n 's/^ *"\([@a-z/.-]*\)": "\([0-9][0-9.]*\)",\{0,1\}$/\1 \2/p' "$manifest")
  [ "$stale" -eq 0 ] && return 0
  if ! command -v npm >/dev/null; then
    apt-get update -q && apt-get install -y -q --no-install-recommends nodejs npm
  fi
  mkdir -p "$dir"
  cp "$manifest" "$dir/package.json"
  (cd "$dir" && npm install --no-package-lock --no-audit --no-fund --loglevel=error)
}

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# CVM_DEPS_CHECK_ONLY=1 (the doc test, tests/docs, which runs tools/run.sh
# inside a Bazel test): install nothing, fail naming what is missing.
if [ "${CVM_DEPS_CHECK_ONLY:-0}" = 1 ]; then
  [ ${#missing[@]} -eq 0 ] && exit 0
  echo "missing packages: ${missing[*]} (run tools/install_deps.sh)" >&2
  exit 1
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
install_node_packages tests/node/package.json "${CVM_NODE_DIR:-/var/cache/cvm-provisioner/node}"
install_node_packages deploy/tests/package.json \
  "${CVM_DEPLOY_NODE_DIR:-/var/cache/cvm-provisioner/node-deploy}"
