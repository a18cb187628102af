// provisionctl's flags parsed with the real command table, for the client's
// request-building tests.
#ifndef CVM_PROVISIONER_CLI_TEST_FLAGS_H_
#define CVM_PROVISIONER_CLI_TEST_FLAGS_H_

#include <string>
#include <vector>

#include "cli/usage.h"
#include "gtest/gtest.h"

namespace cvm::cli::testing {

// The flags of `provisionctl ARGS...` (a parse error fails the test).
inline ParsedFlags FlagsOf(const std::vector<std::string>& args) {
  absl::StatusOr<CommandLine> line = ParseProvisionctlArgs(args);
  EXPECT_TRUE(line.ok()) << line.status();
  return line.ok() ? line->flags : ParsedFlags();
}

}  // namespace cvm::cli::testing

#endif  // CVM_PROVISIONER_CLI_TEST_FLAGS_H_
