// provisionctl run against an in-process fake service (cli/fake_service.h)
// with its output captured, for the client's command tests.
#ifndef CVM_PROVISIONER_CLI_COMMAND_TEST_SUPPORT_H_
#define CVM_PROVISIONER_CLI_COMMAND_TEST_SUPPORT_H_

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"

namespace cvm::cli::testing {

// Runs `provisionctl --server=TARGET ARGS...` (stdout not a terminal).
class ProvisionctlRunner {
 public:
  explicit ProvisionctlRunner(std::string target) : target_(std::move(target)) {}

  // The exit code; out() and err() hold what this run wrote.
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), absl::StrCat("--server=", target_));
    out_.str("");
    err_.str("");
    Environment environment;
    environment.out = &out_;
    environment.err = &err_;
    return RunProvisionctl(args, environment);
  }
  std::string out() const { return out_.str(); }
  std::string err() const { return err_.str(); }

 private:
  const std::string target_;
  std::ostringstream out_;
  std::ostringstream err_;
};

}  // namespace cvm::cli::testing

#endif  // CVM_PROVISIONER_CLI_COMMAND_TEST_SUPPORT_H_
