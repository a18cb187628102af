#include "service/audit_log.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status_details.h"
#include "nlohmann/json.hpp"

namespace cvm {

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path,
                                                         Clock* clock) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("audit log ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<AuditLog>(new AuditLog(file, clock));
}

AuditLog::~AuditLog() { std::fclose(file_); }

void AuditLog::Record(const AuditEntry& entry) {
  nlohmann::json line = {
      {"time", absl::FormatTime(absl::RFC3339_full, clock_->Now(), absl::UTCTimeZone())},
      {"tenant", entry.tenant},
      {"action", entry.action},
      {"request_id", entry.request_id},
      {"order_id", entry.order_id},
      {"code", absl::StatusCodeToString(entry.outcome.code())},
      {"reason", ErrorReason(entry.outcome)},
  };
  if (!entry.instance_id.empty()) line["instance_id"] = entry.instance_id;
  const std::string text = line.dump() + "\n";
  absl::MutexLock lock(&mu_);
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() ||
      std::fflush(file_) != 0) {
    if (write_errors_++ == 0) {
      std::fprintf(stderr, "provisioner: audit log write failed: %s\n", std::strerror(errno));
    }
  }
}

int AuditLog::write_errors() const {
  absl::MutexLock lock(&mu_);
  return write_errors_;
}

}  // namespace cvm
