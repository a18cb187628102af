#!/usr/bin/env bash
# Runs the Node client's test against the real provisioner (it starts the
# binary itself); the protos come from the runfiles, the npm packages from
# tools/install_deps.sh.
set -euo pipefail
root="$TEST_SRCDIR/cvm_provisioner"
source "$root/tests/node/node_test_lib.sh"
use_node_modules @grpc/grpc-js @grpc/proto-loader protobufjs
export PROVISIONER="$root/service/provisioner"
export CONFIG="$root/tests/testdata/fast_fake.textproto"
export PROTO_DIR="$root/proto"
export RPC_PROTO_DIR="$TEST_SRCDIR/googleapis_rpc"
run_node_tests "$root/tests/node/provisioner_client_test.js"
