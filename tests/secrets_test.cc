// Secrets never leave their files: after a run that used a cloud secret key,
// a wrong one, a bearer token and a guessed token, none of them appears in
// the service's output, its error messages, /metrics, the audit log or the
// store. (The API takes login key ids, never passwords.)
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Order;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "tok-9c1d7e55aa";
constexpr char kGuessedToken[] = "tok-guess-31337";
constexpr char kWrongSecretKey[] = "wrong-secret-key-4242424242";

std::string Backend(const std::string& name, int port, const std::string& secret_key) {
  return absl::StrCat(
      "backends { name: \"", name, "\" plugin: \"tencentcloud\" config {\n",
      "  [type.googleapis.com/provisioning.tencentcloud.v1.TencentCloudConfig] {\n",
      "    endpoint_override: \"http://127.0.0.1:", port, "\"\n",
      "    currency: \"CNY\"\n",
      "    credentials { secret_id: \"", tencentcloud::kTestSecretId, "\" secret_key: \"",
      secret_key, "\" } } } }\n");
}

TEST(SecretsTest, NoSecretAppearsInOutputErrorsMetricsAuditLogOrStore) {
  auto emulator = tencentcloud::EmulatorServer::Start(tencentcloud::TestWorld(), "127.0.0.1", 0);
  ASSERT_TRUE(emulator.ok()) << emulator.status();
  std::ofstream(TmpPath("tokens")) << "team-a " << kToken << "\n";
  // team-a buys in ap-guangzhou with the right key; ap-shanghai goes to a
  // backend holding a wrong key, so the cloud refuses its signatures.
  std::ofstream(TmpPath("secrets.textproto"))
      << Backend("good", (*emulator)->port(), tencentcloud::kTestSecretKey)
      << Backend("bad", (*emulator)->port(), kWrongSecretKey)
      << "routes { regions: \"ap-guangzhou\" backend: \"good\" }\n"
      << "routes { regions: \"ap-shanghai\" backend: \"bad\" }\n"
      << "auth { insecure_plaintext: true tokens_file: \"" << TmpPath("tokens") << "\" }\n";
  auto server = ServerProcess::Start(
      TmpPath("secrets.textproto"),
      {absl::StrCat("--audit_log=", TmpPath("audit.jsonl")),
       absl::StrCat("--store=sqlite:", TmpPath("secrets.db"))},
      /*capture_stderr=*/true);
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = NewStub((*server)->target());
  auto as = [](const char* token) {
    auto context = ContextWithDeadline(30);
    context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    return context;
  };
  std::vector<std::string> errors;
  Order good;
  ASSERT_TRUE(stub->Purchase(as(kToken).get(), PurchaseOf("good", 1), &good).ok());
  auto bad_request = PurchaseOf("bad", 1);
  bad_request.mutable_spec()->set_region("ap-shanghai");
  bad_request.mutable_spec()->set_zone("ap-shanghai-2");
  Order bad;
  ASSERT_TRUE(stub->Purchase(as(kToken).get(), bad_request, &bad).ok());
  // The wrong key's order fails on the cloud's signature check.
  for (int i = 0; i < 100; ++i) {
    provisioning::v1::DescribeRequest request;
    request.add_order_ids(bad.order_id());
    provisioning::v1::DescribeResponse response;
    ASSERT_TRUE(stub->Describe(as(kToken).get(), request, &response).ok());
    if (response.orders(0).state() == Order::FAILED) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  Order again;
  grpc::Status refusal = stub->Purchase(as(kToken).get(), bad_request, &again);
  EXPECT_FALSE(refusal.ok());
  errors.push_back(refusal.error_message() + refusal.error_details());
  grpc::Status guessed = stub->Purchase(as(kGuessedToken).get(), PurchaseOf("x", 1), &again);
  EXPECT_EQ(guessed.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  errors.push_back(guessed.error_message() + guessed.error_details());
  auto metrics = HttpGet((*server)->metrics_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  ASSERT_EQ((*server)->Stop(absl::Seconds(30)).value_or(-1), 0);

  const std::vector<std::pair<std::string, std::string>> places = {
      {"service output", (*server)->Output()},
      {"errors", absl::StrCat(errors[0], errors[1])},
      {"metrics", *metrics},
      {"audit log", ReadFile(TmpPath("audit.jsonl"))},
      {"store", ReadFile(TmpPath("secrets.db")) + ReadFile(TmpPath("secrets.db-wal"))}};
  for (const auto& [where, text] : places) {
    EXPECT_FALSE(text.empty()) << where << " is empty: nothing was checked";
    for (const char* secret :
         {tencentcloud::kTestSecretKey, kWrongSecretKey, kToken, kGuessedToken}) {
      EXPECT_THAT(text, Not(HasSubstr(secret))) << where << " holds a secret";
    }
  }
  // The run did use the cloud and fail on the wrong key (so the checks above
  // covered real error paths).
  EXPECT_THAT(ReadFile(TmpPath("audit.jsonl")), HasSubstr("\"tenant\":\"team-a\""));
  EXPECT_THAT(errors[0], HasSubstr("AuthFailure"));
}

}  // namespace
}  // namespace cvm::testing
