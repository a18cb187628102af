// The in-memory store: the store conformance suite, then memory-specific
// behaviour (id format, clock stamps, event log trimming, listener order).
#include "store/memory_order_store.h"

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "store/order_store_conformance.h"

namespace cvm {
namespace {

using google::protobuf::util::MessageDifferencer;
using google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::SizeIs;

std::unique_ptr<OrderStore> MakeMemoryStore(Clock* clock, size_t max_events) {
  return std::make_unique<MemoryOrderStore>(clock, max_events);
}

INSTANTIATE_TEST_SUITE_P(Memory, OrderStoreConformanceTest,
                         ::testing::Values(StoreFactory{"Memory", MakeMemoryStore}),
                         [](const auto& info) { return info.param.name; });

Order Draft(const std::string& request_id, const std::string& region = "ap-guangzhou") {
  Order order;
  order.set_request_id(request_id);
  order.set_state(Order::ACCEPTED);
  order.mutable_spec()->set_region(region);
  order.set_instance_count(2);
  return order;
}

OrderStore::Mutation SetState(Order::State state) {
  return [state](Order& o) {
    o.set_state(state);
    return absl::OkStatus();
  };
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(t));
}

std::vector<std::string> Ids(const std::vector<Order>& orders) {
  std::vector<std::string> ids;
  for (const Order& o : orders) ids.push_back(o.order_id());
  return ids;
}

class MemoryOrderStoreTest : public ::testing::Test {
 protected:
  MemoryOrderStoreTest() : store_(&clock_) {
    store_.SetListener([this](const OrderEvent& e) {
      absl::MutexLock lock(&mu_);
      events_.push_back(e);
    });
  }

  // Creates an order, then moves the clock 1 ms.
  Order Create(const std::string& request_id,
               const std::string& region = "ap-guangzhou") {
    auto result = store_.CreateOrder(Draft(request_id, region));
    EXPECT_TRUE(result.ok() && result->created) << result.status();
    clock_.Advance(absl::Milliseconds(1));
    return result.ok() ? result->order : Order();
  }

  std::vector<OrderEvent> Events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

  FakeClock clock_;
  MemoryOrderStore store_;
  absl::Mutex mu_;
  std::vector<OrderEvent> events_ ABSL_GUARDED_BY(mu_);
};

TEST_F(MemoryOrderStoreTest, CreateAssignsIdNameTimesAndRevision) {
  const absl::Time now = clock_.Now();
  Order order = Create("r1");
  EXPECT_THAT(order.order_id(), MatchesRegex("ord-[0-9a-f]{16}"));
  EXPECT_EQ(order.name(), "orders/" + order.order_id());
  EXPECT_EQ(order.request_id(), "r1");
  EXPECT_EQ(order.instance_count(), 2);
  EXPECT_EQ(order.state(), Order::ACCEPTED);
  EXPECT_EQ(order.revision(), 1);
  EXPECT_EQ(FromProto(order.create_time()), now);
  EXPECT_EQ(FromProto(order.update_time()), now);
  ASSERT_THAT(Events(), SizeIs(1));
  EXPECT_EQ(Events()[0].revision, 1);
  EXPECT_EQ(Events()[0].previous_state, Order::STATE_UNSPECIFIED);
  EXPECT_TRUE(MessageDifferencer::Equals(Events()[0].order, order));

  Order second = Create("r2");
  EXPECT_EQ(second.revision(), 2);
  EXPECT_GT(second.order_id(), order.order_id());
}

TEST_F(MemoryOrderStoreTest, SameRequestIdReturnsTheSameOrderAndWritesNothing) {
  Order first = Create("dup");
  Order again = Draft("dup", "ap-shanghai");
  again.set_instance_count(9);
  auto result = store_.CreateOrder(again);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->created);
  EXPECT_TRUE(MessageDifferencer::Equals(result->order, first))
      << result->order.DebugString();
  EXPECT_THAT(Events(), SizeIs(1));
  EXPECT_EQ(store_.Snapshot("")->revision, 1);
  EXPECT_EQ(store_.FindByRequestId("", "dup")->order_id(), first.order_id());
  EXPECT_EQ(store_.FindByRequestId("", "other").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(MemoryOrderStoreTest, IdsOrderByCreationWithinOneMillisecond) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto result = store_.CreateOrder(Draft(absl::StrCat("same-ms-", i)));
    ASSERT_TRUE(result.ok());
    ids.push_back(result->order.order_id());
  }
  EXPECT_THAT(std::set<std::string>(ids.begin(), ids.end()), SizeIs(5));
  auto page = store_.ListOrders(ListQuery());
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Ids(page->orders), ElementsAre(ids[4], ids[3], ids[2], ids[1], ids[0]));
}

