#include "service/authenticator.h"

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using provisioning::config::v1::AuthConfig;
using ::testing::HasSubstr;
using ::testing::Not;

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(AuthenticatorTest, PlaintextMustBeExplicit) {
  absl::Status status = Authenticator::Create(AuthConfig()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("insecure_plaintext"));
  AuthConfig config;
  config.set_insecure_plaintext(true);
  auto auth = Authenticator::Create(config);
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_TRUE((*auth)->plaintext());
}

TEST(AuthenticatorTest, IncompleteOrContradictoryConfigsNameTheField) {
  AuthConfig only_cert;
  only_cert.set_tls_cert_file("/x/cert.pem");
  EXPECT_THAT(std::string(Authenticator::Create(only_cert).status().message()),
              HasSubstr("auth.tls_key_file"));
  AuthConfig both = only_cert;
  both.set_tls_key_file("/x/key.pem");
  both.set_insecure_plaintext(true);
  EXPECT_THAT(std::string(Authenticator::Create(both).status().message()),
              HasSubstr("auth.insecure_plaintext"));
  AuthConfig no_identity = only_cert;
  no_identity.set_tls_key_file("/x/key.pem");
  EXPECT_THAT(std::string(Authenticator::Create(no_identity).status().message()),
              HasSubstr("client_ca_file or tokens_file"));
  AuthConfig ca_without_tls;
  ca_without_tls.set_insecure_plaintext(true);
  ca_without_tls.set_client_ca_file("/x/ca.pem");
  EXPECT_THAT(std::string(Authenticator::Create(ca_without_tls).status().message()),
              HasSubstr("auth.client_ca_file"));
  AuthConfig missing_files = no_identity;
  missing_files.set_client_ca_file("/x/ca.pem");
  EXPECT_EQ(Authenticator::Create(missing_files).status().code(), absl::StatusCode::kNotFound);
}

TEST(AuthenticatorTest, BearerTokensMapToTheirTenantAndAreNeverEchoed) {
  AuthConfig config;
  config.set_insecure_plaintext(true);
  config.set_tokens_file(WriteFile("tokens", "# tenant token\nteam-a s3cret-a\n\nteam-b s3cret-b\n"));
  auto auth = Authenticator::Create(config);
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(*(*auth)->TenantOfBearer("Bearer s3cret-a"), "team-a");
  EXPECT_EQ(*(*auth)->TenantOfBearer("Bearer s3cret-b"), "team-b");
  absl::Status unknown = (*auth)->TenantOfBearer("Bearer guessed-token").status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(unknown.message()), Not(HasSubstr("guessed-token")));
  EXPECT_EQ((*auth)->TenantOfBearer("Basic abc").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ((*auth)->TenantOfBearer("").status().code(), absl::StatusCode::kNotFound);
}

TEST(AuthenticatorTest, TokensFileErrorsNameTheLine) {
  auto bad = LoadTokens(WriteFile("bad-tokens", "team-a s3cret\nteam-b\n"));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("line 2"));
  auto twice = LoadTokens(WriteFile("twice", "team-a same\nteam-b same\n"));
  EXPECT_THAT(std::string(twice.status().message()), HasSubstr("twice"));
  EXPECT_EQ(LoadTokens("/nonexistent/tokens").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cvm
