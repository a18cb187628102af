#include "service/user_data_redaction.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "service/watch_message.h"

namespace cvm {
namespace {

using provisioning::v1::DescribeResponse;
using provisioning::v1::InstanceSpec;
using provisioning::v1::Order;
using provisioning::v1::WatchEvent;

// sha256("#cloud-config\n# secret-marker\n"), from sha256sum.
constexpr char kScript[] = "#cloud-config\n# secret-marker\n";
constexpr char kScriptSha256[] = "98c2d3b8e713f3a435573a58548f2abd16e33551c7c0fe977778fa065db434ca";

Order OrderWithUserData(const std::string& id) {
  Order order;
  order.set_order_id(id);
  order.mutable_spec()->set_zone("ap-guangzhou-3");
  order.mutable_spec()->set_user_data(absl::Base64Escape(kScript));
  order.add_instances()->set_instance_id("ins-1");
  return order;
}

TEST(UserDataRedactionTest, HashIsTheSha256OfTheDecodedData) {
  // FIPS 180-2's "abc" vector, given base64-encoded.
  EXPECT_EQ(UserDataSha256("YWJj"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(UserDataSha256(absl::Base64Escape(kScript)), kScriptSha256);
}

TEST(UserDataRedactionTest, DescribeAnswerKeepsTheHashAndLosesTheData) {
  DescribeResponse response;
  *response.add_orders() = OrderWithUserData("ord-1");
  response.add_orders()->set_order_id("ord-2");  // no user data
  RedactUserData(&response);
  EXPECT_TRUE(response.orders(0).spec().user_data().empty());
  EXPECT_EQ(response.orders(0).spec().user_data_sha256(), kScriptSha256);
  EXPECT_EQ(response.orders(0).spec().zone(), "ap-guangzhou-3");
  EXPECT_EQ(response.orders(0).instances(0).instance_id(), "ins-1");
  EXPECT_TRUE(response.orders(1).spec().user_data_sha256().empty());
  EXPECT_FALSE(absl::StrContains(response.SerializeAsString(), "secret-marker"));
  EXPECT_FALSE(absl::StrContains(response.SerializeAsString(), absl::Base64Escape(kScript)));
}

TEST(UserDataRedactionTest, OrderAndBareSpecAreRedactedToo) {
  Order order = OrderWithUserData("ord-1");
  RedactUserData(&order);
  EXPECT_TRUE(order.spec().user_data().empty());
  EXPECT_EQ(order.spec().user_data_sha256(), kScriptSha256);
  InstanceSpec spec = OrderWithUserData("x").spec();
  RedactUserData(&spec);
  EXPECT_EQ(spec.user_data_sha256(), kScriptSha256);
  // Messages that cannot hold a spec are left alone.
  provisioning::v1::Quote quote;
  quote.set_total_price_per_hour("0.32");
  RedactUserData(&quote);
  EXPECT_EQ(quote.total_price_per_hour(), "0.32");
}

TEST(UserDataRedactionTest, WatchMessagesCarryTheHashAndTheStoredEventKeepsTheData) {
  OrderEvent event;
  event.revision = 5;
  event.order = OrderWithUserData("ord-1");
  WatchMessagePtr change = ChangeMessage(event);
  WatchEvent snapshot;
  snapshot.set_type(WatchEvent::SNAPSHOT);
  *snapshot.add_orders() = OrderWithUserData("ord-2");
  WatchMessagePtr first = MakeWatchMessage(snapshot);
  for (const WatchMessagePtr& message : {change, first}) {
    WatchEvent parsed;
    ASSERT_TRUE(ParseWatchMessage(message->bytes, &parsed));
    ASSERT_EQ(parsed.orders_size(), 1);
    EXPECT_TRUE(parsed.orders(0).spec().user_data().empty());
    EXPECT_EQ(parsed.orders(0).spec().user_data_sha256(), kScriptSha256);
    EXPECT_FALSE(absl::StrContains(parsed.SerializeAsString(), "secret-marker"));
  }
  EXPECT_EQ(change->order_id, "ord-1");
  // The event (the store's) still has it: the cloud call needs it.
  EXPECT_EQ(event.order.spec().user_data(), absl::Base64Escape(kScript));
}

}  // namespace
}  // namespace cvm