TEST_F(MemoryOrderStoreTest, UpdateBumpsRevisionStampsTimeAndEmitsPreviousState) {
  Order order = Create("r1");
  clock_.Advance(absl::Seconds(5));
  auto checking = store_.UpdateOrder(order.order_id(), SetState(Order::CHECKING));
  ASSERT_TRUE(checking.ok()) << checking.status();
  EXPECT_EQ(checking->revision(), 2);
  EXPECT_EQ(FromProto(checking->update_time()), clock_.Now());
  EXPECT_EQ(checking->create_time().seconds(), order.create_time().seconds());
  auto submitted = store_.UpdateOrder(order.order_id(), SetState(Order::SUBMITTED));
  ASSERT_TRUE(submitted.ok());
  EXPECT_EQ(submitted->revision(), 3);

  std::vector<OrderEvent> events = Events();
  ASSERT_THAT(events, SizeIs(3));
  EXPECT_EQ(events[1].revision, 2);
  EXPECT_EQ(events[1].previous_state, Order::ACCEPTED);
  EXPECT_EQ(events[1].order.state(), Order::CHECKING);
  EXPECT_EQ(events[2].revision, 3);
  EXPECT_EQ(events[2].previous_state, Order::CHECKING);
  EXPECT_EQ(events[2].order.state(), Order::SUBMITTED);
  EXPECT_EQ(store_.GetOrder(order.order_id())->state(), Order::SUBMITTED);
}

TEST_F(MemoryOrderStoreTest, UnchangedMutationEmitsNothing) {
  Order order = Create("r1");
  clock_.Advance(absl::Seconds(1));
  auto same = store_.UpdateOrder(order.order_id(), SetState(Order::ACCEPTED));
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->revision(), 1);
  EXPECT_EQ(same->update_time().seconds(), order.update_time().seconds());
  EXPECT_THAT(Events(), SizeIs(1));
  EXPECT_THAT(*store_.EventsAfter(1, ""), IsEmpty());
}

