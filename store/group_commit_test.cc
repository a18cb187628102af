// Group commit and the create/update steps over rows kept in a map (the
// SQLite and PostgreSQL stores run the same code over SQL; their suites
// cover it there too).
#include "store/group_commit.h"

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

// A "store": rows in maps, one transaction at a time under mu_.
class MapStore {
 public:
  absl::Status Write(PendingWrite& write) {
    return queue_.Write(write, mu_, [this](const std::vector<PendingWrite*>& batch)
                                        ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                          absl::Status io = fail_next;
                                          fail_next = absl::OkStatus();
                                          const auto saved = rows_;
                                          const int64_t saved_revision = revision_;
                                          for (PendingWrite* w : batch) {
                                            if (io.ok()) io = w->apply(*w);
                                          }
                                          if (!io.ok()) {
                                            rows_ = saved;
                                            revision_ = saved_revision;
                                          }
                                          queue_.Finish(batch, io, [this](const OrderEvent& e) {
                                            delivered.push_back(e.revision);
                                          });
                                        });
  }

  OrderRows Rows() {
    OrderRows rows;
    rows.by_request_key = [this](const std::string& key, const std::string& what) {
      for (const auto& [id, order] : rows_) {
        if (RequestKey(order.tenant(), order.request_id()) == key) return absl::StatusOr<Order>(order);
      }
      return absl::StatusOr<Order>(absl::NotFoundError(absl::StrCat(what, " not found")));
    };
    rows.by_order_id = [this](const std::string& id, const std::string& what) {
      auto it = rows_.find(id);
      if (it == rows_.end()) {
        return absl::StatusOr<Order>(absl::NotFoundError(absl::StrCat(what, " not found")));
      }
      return absl::StatusOr<Order>(it->second);
    };
    rows.write = [this](Order order, Order::State previous, bool) {
      order.set_revision(++revision_);
      rows_[order.order_id()] = order;
      return absl::StatusOr<OrderEvent>(OrderEvent{order.revision(), previous, order});
    };
    return rows;
  }

  absl::StatusOr<CreateOrderResult> Create(Order order) {
    PendingWrite write;
    write.apply = CreateOrderStep(order, &clock, sequence_, Rows());
    absl::Status status = Write(write);
    if (!status.ok()) return status;
    return CreateOrderResult{write.order, write.event.has_value()};
  }

  absl::StatusOr<Order> Update(const std::string& id, const OrderStore::Mutation& mutate) {
    PendingWrite write;
    write.apply = UpdateOrderStep(id, mutate, Rows());
    absl::Status status = Write(write);
    if (!status.ok()) return status;
    return write.order;
  }

  FakeClock clock;
  absl::Status fail_next;
  std::vector<int64_t> delivered;

 private:
  absl::Mutex mu_;
  WriteQueue queue_;
  std::map<std::string, Order> rows_;
  int64_t revision_ = 0;
  uint32_t sequence_ = 0;
};

Order Draft(const std::string& request_id) {
  Order order;
  order.set_request_id(request_id);
  order.set_state(Order::ACCEPTED);
  return order;
}

TEST(GroupCommitTest, CreateIsIdempotentPerRequestAndUpdateWritesOnlyChanges) {
  MapStore store;
  auto first = store.Create(Draft("r1"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->order.name(), "orders/" + first->order.order_id());
  auto again = store.Create(Draft("r1"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->order.order_id(), first->order.order_id());

  const std::string id = first->order.order_id();
  auto same = store.Update(id, [](Order&) { return absl::OkStatus(); });
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->revision(), 1);  // nothing changed, nothing written
  auto refused = store.Update(id, [](Order& o) {
    o.set_state(Order::FAILED);
    return absl::FailedPreconditionError("no");
  });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  auto changed = store.Update(id, [](Order& o) {
    o.set_state(Order::CHECKING);
    return absl::OkStatus();
  });
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(changed->revision(), 2);
  EXPECT_EQ(store.Update("ord-nope", [](Order&) { return absl::OkStatus(); }).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store.delivered, (std::vector<int64_t>{1, 2}));
}

TEST(GroupCommitTest, AFailedTransactionFailsEveryWriteInItAndWritesNone) {
  MapStore store;
  store.fail_next = absl::UnavailableError("disk gone");
  EXPECT_EQ(store.Create(Draft("lost")).status().code(), absl::StatusCode::kUnavailable);
  auto retried = store.Create(Draft("lost"));
  ASSERT_TRUE(retried.ok());
  EXPECT_TRUE(retried->created);
  EXPECT_EQ(retried->order.revision(), 1);
  EXPECT_EQ(store.delivered, (std::vector<int64_t>{1}));
}

TEST(GroupCommitTest, ConcurrentWritesAreEachDeliveredOnceInRevisionOrder) {
  MapStore store;
  constexpr int kThreads = 8, kEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        EXPECT_TRUE(store.Create(Draft(absl::StrCat(t, "-", i))).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(store.delivered.size(), static_cast<size_t>(kThreads * kEach));
  for (size_t i = 0; i < store.delivered.size(); ++i) {
    EXPECT_EQ(store.delivered[i], static_cast<int64_t>(i) + 1);
  }
}

}  // namespace
}  // namespace cvm
