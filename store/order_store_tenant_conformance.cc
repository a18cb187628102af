// Conformance cases (order_store_conformance.h) for the tenant-scoped reads
// (order_store.h rule 6): a mutation may not move an order to another
// tenant; a tenant's snapshot and replay hold only that tenant's orders, in
// order id and revision order, and a replay from a revision the log no longer
// holds is OUT_OF_RANGE as EventsAfter() is.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "store/order_store_conformance.h"

namespace cvm {

void CreateOrdersOfTwoTenants(OrderStore& store) {
  for (const std::string tenant : {"team-a", "team-b"}) {
    Order draft = DraftOrder(tenant);
    draft.set_tenant(tenant);
    auto created = store.CreateOrder(draft);
    ASSERT_TRUE(created.ok()) << created.status();
  }
}

void ExpectTheEventsOfTwoTenants(OrderStore& store) {
  for (const auto& [tenant, revision] : {std::pair<std::string, int64_t>{"team-a", 1},
                                         std::pair<std::string, int64_t>{"team-b", 2}}) {
    auto events = store.EventsOfTenantAfter(tenant, 0);
    ASSERT_TRUE(events.ok()) << events.status();
    ASSERT_EQ(events->size(), 1u) << tenant;
    EXPECT_EQ((*events)[0].revision, revision);
    EXPECT_EQ((*events)[0].order.tenant(), tenant);
  }
}

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> IdsOf(const std::vector<Order>& orders) {
  std::vector<std::string> ids;
  for (const Order& order : orders) ids.push_back(order.order_id());
  return ids;
}

// The revisions of `events`, checking that each is `tenant`'s.
std::vector<int64_t> RevisionsOf(const std::vector<OrderEvent>& events, const std::string& tenant) {
  std::vector<int64_t> revisions;
  for (const OrderEvent& event : events) {
    EXPECT_EQ(event.order.tenant(), tenant) << "revision " << event.revision;
    revisions.push_back(event.revision);
  }
  return revisions;
}

TEST_P(OrderStoreConformanceTest, AMutationThatChangesTheTenantIdOrNameIsRefusedAndWritesNothing) {
  const Order a1 = Create("a1", "ap-guangzhou", "team-a");  // revision 1
  int events = 0;
  store_->SetListener([&](const OrderEvent&) { ++events; });
  auto moved = store_->UpdateOrder(a1.order_id(), [](Order& o) {
    o.set_state(Order::CHECKING);
    o.set_tenant("team-b");
    return absl::OkStatus();
  });
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(moved.status().message()), ::testing::HasSubstr("tenant"));
  auto renamed = store_->UpdateOrder(a1.order_id(), [](Order& o) {
    o.set_order_id("ord-other");
    return absl::OkStatus();
  });
  EXPECT_EQ(renamed.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(renamed.status().message()), ::testing::HasSubstr("order_id"));
  auto named = store_->UpdateOrder(a1.order_id(), [](Order& o) {
    o.set_name("orders/ord-other");
    return absl::OkStatus();
  });
  EXPECT_EQ(named.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(named.status().message()), ::testing::HasSubstr("its name"));
  store_->SetListener(nullptr);
  EXPECT_EQ(events, 0);
  auto stored = store_->GetOrder(a1.order_id());
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->tenant(), "team-a");
  EXPECT_EQ(stored->state(), Order::ACCEPTED);
  EXPECT_EQ(stored->revision(), 1);
  auto b = store_->SnapshotOfTenant("team-b");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_THAT(b->orders, IsEmpty());
}