TEST_F(MemoryOrderStoreTest, MutationErrorIsReturnedAndWritesNothing) {
  Order order = Create("r1");
  auto failed = store_.UpdateOrder(order.order_id(), [](Order& o) {
    o.set_state(Order::FAILED);
    o.add_instances()->set_instance_id("ins-half-written");
    return absl::FailedPreconditionError("not now");
  });
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(failed.status().message(), "not now");
  auto stored = store_.GetOrder(order.order_id());
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(MessageDifferencer::Equals(*stored, order));
  EXPECT_THAT(Events(), SizeIs(1));
  EXPECT_EQ(store_.GetOrderByInstanceId("ins-half-written").status().code(),
            absl::StatusCode::kNotFound);

  bool called = false;
  auto missing = store_.UpdateOrder("ord-missing", [&](Order&) {
    called = true;
    return absl::OkStatus();
  });
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(called);
  EXPECT_EQ(store_.GetOrder("ord-missing").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(MemoryOrderStoreTest, FindsOrdersByInstanceIdOnceAdded) {
  Order a = Create("a");
  Order b = Create("b");
  EXPECT_EQ(store_.GetOrderByInstanceId("ins-1").status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_.UpdateOrder(a.order_id(), [](Order& o) {
                      o.add_instances()->set_instance_id("ins-1");
                      o.add_instances()->set_instance_id("ins-2");
                      return absl::OkStatus();
                    }).ok());
  ASSERT_TRUE(store_.UpdateOrder(b.order_id(), [](Order& o) {
                      o.add_instances()->set_instance_id("ins-3");
                      return absl::OkStatus();
                    }).ok());
  EXPECT_EQ(store_.GetOrderByInstanceId("ins-1")->order_id(), a.order_id());
  EXPECT_EQ(store_.GetOrderByInstanceId("ins-2")->order_id(), a.order_id());
  EXPECT_EQ(store_.GetOrderByInstanceId("ins-3")->order_id(), b.order_id());
}

TEST_F(MemoryOrderStoreTest, ListPagesWalkEveryOrderNewestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(Create(absl::StrCat("r", i)).order_id());
  ListQuery query;
  query.page_size = 3;
  std::vector<std::string> walked;
  std::vector<size_t> page_sizes;
  for (int guard = 0; guard < 10; ++guard) {
    auto page = store_.ListOrders(query);
    ASSERT_TRUE(page.ok());
    page_sizes.push_back(page->orders.size());
    for (const Order& o : page->orders) walked.push_back(o.order_id());
    if (!page->more) break;
    query.after_order_id = page->orders.back().order_id();
  }
  EXPECT_THAT(page_sizes, ElementsAre(3, 3, 1));
  EXPECT_THAT(walked, ElementsAre(ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]));

  query.page_size = 7;
  query.after_order_id.clear();
  EXPECT_THAT(store_.ListOrders(query)->orders, SizeIs(7));
  EXPECT_FALSE(store_.ListOrders(query)->more);
  query.after_order_id = ids[0];
  EXPECT_THAT(store_.ListOrders(query)->orders, IsEmpty());
}

TEST_F(MemoryOrderStoreTest, ListFiltersByStateAndRegion) {
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(Create(absl::StrCat("r", i), i % 2 ? "ap-shanghai" : "ap-guangzhou")
                      .order_id());
  }
  ASSERT_TRUE(store_.UpdateOrder(ids[1], SetState(Order::ACTIVE)).ok());
  ASSERT_TRUE(store_.UpdateOrder(ids[2], SetState(Order::ACTIVE)).ok());
  ASSERT_TRUE(store_.UpdateOrder(ids[3], SetState(Order::FAILED)).ok());

  ListQuery shanghai;
  shanghai.region = "ap-shanghai";
  EXPECT_THAT(Ids(store_.ListOrders(shanghai)->orders), ElementsAre(ids[5], ids[3], ids[1]));
  ListQuery active;
  active.states = {Order::ACTIVE};
  EXPECT_THAT(Ids(store_.ListOrders(active)->orders), ElementsAre(ids[2], ids[1]));
  ListQuery done;
  done.states = {Order::ACTIVE, Order::FAILED};
  done.region = "ap-shanghai";
  EXPECT_THAT(Ids(store_.ListOrders(done)->orders), ElementsAre(ids[3], ids[1]));
  ListQuery one_page;
  one_page.states = {Order::ACCEPTED};
  one_page.page_size = 2;
  auto page = store_.ListOrders(one_page);
  EXPECT_THAT(Ids(page->orders), ElementsAre(ids[5], ids[4]));
  EXPECT_TRUE(page->more);
  ListQuery nowhere;
  nowhere.region = "eu-frankfurt";
  EXPECT_THAT(store_.ListOrders(nowhere)->orders, IsEmpty());
}

