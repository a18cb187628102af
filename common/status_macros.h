// Early-return helpers for absl::Status / absl::StatusOr.
#ifndef CVM_PROVISIONER_COMMON_STATUS_MACROS_H_
#define CVM_PROVISIONER_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CP_CONCAT_INNER_(a, b) a##b
#define CP_CONCAT_(a, b) CP_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function unless it is OK.
#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::absl::Status cp_status_ = (expr);        \
    if (!cp_status_.ok()) return cp_status_;   \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, F());` assigns the value of a StatusOr or returns
// its error from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  CP_ASSIGN_OR_RETURN_IMPL_(CP_CONCAT_(cp_statusor_, __LINE__), lhs, expr)

#define CP_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  if (!statusor.ok()) return statusor.status();        \
  lhs = *std::move(statusor)

#endif  // CVM_PROVISIONER_COMMON_STATUS_MACROS_H_
