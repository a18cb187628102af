// OpenStore by URI: each scheme gives every member, SQLite's file is durable
// (a group written through one opening is read through the next), and a bad
// URI is INVALID_ARGUMENT on "store" naming the schemes.
#include "store/open_store.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/status_details.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using provisioning::v1::NodeGroup;

void ExpectEveryMember(const OpenedStore& opened) {
  EXPECT_NE(opened.orders, nullptr);
  EXPECT_NE(opened.leases, nullptr);
  EXPECT_NE(opened.rate_slots, nullptr);
  EXPECT_NE(opened.verdicts, nullptr);
  EXPECT_NE(opened.node_groups, nullptr);
}

TEST(OpenStoreTest, MemoryHasEveryMemberAndClaimsOfItsOwn) {
  FakeClock clock;
  for (const std::string uri : {"memory", "memory:"}) {
    absl::StatusOr<OpenedStore> opened = OpenStore(uri, &clock);
    ASSERT_TRUE(opened.ok()) << uri << ": " << opened.status();
    ExpectEveryMember(*opened);
    EXPECT_FALSE(opened->leases->shared());
  }
}

TEST(OpenStoreTest, SqliteKeepsGroupsAcrossOpenings) {
  FakeClock clock;
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/open-store.db");
  for (const std::string& uri : {"sqlite:" + path, "sqlite:" + path + "?sync=normal"}) {
    absl::StatusOr<OpenedStore> opened = OpenStore(uri, &clock);
    ASSERT_TRUE(opened.ok()) << uri << ": " << opened.status();
    ExpectEveryMember(*opened);
    EXPECT_FALSE(opened->leases->shared());
  }
  {
    absl::StatusOr<OpenedStore> opened = OpenStore("sqlite:" + path, &clock);
    ASSERT_TRUE(opened.ok()) << opened.status();
    NodeGroup group;
    group.set_tenant("acme");
    group.set_group_id("workers");
    ASSERT_TRUE(opened->node_groups->Create(group).ok());
  }
  absl::StatusOr<OpenedStore> reopened = OpenStore("sqlite:" + path + "?sync=normal", &clock);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  absl::StatusOr<NodeGroup> group = reopened->node_groups->Get("acme", "workers");
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ(group->revision(), 1);
}

TEST(OpenStoreTest, AnUnknownSchemeOrAnEmptyPathIsInvalidOnStore) {
  FakeClock clock;
  for (const std::string uri : {"", "mysql:db", "sqlite:", "postgres:", "Memory", "memory:db"}) {
    absl::StatusOr<OpenedStore> opened = OpenStore(uri, &clock);
    ASSERT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument) << uri;
    auto bad = GetDetail<google::rpc::BadRequest>(opened.status());
    ASSERT_TRUE(bad.has_value()) << uri;
    ASSERT_EQ(bad->field_violations_size(), 1);
    EXPECT_EQ(bad->field_violations(0).field(), "store");
    EXPECT_NE(opened.status().message().find("memory, sqlite:PATH"), std::string::npos)
        << opened.status();
  }
}

}  // namespace
}  // namespace cvm
