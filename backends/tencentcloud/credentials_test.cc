#include "backends/tencentcloud/credentials.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace cvm::tencentcloud {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A local HTTP server on a free port, for the metadata service and STS.
class LocalServer {
 public:
  LocalServer() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  httplib::Server& http() { return server_; }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY",
                             "TENCENTCLOUD_SESSION_TOKEN", "TKE_PROVIDER_ID",
                             "TKE_WEB_IDENTITY_TOKEN_FILE", "TKE_ROLE_ARN", "TKE_REGION"}) {
      unsetenv(name);
    }
    tmp_ = std::getenv("TEST_TMPDIR");
    profile_ = tmp_ + "/credentials";
    std::remove(profile_.c_str());
    options_.profile_path = profile_;
    // Nothing listens on port 1: the CVM role source is absent by default.
    options_.metadata_endpoint = "http://127.0.0.1:1";
    options_.sts_endpoint = "http://127.0.0.1:1";
    options_.clock = &clock_;
  }
  std::string tmp_, profile_;
  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  ChainOptions options_;
};

TEST_F(CredentialsTest, StaticProviderReturnsItsCredentials) {
  auto credentials = StaticCredentialsProvider({"id", "key", "token"})->Get();
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->secret_id, "id");
  EXPECT_EQ(credentials->token, "token");
}

TEST_F(CredentialsTest, EnvironmentComesFirst) {
  std::ofstream(profile_) << "[default]\nsecret_id = file-id\nsecret_key = file-key\n";
  setenv("TENCENTCLOUD_SECRET_ID", "env-id", 1);
  setenv("TENCENTCLOUD_SECRET_KEY", "env-key", 1);
  setenv("TENCENTCLOUD_SESSION_TOKEN", "env-token", 1);
  auto credentials = DefaultCredentialsChain(options_)->Get();
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->secret_id, "env-id");
  EXPECT_EQ(credentials->token, "env-token");
}

TEST_F(CredentialsTest, ProfileFileDefaultSectionIsNext) {
  std::ofstream(profile_) << "# keys\n[other]\nsecret_id = wrong\nsecret_key = wrong\n"
                          << "[default]\nsecret_id = file-id\nsecret_key = file-key\n";
  auto credentials = DefaultCredentialsChain(options_)->Get();
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->secret_id, "file-id");
  EXPECT_EQ(credentials->secret_key, "file-key");
}

TEST_F(CredentialsTest, RotatedProfileKeysArePickedUpOnTheNextGet) {
  auto chain = DefaultCredentialsChain(options_);
  std::ofstream(profile_) << "[default]\nsecret_id = v1\nsecret_key = k1\n";
  EXPECT_EQ(chain->Get()->secret_id, "v1");
  std::ofstream(profile_, std::ios::trunc) << "[default]\nsecret_id = v2\nsecret_key = k2\n";
  EXPECT_EQ(chain->Get()->secret_id, "v2");
}

TEST_F(CredentialsTest, CvmRoleCredentialsAreCachedAndRefreshedBeforeExpiry) {
  LocalServer metadata;
  std::atomic<int> fetches{0};
  const std::string base = "/latest/meta-data/cam/security-credentials/";
  metadata.http().Get(base, [](const httplib::Request&, httplib::Response& r) {
    r.set_content("provisioner-role\n", "text/plain");
  });
  metadata.http().Get(base + "provisioner-role",
                      [&](const httplib::Request&, httplib::Response& r) {
                        const int n = ++fetches;
                        r.set_content(nlohmann::json{{"Code", "Success"},
                                                     {"TmpSecretId", absl::StrCat("tmp-id-", n)},
                                                     {"TmpSecretKey", "tmp-key"},
                                                     {"Token", "tmp-token"},
                                                     {"ExpiredTime", 1700003600}}
                                          .dump(),
                                      "application/json");
                      });
  options_.metadata_endpoint = metadata.url();
  auto chain = DefaultCredentialsChain(options_);
  auto first = chain->Get();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->secret_id, "tmp-id-1");
  EXPECT_EQ(first->token, "tmp-token");
  EXPECT_EQ(first->expires, absl::FromUnixSeconds(1700003600));
  clock_.Advance(absl::Minutes(50));  // 10 minutes left: still cached
  EXPECT_EQ(chain->Get()->secret_id, "tmp-id-1");
  clock_.Advance(absl::Minutes(6));  // 4 minutes left: refreshed
  EXPECT_EQ(chain->Get()->secret_id, "tmp-id-2");
  EXPECT_EQ(fetches.load(), 2);
}

TEST_F(CredentialsTest, TkeOidcExchangesTheTokenThroughSts) {
  LocalServer sts;
  nlohmann::json seen_body;
  std::string seen_auth, seen_action;
  sts.http().Post("/", [&](const httplib::Request& request, httplib::Response& r) {
    seen_auth = request.get_header_value("Authorization");
    seen_action = request.get_header_value("X-TC-Action");
    seen_body = nlohmann::json::parse(request.body);
    r.set_content(nlohmann::json{{"Response",
                                  {{"Credentials",
                                    {{"Token", "oidc-token"},
                                     {"TmpSecretId", "oidc-id"},
                                     {"TmpSecretKey", "oidc-key"}}},
                                   {"ExpiredTime", 1700007200},
                                   {"RequestId", "r1"}}}}
                      .dump(),
                  "application/json");
  });
  options_.sts_endpoint = sts.url();
  std::ofstream(tmp_ + "/token") << "eyJ.web.identity\n";
  setenv("TKE_PROVIDER_ID", "oidc-provider", 1);
  setenv("TKE_WEB_IDENTITY_TOKEN_FILE", (tmp_ + "/token").c_str(), 1);
  setenv("TKE_ROLE_ARN", "qcs::cam::uin/1:roleName/provisioner", 1);
  setenv("TKE_REGION", "ap-guangzhou", 1);
  auto credentials = DefaultCredentialsChain(options_)->Get();
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->secret_id, "oidc-id");
  EXPECT_EQ(credentials->token, "oidc-token");
  EXPECT_EQ(seen_auth, "SKIP");
  EXPECT_EQ(seen_action, "AssumeRoleWithWebIdentity");
  EXPECT_EQ(seen_body["WebIdentityToken"], "eyJ.web.identity");
  EXPECT_EQ(seen_body["ProviderId"], "oidc-provider");
  EXPECT_EQ(seen_body["RoleArn"], "qcs::cam::uin/1:roleName/provisioner");
}

TEST_F(CredentialsTest, NothingAnywhereIsUnauthenticatedNamingTheSourcesNotTheSecrets) {
  setenv("TENCENTCLOUD_SECRET_ID", "only-the-id", 1);  // half a pair does not count
  std::ofstream(profile_) << "[default]\nsecret_key = orphan-secret\n";
  absl::Status status = DefaultCredentialsChain(options_)->Get().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(status.message()), HasSubstr("TENCENTCLOUD_SECRET_ID"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("CVM role"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("TKE OIDC"));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("orphan-secret")));
}

}  // namespace
}  // namespace cvm::tencentcloud
