// Where the Tencent backend's secrets come from, in the official SDKs' order.
//
//   1. the backend config's fixed credentials (StaticCredentialsProvider);
//   otherwise the chain:
//   2. environment: TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY, optional
//      TENCENTCLOUD_SESSION_TOKEN;
//   3. the profile file (INI, [default], secret_id / secret_key);
//   4. the CVM instance role, from the metadata service
//      (.../latest/meta-data/cam/security-credentials/<role>);
//   5. TKE workload identity: TKE_PROVIDER_ID, TKE_WEB_IDENTITY_TOKEN_FILE,
//      TKE_ROLE_ARN (and TKE_REGION) exchanged through STS
//      AssumeRoleWithWebIdentity (unsigned, Authorization: SKIP).
// Temporary credentials (4, 5) are cached and refreshed `refresh_before`
// their expiry. Endpoints are overridable so each source is testable locally.
//
// Contract: thread-safe. Secrets never appear in error messages.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_CREDENTIALS_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace cvm::tencentcloud {

struct Credentials {
  std::string secret_id;
  std::string secret_key;
  std::string token;  // empty for long-lived keys
  absl::Time expires = absl::InfiniteFuture();
};

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Current credentials; UNAUTHENTICATED when no source has any.
  virtual absl::StatusOr<Credentials> Get() = 0;
};

// Always `credentials`.
std::unique_ptr<CredentialsProvider> StaticCredentialsProvider(Credentials credentials);

struct ChainOptions {
  // Empty: ~/.tencentcloud/credentials.
  std::string profile_path;
  std::string metadata_endpoint = "http://metadata.tencentyun.com";
  std::string sts_endpoint = "https://sts.tencentcloudapi.com";
  absl::Duration refresh_before = absl::Minutes(5);
  Clock* clock = RealClock::Get();
};

// Sources 2-5. Environment and profile are read at each Get(), so rotated
// keys are picked up.
std::unique_ptr<CredentialsProvider> DefaultCredentialsChain(ChainOptions options);

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_CREDENTIALS_H_
