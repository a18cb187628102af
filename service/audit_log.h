// An append-only audit log: who bought, quoted and terminated what.
//
// One JSON object per line: {"time", "tenant", "action", "request_id",
// "order_id", "code", "reason"}, and "instance_id" for the per-instance
// operations. Only identifiers and outcomes are written,
// never request bodies, credentials or tokens. Lines are flushed as written,
// so a crash loses at most the line being written.
//
// Contract: thread-safe. Record() never fails the call it records: a write
// error is reported once on stderr and counted (write_errors()).
#ifndef CVM_PROVISIONER_SERVICE_AUDIT_LOG_H_
#define CVM_PROVISIONER_SERVICE_AUDIT_LOG_H_

#include <cstdio>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"

namespace cvm {

struct AuditEntry {
  std::string tenant;
  std::string action;  // "Purchase", "Quote", "Terminate", "StopInstance" ...
  std::string request_id;
  std::string order_id;
  absl::Status outcome;
  std::string instance_id;  // written when set
};

class AuditLog {
 public:
  // Opens `path` for appending (created if missing); UNAVAILABLE if it cannot.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path, Clock* clock);
  ~AuditLog();

  void Record(const AuditEntry& entry);
  int write_errors() const;

 private:
  AuditLog(std::FILE* file, Clock* clock) : file_(file), clock_(clock) {}

  std::FILE* const file_;
  Clock* const clock_;
  mutable absl::Mutex mu_;
  int write_errors_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_AUDIT_LOG_H_
