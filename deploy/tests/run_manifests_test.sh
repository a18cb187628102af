#!/usr/bin/env bash
# //deploy:k8s_manifests_test: validate_manifests.mjs with node's test runner
# (JUnit report for the test count). The npm packages come from
# tools/install_deps.sh, in $CVM_DEPLOY_NODE_MODULES.
set -euo pipefail
export DEPLOY_DIR="$TEST_SRCDIR/cvm_provisioner/deploy"
export DEPLOY_NODE_MODULES="${CVM_DEPLOY_NODE_MODULES:-/var/cache/cvm-provisioner/node-deploy/node_modules}"
if [ ! -d "$DEPLOY_NODE_MODULES/kubernetes-models" ]; then
  echo "missing $DEPLOY_NODE_MODULES/kubernetes-models: run tools/install_deps.sh" >&2
  exit 1
fi
# kubectl (for the kustomize comparison) is found on the machine's PATH.
export PATH="$PATH:/usr/bin:/usr/local/bin"
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination="${XML_OUTPUT_FILE:-/dev/null}" \
  "$DEPLOY_DIR/tests/validate_manifests.mjs"
