// The exit codes of provisionctl (documented in `provisionctl --help`).
#ifndef CVM_PROVISIONER_CLI_EXIT_CODES_H_
#define CVM_PROVISIONER_CLI_EXIT_CODES_H_

namespace cvm::cli {

enum ExitCode : int {
  kExitOk = 0,
  // The command line could not be turned into a request (unknown command or
  // flag, malformed value, unreadable --spec_file).
  kExitUsage = 1,
  // The service answered INVALID_ARGUMENT (or OUT_OF_RANGE, ALREADY_EXISTS:
  // the request itself must change).
  kExitInvalidArgument = 2,
  // FAILED_PRECONDITION or RESOURCE_EXHAUSTED: stock, quota, balance, price.
  kExitPrecondition = 3,
  kExitNotFound = 4,
  // UNAVAILABLE or DEADLINE_EXCEEDED: retry with the same --request_id.
  kExitUnavailable = 5,
  // A watched order ended FAILED.
  kExitOrderFailed = 6,
  kExitOther = 7,
};

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_EXIT_CODES_H_
