#include "store/order_store_conformance.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"

namespace cvm {

Order DraftOrder(const std::string& request_id, const std::string& region) {
  Order order;
  order.set_request_id(request_id);
  order.set_state(Order::ACCEPTED);
  order.mutable_spec()->set_region(region);
  order.set_instance_count(1);
  return order;
}

OrderStore::Mutation MutateState(Order::State state) {
  return [state](Order& o) {
    o.set_state(state);
    return absl::OkStatus();
  };
}

namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

TEST_P(OrderStoreConformanceTest, CreateAssignsIdNameTimesAndRevision) {
  Order order = Create("r1");
  EXPECT_THAT(order.order_id(), ::testing::StartsWith("ord-"));
  EXPECT_EQ(order.name(), "orders/" + order.order_id());
  EXPECT_EQ(order.revision(), 1);
  EXPECT_GT(order.create_time().seconds(), 0);
  EXPECT_EQ(Create("r2").revision(), 2);
}

TEST_P(OrderStoreConformanceTest, SameRequestIdReturnsTheStoredOrder) {
  Order first = Create("dup");
  Order again = DraftOrder("dup");
  again.set_instance_count(7);
  auto result = store_->CreateOrder(again);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->created);
  EXPECT_EQ(result->order.order_id(), first.order_id());
  EXPECT_EQ(result->order.instance_count(), 1);
  EXPECT_EQ(store_->FindByRequestId("", "dup")->order_id(), first.order_id());
}

TEST_P(OrderStoreConformanceTest, RequestIdsAreUniquePerTenant) {
  Order a = DraftOrder("same");
  a.set_tenant("team-a");
  Order b = DraftOrder("same");
  b.set_tenant("team-b");
  auto first = store_->CreateOrder(a);
  auto second = store_->CreateOrder(b);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(first->created);
  EXPECT_TRUE(second->created);  // another tenant's request id is not this one's
  EXPECT_NE(first->order.order_id(), second->order.order_id());
  EXPECT_FALSE(store_->CreateOrder(a)->created);
  EXPECT_EQ(store_->FindByRequestId("team-a", "same")->order_id(), first->order.order_id());
  EXPECT_EQ(store_->FindByRequestId("team-b", "same")->order_id(), second->order.order_id());
  EXPECT_EQ(store_->FindByRequestId("team-c", "same").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->FindByRequestId("", "same").status().code(), absl::StatusCode::kNotFound);
  ListQuery query;
  query.tenant = "team-a";
  auto listed = store_->ListOrders(query);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->orders.size(), 1u);
  EXPECT_EQ(listed->orders[0].order_id(), first->order.order_id());
  EXPECT_EQ(listed->orders[0].tenant(), "team-a");
  EXPECT_TRUE(store_->ListOrders(ListQuery())->orders.empty());  // the unnamed tenant
  // The service's own sweeps (recovery, polling) see every tenant's orders.
  EXPECT_EQ(store_->OrdersInStates({Order::ACCEPTED})->size(), 2u);
  EXPECT_EQ(store_->Snapshot("")->orders.size(), 2u);
}

TEST_P(OrderStoreConformanceTest, UpdateEmitsOneEventWithThePreviousState) {
  std::vector<OrderEvent> events;
  store_->SetListener([&](const OrderEvent& e) { events.push_back(e); });
  Order order = Create("r1");
  auto updated = store_->UpdateOrder(order.order_id(), MutateState(Order::CHECKING));
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->revision(), 2);
  ASSERT_THAT(events, SizeIs(2));
  EXPECT_EQ(events[0].previous_state, Order::STATE_UNSPECIFIED);
  EXPECT_EQ(events[1].previous_state, Order::ACCEPTED);
  EXPECT_EQ(events[1].order.state(), Order::CHECKING);
  EXPECT_EQ(events[1].revision, 2);
}

TEST_P(OrderStoreConformanceTest, UnchangedMutationWritesNothing) {
  Order order = Create("r1");
  int events = 0;
  store_->SetListener([&](const OrderEvent&) { ++events; });
  auto same = store_->UpdateOrder(order.order_id(), MutateState(Order::ACCEPTED));
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->revision(), 1);
  EXPECT_EQ(events, 0);
}

