#include "service/watch_message.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace cvm {
namespace {

using provisioning::v1::WatchEvent;

TEST(WatchMessageTest, ChangeCarriesTheOrderAndParsesBack) {
  OrderEvent event;
  event.revision = 7;
  event.order.set_order_id("ord-1");
  event.order.set_state(Order::ACTIVE);
  event.order.set_revision(7);
  WatchMessagePtr message = ChangeMessage(event);
  EXPECT_EQ(message->type, WatchEvent::CHANGE);
  EXPECT_EQ(message->revision, 7);
  EXPECT_EQ(message->order_id, "ord-1");

  WatchEvent parsed;
  ASSERT_TRUE(ParseWatchMessage(message->bytes, &parsed));
  EXPECT_EQ(parsed.type(), WatchEvent::CHANGE);
  EXPECT_EQ(parsed.revision(), 7);
  ASSERT_EQ(parsed.orders_size(), 1);
  EXPECT_EQ(parsed.orders(0).order_id(), "ord-1");
  EXPECT_EQ(parsed.orders(0).state(), Order::ACTIVE);
  // Parsing reads a copy: the shared bytes stay intact for the next stream.
  WatchEvent again;
  ASSERT_TRUE(ParseWatchMessage(message->bytes, &again));
  EXPECT_EQ(again.SerializeAsString(), parsed.SerializeAsString());
}

TEST(WatchMessageTest, CoalescedChangesAreOneEventWithEveryOrderAndRevisionInOrder) {
  std::vector<WatchMessagePtr> changes;
  for (int64_t revision : {3, 4, 9}) {
    OrderEvent event;
    event.revision = revision;
    event.order.set_order_id("ord-" + std::to_string(revision));
    event.order.set_revision(revision);
    changes.push_back(ChangeMessage(event));
  }
  const grpc::ByteBuffer bytes = Coalesce(changes);
  EXPECT_EQ(bytes.Length(), changes[0]->bytes.Length() + changes[1]->bytes.Length() +
                                changes[2]->bytes.Length());
  WatchEvent parsed;
  ASSERT_TRUE(ParseWatchMessage(bytes, &parsed));
  EXPECT_EQ(parsed.type(), WatchEvent::CHANGE);
  EXPECT_EQ(parsed.revision(), 9);
  ASSERT_EQ(parsed.orders_size(), 3);
  EXPECT_EQ(parsed.orders(0).order_id(), "ord-3");
  EXPECT_EQ(parsed.orders(2).order_id(), "ord-9");
  EXPECT_EQ(std::vector<int64_t>(parsed.revisions().begin(), parsed.revisions().end()),
            (std::vector<int64_t>{3, 4, 9}));
  // A single change carries its revision in both fields.
  WatchEvent one;
  ASSERT_TRUE(ParseWatchMessage(changes[1]->bytes, &one));
  EXPECT_EQ(one.revision(), 4);
  EXPECT_EQ(std::vector<int64_t>(one.revisions().begin(), one.revisions().end()),
            (std::vector<int64_t>{4}));
}

TEST(WatchMessageTest, ProgressHasARevisionAndNoOrders) {
  WatchMessagePtr message = ProgressMessage(42);
  EXPECT_EQ(message->type, WatchEvent::PROGRESS);
  EXPECT_EQ(message->revision, 42);
  EXPECT_TRUE(message->order_id.empty());
  WatchEvent parsed;
  ASSERT_TRUE(ParseWatchMessage(message->bytes, &parsed));
  EXPECT_EQ(parsed.type(), WatchEvent::PROGRESS);
  EXPECT_EQ(parsed.revision(), 42);
  EXPECT_EQ(parsed.orders_size(), 0);
}

TEST(WatchMessageTest, SnapshotKeepsEveryOrderButNoOrderId) {
  WatchEvent snapshot;
  snapshot.set_type(WatchEvent::SNAPSHOT);
  snapshot.set_revision(3);
  snapshot.add_orders()->set_order_id("ord-a");
  snapshot.add_orders()->set_order_id("ord-b");
  WatchMessagePtr message = MakeWatchMessage(snapshot);
  EXPECT_EQ(message->type, WatchEvent::SNAPSHOT);
  EXPECT_TRUE(message->order_id.empty());
  EXPECT_EQ(message->bytes.Length(), snapshot.ByteSizeLong());
  WatchEvent parsed;
  ASSERT_TRUE(ParseWatchMessage(message->bytes, &parsed));
  EXPECT_EQ(parsed.orders_size(), 2);
}

TEST(WatchMessageTest, AccountCarriesTheForecastAndItsTenantsAndMovesToARevision) {
  provisioning::v1::AccountForecast forecast;
  forecast.set_state(provisioning::v1::AccountForecast::WARNING);
  forecast.set_backend("tencent");
  forecast.set_balance("5.60");
  forecast.mutable_forecast()->set_seconds(12600);
  WatchMessagePtr message = AccountMessage(forecast, 9, {"team-a"});
  EXPECT_EQ(message->type, WatchEvent::ACCOUNT);
  EXPECT_EQ(message->revision, 9);
  EXPECT_TRUE(message->order_id.empty());
  EXPECT_EQ(message->tenants, std::vector<std::string>{"team-a"});
  WatchMessagePtr later = AtRevision(message, 12);
  EXPECT_EQ(later->revision, 12);
  EXPECT_EQ(later->tenants, message->tenants);
  WatchEvent parsed;
  ASSERT_TRUE(ParseWatchMessage(later->bytes, &parsed));
  EXPECT_EQ(parsed.type(), WatchEvent::ACCOUNT);
  EXPECT_EQ(parsed.revision(), 12);
  EXPECT_EQ(parsed.orders_size(), 0);
  EXPECT_EQ(parsed.account().backend(), "tencent");
  EXPECT_EQ(parsed.account().forecast().seconds(), 12600);
}

TEST(WatchMessageTest, GarbageIsNotAWatchEvent) {
  grpc::Slice slice(std::string("\xff\xff\xff", 3));
  grpc::ByteBuffer garbage(&slice, 1);
  WatchEvent parsed;
  EXPECT_FALSE(ParseWatchMessage(garbage, &parsed));
}

}  // namespace
}  // namespace cvm
