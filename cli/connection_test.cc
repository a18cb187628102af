#include "cli/connection.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cvm::cli {
namespace {

using ::testing::HasSubstr;

TEST(OpenChannelTest, PlaintextByDefault) {
  ParsedFlags flags;
  auto channel = OpenChannel("127.0.0.1:1", flags);
  ASSERT_TRUE(channel.ok()) << channel.status();
  EXPECT_NE(*channel, nullptr);
}

TEST(OpenChannelTest, TokensAndCertificatesNeedTls) {
  for (const char* flag : {"token_file", "tls_cert_file", "tls_server_name"}) {
    ParsedFlags flags;
    flags.Add(flag, "/x");
    absl::Status status = OpenChannel("127.0.0.1:1", flags).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << flag;
    EXPECT_THAT(std::string(status.message()), HasSubstr(std::string("--") + flag));
  }
}

TEST(OpenChannelTest, UnreadableFilesAndHalfACertificateNameTheFlag) {
  ParsedFlags missing_ca;
  missing_ca.Add("tls_ca_file", "/nonexistent/ca.pem");
  EXPECT_THAT(std::string(OpenChannel("127.0.0.1:1", missing_ca).status().message()),
              HasSubstr("--tls_ca_file"));
  ParsedFlags half = missing_ca;
  half.Add("tls_cert_file", "/x/cert.pem");
  EXPECT_THAT(std::string(OpenChannel("127.0.0.1:1", half).status().message()),
              HasSubstr("--tls_key_file"));
}

}  // namespace
}  // namespace cvm::cli
