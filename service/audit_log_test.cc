#include "service/audit_log.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace cvm {
namespace {

TEST(AuditLogTest, AppendsOneJsonLinePerEntryAcrossReopens) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/audit.jsonl";
  FakeClock clock;
  {
    auto log = AuditLog::Open(path, &clock);
    ASSERT_TRUE(log.ok()) << log.status();
    (*log)->Record({"team-a", "Purchase", "req-1", "ord-1", absl::OkStatus()});
  }
  auto log = AuditLog::Open(path, &clock);
  ASSERT_TRUE(log.ok());
  (*log)->Record({"team-b", "StopInstance", "", "", absl::NotFoundError("instance ins-2 not found"),
                  "ins-2"});
  EXPECT_EQ((*log)->write_errors(), 0);
  std::ifstream file(path);
  std::string first, second, extra;
  ASSERT_TRUE(std::getline(file, first));
  ASSERT_TRUE(std::getline(file, second));
  EXPECT_FALSE(std::getline(file, extra));
  const auto a = nlohmann::json::parse(first);
  EXPECT_EQ(a["tenant"], "team-a");
  EXPECT_EQ(a["action"], "Purchase");
  EXPECT_EQ(a["request_id"], "req-1");
  EXPECT_EQ(a["order_id"], "ord-1");
  EXPECT_EQ(a["code"], "OK");
  const auto b = nlohmann::json::parse(second);
  EXPECT_EQ(b["tenant"], "team-b");
  EXPECT_EQ(b["code"], "NOT_FOUND");
  EXPECT_EQ(b["instance_id"], "ins-2");
  EXPECT_FALSE(a.contains("instance_id"));
}

TEST(AuditLogTest, AnUnwritablePathIsUnavailable) {
  FakeClock clock;
  EXPECT_EQ(AuditLog::Open("/nonexistent-dir/audit.jsonl", &clock).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cvm
