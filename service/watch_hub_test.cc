#include "service/watch_hub.h"

#include <vector>

#include "gtest/gtest.h"

namespace cvm {
namespace {

class Recorder : public WatchSubscriber {
 public:
  void OnEvent(const OrderEvent& event) override { revisions.push_back(event.revision); }
  void OnClose(const absl::Status& status) override { closed = status; }
  std::vector<int64_t> revisions;
  absl::Status closed;
};

OrderEvent Event(int64_t revision) {
  OrderEvent event;
  event.revision = revision;
  return event;
}

TEST(WatchHubTest, EverySubscriberGetsEveryEventInOrderUntilItLeaves) {
  WatchHub hub;
  Recorder a, b;
  auto id_a = hub.Subscribe(&a);
  auto id_b = hub.Subscribe(&b);
  ASSERT_TRUE(id_a.ok() && id_b.ok());
  hub.Publish(Event(1));
  hub.Publish(Event(2));
  hub.Unsubscribe(*id_b);
  hub.Publish(Event(3));
  EXPECT_EQ(a.revisions, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(b.revisions, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(hub.subscriber_count(), 1u);
}

TEST(WatchHubTest, CloseEndsEverySubscriptionAndRefusesNewOnes) {
  WatchHub hub;
  Recorder a;
  ASSERT_TRUE(hub.Subscribe(&a).ok());
  hub.Close(absl::UnavailableError("draining"));
  EXPECT_EQ(a.closed.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(hub.subscriber_count(), 0u);
  Recorder late;
  EXPECT_EQ(hub.Subscribe(&late).status().code(), absl::StatusCode::kUnavailable);
  hub.Publish(Event(9));
  EXPECT_TRUE(a.revisions.empty());
}

}  // namespace
}  // namespace cvm