TEST_P(OrderStoreConformanceTest, FailedMutationWritesNothing) {
  Order order = Create("r1");
  auto failed = store_->UpdateOrder(order.order_id(), [](Order& o) {
    o.set_state(Order::FAILED);
    return absl::AbortedError("no");
  });
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_->GetOrder(order.order_id())->state(), Order::ACCEPTED);
  EXPECT_EQ(store_->UpdateOrder("ord-missing", MutateState(Order::FAILED)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(OrderStoreConformanceTest, FindsOrdersByInstanceId) {
  Order order = Create("r1");
  ASSERT_TRUE(store_->UpdateOrder(order.order_id(), [](Order& o) {
                  o.add_instances()->set_instance_id("ins-1");
                  return absl::OkStatus();
                }).ok());
  EXPECT_EQ(store_->GetOrderByInstanceId("ins-1")->order_id(), order.order_id());
  EXPECT_EQ(store_->GetOrderByInstanceId("ins-2").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_P(OrderStoreConformanceTest, ListsNewestFirstWithPagesAndFilters) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Create(absl::StrCat("r", i), i % 2 ? "ap-shanghai" : "ap-guangzhou")
                      .order_id());
  }
  ListQuery query;
  query.page_size = 2;
  auto page = store_->ListOrders(query);
  ASSERT_TRUE(page.ok());
  ASSERT_THAT(page->orders, SizeIs(2));
  EXPECT_EQ(page->orders[0].order_id(), ids[4]);
  EXPECT_EQ(page->orders[1].order_id(), ids[3]);
  EXPECT_TRUE(page->more);
  query.after_order_id = ids[3];
  page = store_->ListOrders(query);
  EXPECT_EQ(page->orders[0].order_id(), ids[2]);
  query.after_order_id = ids[1];
  page = store_->ListOrders(query);
  ASSERT_THAT(page->orders, SizeIs(1));
  EXPECT_FALSE(page->more);

  ListQuery shanghai;
  shanghai.region = "ap-shanghai";
  EXPECT_THAT(store_->ListOrders(shanghai)->orders, SizeIs(2));
  ASSERT_TRUE(store_->UpdateOrder(ids[0], MutateState(Order::FAILED)).ok());
  ListQuery failed;
  failed.states = {Order::FAILED};
  auto failed_page = store_->ListOrders(failed);
  ASSERT_THAT(failed_page->orders, SizeIs(1));
  EXPECT_EQ(failed_page->orders[0].order_id(), ids[0]);
  EXPECT_THAT(*store_->OrdersInStates({Order::FAILED}), SizeIs(1));
  EXPECT_THAT(*store_->OrdersInStates({Order::ACCEPTED}), SizeIs(4));
}

TEST_P(OrderStoreConformanceTest, SnapshotHoldsTheCurrentRevision) {
  Order a = Create("a");
  Create("b");
  auto all = store_->Snapshot("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->revision, 2);
  EXPECT_THAT(all->orders, SizeIs(2));
  auto one = store_->Snapshot(a.order_id());
  ASSERT_THAT(one->orders, SizeIs(1));
  EXPECT_EQ(store_->Snapshot("ord-missing").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(OrderStoreConformanceTest, EventsAfterReplaysInOrderPerOrderOrAll) {
  Order a = Create("a");
  Order b = Create("b");
  ASSERT_TRUE(store_->UpdateOrder(a.order_id(), MutateState(Order::CHECKING)).ok());
  auto all = store_->EventsAfter(1, "");
  ASSERT_TRUE(all.ok());
  std::vector<int64_t> revisions;
  for (const auto& e : *all) revisions.push_back(e.revision);
  EXPECT_THAT(revisions, ElementsAre(2, 3));
  auto only_a = store_->EventsAfter(0, a.order_id());
  ASSERT_THAT(*only_a, SizeIs(2));
  EXPECT_EQ((*only_a)[1].order.state(), Order::CHECKING);
  EXPECT_THAT(*store_->EventsAfter(3, ""), SizeIs(0));
  EXPECT_EQ(store_->EventsAfter(4, "").status().code(), absl::StatusCode::kOutOfRange);
}

TEST_P(OrderStoreConformanceTest, TrimmedRevisionsAreOutOfRange) {
  std::unique_ptr<OrderStore> store = GetParam().make(&clock_, /*max_events=*/2);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store->CreateOrder(DraftOrder(absl::StrCat(i))).ok());
  EXPECT_EQ(store->EventsAfter(0, "").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(store->EventsAfter(1, "").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(*store->EventsAfter(2, ""), SizeIs(2));
}

TEST_P(OrderStoreConformanceTest, OneRequestIdCreatesOneOrderUnderConcurrency) {
  OrderStore& store = *store_;
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto result = store.CreateOrder(DraftOrder("same"));
      if (result.ok() && result->created) created.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_THAT(store.ListOrders(ListQuery())->orders, SizeIs(1));
}

// The memory store links this suite too, without a durable instantiation.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DurableOrderStoreTest);

TEST_P(DurableOrderStoreTest, OrdersRequestIdsAndRevisionsSurviveAReopen) {
  const std::string location = GetParam().fresh();
  std::string order_id;
  {
    auto store = GetParam().open(location, &clock_);
    ASSERT_TRUE(store.ok()) << store.status();
    auto created = (*store)->CreateOrder(DraftOrder("durable"));
    ASSERT_TRUE(created.ok()) << created.status();
    order_id = created->order.order_id();
    ASSERT_TRUE((*store)
                    ->UpdateOrder(order_id,
                                  [](Order& o) {
                                    o.set_state(Order::PROVISIONING);
                                    o.add_instances()->set_instance_id("ins-1");
                                    return absl::OkStatus();
                                  })
                    .ok());
  }
  auto reopened = GetParam().open(location, &clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto order = (*reopened)->GetOrder(order_id);
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->state(), Order::PROVISIONING);
  EXPECT_EQ((*reopened)->GetOrderByInstanceId("ins-1")->order_id(), order_id);
  auto retried = (*reopened)->CreateOrder(DraftOrder("durable"));
  ASSERT_TRUE(retried.ok());
  EXPECT_FALSE(retried->created);
  EXPECT_EQ(retried->order.order_id(), order_id);
  auto events = (*reopened)->EventsAfter(0, "");
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].revision, 2);
  EXPECT_EQ((*reopened)->Snapshot("")->revision, 2);
  auto next = (*reopened)->UpdateOrder(order_id, [](Order& o) {
    o.set_state(Order::ACTIVE);
    return absl::OkStatus();
  });
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->revision(), 3);  // revisions continue after the reopen
}

TEST_P(DurableOrderStoreTest, ConcurrentWritesShareCommitsInRevisionOrder) {
  auto store = GetParam().open(GetParam().fresh(), &clock_);
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<int64_t> heard;  // the listener runs under the store's lock
  (*store)->SetListener([&](const OrderEvent& event) { heard.push_back(event.revision); });
  constexpr int kThreads = 16, kOrdersEach = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOrdersEach; ++i) {
        auto created = (*store)->CreateOrder(DraftOrder(absl::StrCat("t", t, "-", i)));
        if (!created.ok() || !created->created) {
          ++failures;
          continue;
        }
        // An update of the same order in a later batch.
        auto updated = (*store)->UpdateOrder(created->order.order_id(), [](Order& o) {
          o.set_state(Order::CHECKING);
          return absl::OkStatus();
        });
        if (!updated.ok() || updated->state() != Order::CHECKING) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  constexpr int kWrites = 2 * kThreads * kOrdersEach;
  ASSERT_EQ(heard.size(), static_cast<size_t>(kWrites));
  for (int i = 0; i < kWrites; ++i) ASSERT_EQ(heard[i], i + 1) << "at " << i;
  // Writes queued behind a commit shared the next one.
  EXPECT_LT(GetParam().commits(**store), kWrites);
  EXPECT_GT(GetParam().commits(**store), 0);
  auto events = (*store)->EventsAfter(0, "");
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(events->size(), static_cast<size_t>(kWrites));
}

}  // namespace

Order OrderStoreConformanceTest::Create(const std::string& request_id, const std::string& region,
                                        const std::string& tenant) {
  Order draft = DraftOrder(request_id, region);
  draft.set_tenant(tenant);
  auto result = store_->CreateOrder(draft);
  EXPECT_TRUE(result.ok() && result->created) << result.status();
  clock_.Advance(absl::Milliseconds(1));
  return result.ok() ? result->order : Order();
}

}  // namespace cvm
