# Sourced by the tests/node run scripts: the npm packages from
# tools/install_deps.sh on NODE_PATH, and node --test with a JUnit report in
# $XML_OUTPUT_FILE (so Bazel's test.xml counts each case).

# Puts $CVM_NODE_MODULES on NODE_PATH; fails naming the first missing package.
use_node_modules() {
  local modules="${CVM_NODE_MODULES:-/var/cache/cvm-provisioner/node/node_modules}" package
  for package in "$@"; do
    if [ ! -d "$modules/$package" ]; then
      echo "missing $modules/$package: run tools/install_deps.sh" >&2
      exit 1
    fi
  done
  export NODE_PATH="$modules"
}

# Runs the given test files, the spec report on stdout.
run_node_tests() {
  node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=junit --test-reporter-destination="${XML_OUTPUT_FILE:-/dev/null}" "$@"
}