TEST_P(OrderStoreConformanceTest, TenantReadsHoldOnlyThatTenantsOrdersInOrder) {
  const Order a1 = Create("a1", "ap-guangzhou", "team-a");  // revision 1
  const Order b1 = Create("b1", "ap-guangzhou", "team-b");  // 2
  const Order a2 = Create("a2", "ap-shanghai", "team-a");   // 3
  const Order unnamed = Create("u1");                       // 4, the unnamed tenant
  ASSERT_TRUE(store_->UpdateOrder(b1.order_id(), MutateState(Order::CHECKING)).ok());  // 5
  ASSERT_TRUE(store_->UpdateOrder(a1.order_id(), MutateState(Order::CHECKING)).ok());  // 6
  ASSERT_TRUE(store_->UpdateOrder(a2.order_id(), MutateState(Order::FAILED)).ok());    // 7

  auto a = store_->SnapshotOfTenant("team-a");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->revision, 7);
  EXPECT_THAT(IdsOf(a->orders), ElementsAre(a1.order_id(), a2.order_id()));
  EXPECT_EQ(a->orders[0].state(), Order::CHECKING);
  EXPECT_EQ(a->orders[1].state(), Order::FAILED);
  EXPECT_THAT(IdsOf(store_->SnapshotOfTenant("team-b")->orders), ElementsAre(b1.order_id()));
  EXPECT_THAT(IdsOf(store_->SnapshotOfTenant("")->orders), ElementsAre(unnamed.order_id()));
  auto none = store_->SnapshotOfTenant("team-c");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->revision, 7);
  EXPECT_THAT(none->orders, IsEmpty());

  auto replay = store_->EventsOfTenantAfter("team-a", 0);
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_THAT(RevisionsOf(*replay, "team-a"), ElementsAre(1, 3, 6, 7));
  EXPECT_EQ((*replay)[2].previous_state, Order::ACCEPTED);
  EXPECT_EQ((*replay)[2].order.state(), Order::CHECKING);
  EXPECT_THAT(RevisionsOf(*store_->EventsOfTenantAfter("team-a", 3), "team-a"), ElementsAre(6, 7));
  EXPECT_THAT(RevisionsOf(*store_->EventsOfTenantAfter("team-b", 0), "team-b"), ElementsAre(2, 5));
  EXPECT_THAT(RevisionsOf(*store_->EventsOfTenantAfter("", 0), ""), ElementsAre(4));
  EXPECT_THAT(*store_->EventsOfTenantAfter("team-b", 5), IsEmpty());
  EXPECT_THAT(*store_->EventsOfTenantAfter("team-c", 0), IsEmpty());
  EXPECT_THAT(*store_->EventsOfTenantAfter("team-a", 7), IsEmpty());
  EXPECT_EQ(store_->EventsOfTenantAfter("team-a", 8).status().code(),
            absl::StatusCode::kOutOfRange);
  // The all-tenant reads stay for the callers that need every order.
  EXPECT_EQ(store_->Snapshot("")->orders.size(), 4u);
  EXPECT_EQ(store_->EventsAfter(0, "")->size(), 7u);
}

TEST_P(OrderStoreConformanceTest, TenantReplayFromADroppedRevisionIsOutOfRange) {
  std::unique_ptr<OrderStore> store = GetParam().make(&clock_, /*max_events=*/2);
  for (int i = 0; i < 4; ++i) {  // revisions 1-4, a and b in turn; the log keeps 3 and 4
    Order draft = DraftOrder(absl::StrCat("r", i));
    draft.set_tenant(i % 2 == 0 ? "team-a" : "team-b");
    ASSERT_TRUE(store->CreateOrder(draft).ok());
  }
  EXPECT_EQ(store->EventsOfTenantAfter("team-a", 0).status().code(), absl::StatusCode::kOutOfRange);
  // Revision 2 (team-b's) left the log: team-a cannot tell what it missed.
  EXPECT_EQ(store->EventsOfTenantAfter("team-a", 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(RevisionsOf(*store->EventsOfTenantAfter("team-a", 2), "team-a"), ElementsAre(3));
  EXPECT_THAT(RevisionsOf(*store->EventsOfTenantAfter("team-b", 2), "team-b"), ElementsAre(4));
  // The snapshot does not depend on the log.
  EXPECT_EQ(store->SnapshotOfTenant("team-a")->orders.size(), 2u);
}

TEST_P(DurableOrderStoreTest, TenantReadsSurviveAReopen) {
  const std::string location = GetParam().fresh();
  {
    auto store = GetParam().open(location, &clock_);
    ASSERT_TRUE(store.ok()) << store.status();
    CreateOrdersOfTwoTenants(**store);
  }
  auto reopened = GetParam().open(location, &clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  ExpectTheEventsOfTwoTenants(**reopened);
  const std::string a_id = (*reopened)->FindByRequestId("team-a", "team-a")->order_id();
  ASSERT_TRUE((*reopened)->UpdateOrder(a_id, MutateState(Order::CHECKING)).ok());  // 3
  EXPECT_THAT(IdsOf((*reopened)->SnapshotOfTenant("team-a")->orders), ElementsAre(a_id));
  auto replay = (*reopened)->EventsOfTenantAfter("team-a", 0);
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_THAT(RevisionsOf(*replay, "team-a"), ElementsAre(1, 3));
}

}  // namespace
}  // namespace cvm