TEST_F(MemoryOrderStoreTest, SnapshotHoldsTheCurrentRevision) {
  Order a = Create("a");
  Order b = Create("b");
  ASSERT_TRUE(store_.UpdateOrder(a.order_id(), SetState(Order::CHECKING)).ok());
  auto all = store_.Snapshot("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->revision, 3);
  EXPECT_THAT(Ids(all->orders), ElementsAre(a.order_id(), b.order_id()));
  EXPECT_EQ(all->orders[0].state(), Order::CHECKING);
  auto one = store_.Snapshot(b.order_id());
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->revision, 3);
  EXPECT_THAT(Ids(one->orders), ElementsAre(b.order_id()));
  EXPECT_EQ(store_.Snapshot("ord-missing").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(MemoryOrderStore(&clock_).Snapshot("")->revision, 0);
}

TEST_F(MemoryOrderStoreTest, EventsAfterReplaysAllOrOneOrder) {
  Order a = Create("a");
  Order b = Create("b");
  ASSERT_TRUE(store_.UpdateOrder(a.order_id(), SetState(Order::CHECKING)).ok());
  ASSERT_TRUE(store_.UpdateOrder(b.order_id(), SetState(Order::CANCELLED)).ok());
  auto all = store_.EventsAfter(0, "");
  ASSERT_TRUE(all.ok());
  std::vector<int64_t> revisions;
  for (const OrderEvent& e : *all) revisions.push_back(e.revision);
  EXPECT_THAT(revisions, ElementsAre(1, 2, 3, 4));
  auto after_two = store_.EventsAfter(2, "");
  ASSERT_THAT(*after_two, SizeIs(2));
  EXPECT_EQ((*after_two)[0].previous_state, Order::ACCEPTED);
  EXPECT_EQ((*after_two)[1].order.state(), Order::CANCELLED);
  auto only_b = store_.EventsAfter(0, b.order_id());
  ASSERT_THAT(*only_b, SizeIs(2));
  EXPECT_EQ((*only_b)[0].revision, 2);
  EXPECT_EQ((*only_b)[1].revision, 4);
  EXPECT_THAT(*store_.EventsAfter(4, ""), IsEmpty());
  EXPECT_THAT(*store_.EventsAfter(0, "ord-unknown"), IsEmpty());
  absl::Status future = store_.EventsAfter(5, "").status();
  EXPECT_EQ(future.code(), absl::StatusCode::kOutOfRange);
}

TEST_F(MemoryOrderStoreTest, TrimmedLogIsOutOfRange) {
  MemoryOrderStore small(&clock_, /*max_events=*/3);
  std::string id;
  for (int i = 0; i < 5; ++i) {
    auto created = small.CreateOrder(Draft(absl::StrCat("r", i)));
    ASSERT_TRUE(created.ok());
    id = created->order.order_id();
  }
  // The log holds revisions 3..5: replay may start after 2 at the earliest.
  EXPECT_EQ(small.EventsAfter(0, "").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(small.EventsAfter(1, "").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(small.EventsAfter(1, id).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(*small.EventsAfter(2, ""), SizeIs(3));
  EXPECT_THAT(*small.EventsAfter(2, id), SizeIs(1));
  EXPECT_EQ(small.EventsAfter(6, "").status().code(), absl::StatusCode::kOutOfRange);
  // The orders themselves are never trimmed.
  EXPECT_THAT(small.Snapshot("")->orders, SizeIs(5));
  // max_events 0 still keeps the newest event.
  MemoryOrderStore tiny(&clock_, /*max_events=*/0);
  ASSERT_TRUE(tiny.CreateOrder(Draft("a")).ok());
  ASSERT_TRUE(tiny.CreateOrder(Draft("b")).ok());
  EXPECT_THAT(*tiny.EventsAfter(1, ""), SizeIs(1));
  EXPECT_EQ(tiny.EventsAfter(0, "").status().code(), absl::StatusCode::kOutOfRange);
}

TEST_F(MemoryOrderStoreTest, OrdersInStatesIsOldestFirst) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(Create(absl::StrCat("r", i)).order_id());
  ASSERT_TRUE(store_.UpdateOrder(ids[0], SetState(Order::PROVISIONING)).ok());
  ASSERT_TRUE(store_.UpdateOrder(ids[2], SetState(Order::SUBMITTED)).ok());
  ASSERT_TRUE(store_.UpdateOrder(ids[3], SetState(Order::ACTIVE)).ok());
  EXPECT_THAT(Ids(*store_.OrdersInStates({Order::SUBMITTED, Order::PROVISIONING})),
              ElementsAre(ids[0], ids[2]));
  EXPECT_THAT(Ids(*store_.OrdersInStates({Order::ACCEPTED})), ElementsAre(ids[1]));
  EXPECT_THAT(*store_.OrdersInStates({Order::TERMINATED}), IsEmpty());
}

TEST_F(MemoryOrderStoreTest, ConcurrentCreatesWithOneRequestIdCreateOneOrder) {
  std::atomic<int> created{0};
  absl::Mutex ids_mu;
  std::set<std::string> ids;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto result = store_.CreateOrder(Draft("same"));
      ASSERT_TRUE(result.ok()) << result.status();
      if (result->created) created.fetch_add(1);
      absl::MutexLock lock(&ids_mu);
      ids.insert(result->order.order_id());
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_THAT(ids, SizeIs(1));
  EXPECT_THAT(store_.ListOrders(ListQuery())->orders, SizeIs(1));
  EXPECT_THAT(Events(), SizeIs(1));
}

TEST_F(MemoryOrderStoreTest, ListenerSeesEveryRevisionInOrderUnderConcurrency) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto result = store_.CreateOrder(Draft(absl::StrCat("r", t)));
      ASSERT_TRUE(result.ok());
      for (Order::State s : {Order::CHECKING, Order::SUBMITTED, Order::PROVISIONING}) {
        ASSERT_TRUE(store_.UpdateOrder(result->order.order_id(), SetState(s)).ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<OrderEvent> events = Events();
  ASSERT_THAT(events, SizeIs(32));
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].revision, static_cast<int64_t>(i + 1));
    EXPECT_EQ(events[i].order.revision(), events[i].revision);
  }
  EXPECT_THAT(*store_.OrdersInStates({Order::PROVISIONING}), SizeIs(8));
}

}  // namespace
}  // namespace cvm
