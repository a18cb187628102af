// Where the Tencent backend's secrets come from, in the official SDKs' order.
//
// Implemented sources: fixed credentials from the backend config, then the
// environment (TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY, optional
// TENCENTCLOUD_SESSION_TOKEN), then the profile file (INI, [default],
// secret_id / secret_key). The CVM-role metadata and TKE OIDC sources are
// not implemented yet.
//
// Contract: thread-safe. Secrets never appear in error messages.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_CREDENTIALS_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace cvm::tencentcloud {

struct Credentials {
  std::string secret_id;
  std::string secret_key;
  std::string token;  // empty for long-lived keys
};

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Current credentials; UNAUTHENTICATED when no source has any.
  virtual absl::StatusOr<Credentials> Get() = 0;
};

// Always `credentials`.
std::unique_ptr<CredentialsProvider> StaticCredentialsProvider(Credentials credentials);

// The chain: environment, then `profile_path` (empty: ~/.tencentcloud/credentials).
// Sources are read at each Get(), so rotated keys are picked up.
std::unique_ptr<CredentialsProvider> DefaultCredentialsChain(const std::string& profile_path);

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_CREDENTIALS_H_
