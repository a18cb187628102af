#!/usr/bin/env bash
# Installs every Debian package the build, the service and the tests need.
# Idempotent: skips apt entirely when everything is already installed.
# grpc-proto: grpc.health / grpc.reflection protos (test clients).
# golang-github-gogo-googleapis-dev: google/rpc/{status,error_details}.proto.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap g++ pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libssl-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcurl4-openssl-dev nlohmann-json3-dev libsqlite3-dev libcpp-httplib-dev
  python3 python3-grpcio python3-protobuf
  prometheus curl
  grpc-proto golang-github-gogo-googleapis-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
