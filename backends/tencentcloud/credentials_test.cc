#include "backends/tencentcloud/credentials.h"

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm::tencentcloud {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("TENCENTCLOUD_SECRET_ID");
    unsetenv("TENCENTCLOUD_SECRET_KEY");
    unsetenv("TENCENTCLOUD_SESSION_TOKEN");
    profile_ = std::string(std::getenv("TEST_TMPDIR")) + "/credentials";
    std::remove(profile_.c_str());
  }
  std::string profile_;
};

TEST_F(CredentialsTest, StaticProviderReturnsItsCredentials) {
  auto provider = StaticCredentialsProvider({"id", "key", "token"});
  auto credentials = provider->Get();
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->secret_id, "id");
  EXPECT_EQ(credentials->token, "token");
}

TEST_F(CredentialsTest, EnvironmentComesFirst) {
  std::ofstream(profile_) << "[default]\nsecret_id = file-id\nsecret_key = file-key\n";
  setenv("TENCENTCLOUD_SECRET_ID", "env-id", 1);
  setenv("TENCENTCLOUD_SECRET_KEY", "env-key", 1);
  setenv("TENCENTCLOUD_SESSION_TOKEN", "env-token", 1);
  auto credentials = DefaultCredentialsChain(profile_)->Get();
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->secret_id, "env-id");
  EXPECT_EQ(credentials->secret_key, "env-key");
  EXPECT_EQ(credentials->token, "env-token");
}

TEST_F(CredentialsTest, ProfileFileDefaultSectionIsNext) {
  std::ofstream(profile_) << "# keys\n[other]\nsecret_id = wrong\nsecret_key = wrong\n"
                          << "[default]\nsecret_id = file-id\nsecret_key = file-key\n";
  auto credentials = DefaultCredentialsChain(profile_)->Get();
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(credentials->secret_id, "file-id");
  EXPECT_EQ(credentials->secret_key, "file-key");
  EXPECT_TRUE(credentials->token.empty());
}

TEST_F(CredentialsTest, RotatedKeysArePickedUpOnTheNextGet) {
  auto chain = DefaultCredentialsChain(profile_);
  std::ofstream(profile_) << "[default]\nsecret_id = v1\nsecret_key = k1\n";
  EXPECT_EQ(chain->Get()->secret_id, "v1");
  std::ofstream(profile_, std::ios::trunc) << "[default]\nsecret_id = v2\nsecret_key = k2\n";
  EXPECT_EQ(chain->Get()->secret_id, "v2");
}

TEST_F(CredentialsTest, NothingAnywhereIsUnauthenticatedWithoutSecrets) {
  setenv("TENCENTCLOUD_SECRET_ID", "only-the-id", 1);  // half a pair does not count
  std::ofstream(profile_) << "[default]\nsecret_key = orphan-secret\n";
  absl::Status status = DefaultCredentialsChain(profile_)->Get().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(status.message()), HasSubstr("TENCENTCLOUD_SECRET_ID"));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("orphan-secret")));
}

}  // namespace
}  // namespace cvm::tencentcloud
