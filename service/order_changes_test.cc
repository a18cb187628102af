#include "service/order_changes.h"

#include <string>
#include <vector>

#include "common/order_states.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using google::protobuf::TextFormat;
using google::protobuf::util::MessageDifferencer;
using provisioning::v1::Instance;
using provisioning::v1::Order;
using provisioning::v1::OrderChange;

template <typename Message>
Message Parse(const std::string& text) {
  Message message;
  EXPECT_TRUE(TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

struct Case {
  std::string name;
  std::string before;                 // Order, text format
  std::string after;                  // Order, text format
  std::vector<std::string> expected;  // OrderChange, text format
};

const std::vector<Case>& Cases() {
  static const auto* cases = new std::vector<Case>{
      {"a candidates order's first attempt in its first cell is no fallback",
       "state: CHECKING candidates { zones: 'z1' zones: 'z2' }",
       "state: SUBMITTED candidates { zones: 'z1' zones: 'z2' }"
       " skipped { zone: 'z2' verdict: 'ZONE_SOLD_OUT' }"
       " attempts { number: 1 cell { zone: 'z1' } outcome: IN_FLIGHT }",
       {}},
      {"a first attempt after a cell listed before it was passed over falls back",
       "state: CHECKING candidates { zones: 'z1' zones: 'z2' }",
       "state: SUBMITTED candidates { zones: 'z1' zones: 'z2' }"
       " skipped { zone: 'z1' verdict: 'ZONE_SOLD_OUT' }"
       " attempts { number: 1 cell { zone: 'z2' } instance_count: 2 outcome: IN_FLIGHT }",
       {"kind: FELL_BACK attempt { number: 1 cell { zone: 'z2' } instance_count: 2"
        " outcome: IN_FLIGHT }"}},
      {"a second attempt falls back; a recorded outcome is no new attempt",
       "state: SUBMITTED attempts { number: 1 cell { zone: 'z1' } outcome: IN_FLIGHT }",
       "state: SUBMITTED attempts { number: 1 cell { zone: 'z1' } outcome: REFUSED }"
       " attempts { number: 2 cell { zone: 'z2' } outcome: IN_FLIGHT }",
       {"kind: FELL_BACK attempt { number: 2 cell { zone: 'z2' } outcome: IN_FLIGHT }"}},
      {"nothing changed",
       "state: ACTIVE instances { instance_id: 'i1' state: RUNNING public_ips: '1.2.3.4' }",
       "state: ACTIVE instances { instance_id: 'i1' state: RUNNING public_ips: '1.2.3.4' }",
       {}},
      {"only last_changes, revision and times differ",
       "state: ACTIVE revision: 3 last_changes { kind: ORDER_FINAL } "
       "instances { instance_id: 'i1' state: RUNNING }",
       "state: ACTIVE revision: 4 update_time { seconds: 9 } "
       "instances { instance_id: 'i1' state: RUNNING }",
       {}},
      {"order step without instances",
       "state: ACCEPTED", "state: CHECKING", {}},
      {"new instances appear",
       "state: SUBMITTED",
       "state: PROVISIONING instances { instance_id: 'i1' state: PENDING } "
       "instances { instance_id: 'i2' state: PENDING }",
       {"kind: STATE_CHANGED instance_id: 'i1' to_state: PENDING",
        "kind: STATE_CHANGED instance_id: 'i2' to_state: PENDING"}},
      {"pending to running",
       "state: PROVISIONING instances { instance_id: 'i1' state: PENDING }",
       "state: PROVISIONING instances { instance_id: 'i1' state: RUNNING }",
       {"kind: STATE_CHANGED instance_id: 'i1' from_state: PENDING to_state: RUNNING"}},
      {"public IP assigned",
       "state: PROVISIONING instances { instance_id: 'i1' state: RUNNING }",
       "state: ACTIVE instances { instance_id: 'i1' state: RUNNING public_ips: '1.2.3.4' }",
       {"kind: PUBLIC_IP_ASSIGNED instance_id: 'i1' from_state: RUNNING to_state: RUNNING "
        "public_ips: '1.2.3.4'"}},
      {"private IPs alone are no event",
       "state: PROVISIONING instances { instance_id: 'i1' state: PENDING }",
       "state: PROVISIONING instances { instance_id: 'i1' state: PENDING private_ips: '10.0.0.1' }",
       {}},
      {"launch failed ends the order",
       "state: PROVISIONING instances { instance_id: 'i1' state: PENDING }",
       "state: FAILED instances { instance_id: 'i1' state: LAUNCH_FAILED }",
       {"kind: STATE_CHANGED instance_id: 'i1' from_state: PENDING to_state: LAUNCH_FAILED",
        "kind: LAUNCH_FAILED instance_id: 'i1' from_state: PENDING to_state: LAUNCH_FAILED",
        "kind: ORDER_FINAL from_order_state: PROVISIONING to_order_state: FAILED"}},
      {"spot instance reclaimed",
       "state: ACTIVE instances { instance_id: 'i1' state: RUNNING restriction: NORMAL }",
       "state: ACTIVE instances { instance_id: 'i1' state: SHUTDOWN restriction: SPOT_RECLAIMED }",
       {"kind: STATE_CHANGED instance_id: 'i1' from_state: RUNNING to_state: SHUTDOWN",
        "kind: SPOT_RECLAIMED instance_id: 'i1' from_state: RUNNING to_state: SHUTDOWN "
        "restriction: SPOT_RECLAIMED"}},
      {"reclaimed spot instance released",
       "state: ACTIVE instances { instance_id: 'i1' state: SHUTDOWN restriction: SPOT_RECLAIMED }",
       "state: ACTIVE instances { instance_id: 'i1' state: TERMINATED restriction: SPOT_RECLAIMED }",
       {"kind: STATE_CHANGED instance_id: 'i1' from_state: SHUTDOWN to_state: TERMINATED",
        "kind: RELEASED instance_id: 'i1' from_state: SHUTDOWN to_state: TERMINATED"}},
      {"isolated for arrears",
       "state: ACTIVE instances { instance_id: 'i1' state: RUNNING restriction: NORMAL "
       "isolated_source: NOT_ISOLATED }",
       "state: ACTIVE instances { instance_id: 'i1' state: SHUTDOWN restriction: ISOLATED_ARREARS "
       "isolated_source: ISOLATED_BY_ARREARS }",
       {"kind: STATE_CHANGED instance_id: 'i1' from_state: RUNNING to_state: SHUTDOWN",
        "kind: ISOLATED instance_id: 'i1' from_state: RUNNING to_state: SHUTDOWN "
        "restriction: ISOLATED_ARREARS isolated_source: ISOLATED_BY_ARREARS"}},
      {"expired, source not reported: inferred",
       "state: ACTIVE instances { instance_id: 'i1' state: RUNNING restriction: NORMAL }",
       "state: ACTIVE instances { instance_id: 'i1' state: RUNNING restriction: EXPIRED }",
       {"kind: ISOLATED instance_id: 'i1' from_state: RUNNING to_state: RUNNING "
        "restriction: EXPIRED isolated_source: ISOLATED_BY_EXPIRY"}},
      {"isolated by hand: source only",
       "state: ACTIVE instances { instance_id: 'i1' state: RUNNING isolated_source: NOT_ISOLATED }",
       "state: ACTIVE instances { instance_id: 'i1' state: RUNNING "
       "isolated_source: ISOLATED_MANUALLY }",
       {"kind: ISOLATED instance_id: 'i1' from_state: RUNNING to_state: RUNNING "
        "isolated_source: ISOLATED_MANUALLY"}},
      {"still isolated: no new event",
       "state: ACTIVE instances { instance_id: 'i1' state: SHUTDOWN restriction: ISOLATED_ARREARS }",
       "state: ACTIVE instances { instance_id: 'i1' state: SHUTDOWN restriction: ISOLATED_ARREARS "
       "isolated_source: ISOLATED_BY_ARREARS }",
       {}},
      {"arrears turn into expiry",
       "state: ACTIVE instances { instance_id: 'i1' state: SHUTDOWN restriction: ISOLATED_ARREARS }",
       "state: ACTIVE instances { instance_id: 'i1' state: SHUTDOWN restriction: EXPIRED }",
       {"kind: ISOLATED instance_id: 'i1' from_state: SHUTDOWN to_state: SHUTDOWN "
        "restriction: EXPIRED isolated_source: ISOLATED_BY_EXPIRY"}},
      {"terminated: every instance released, order final",
       "state: TERMINATING instances { instance_id: 'i1' state: RUNNING } "
       "instances { instance_id: 'i2' state: TERMINATED }",
       "state: TERMINATED instances { instance_id: 'i1' state: TERMINATED } "
       "instances { instance_id: 'i2' state: TERMINATED }",
       {"kind: STATE_CHANGED instance_id: 'i1' from_state: RUNNING to_state: TERMINATED",
        "kind: RELEASED instance_id: 'i1' from_state: RUNNING to_state: TERMINATED",
        "kind: ORDER_FINAL from_order_state: TERMINATING to_order_state: TERMINATED"}},
      {"cancelled before the cloud call",
       "state: CHECKING", "state: CANCELLED",
       {"kind: ORDER_FINAL from_order_state: CHECKING to_order_state: CANCELLED"}},
      {"active is not final", "state: PROVISIONING", "state: ACTIVE", {}},
      {"failed stays final without a second event", "state: FAILED", "state: FAILED", {}},
  };
  return *cases;
}

TEST(ChangesBetweenTest, Table) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    const std::vector<OrderChange> got =
        ChangesBetween(Parse<Order>(c.before), Parse<Order>(c.after));
    ASSERT_EQ(got.size(), c.expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      const OrderChange want = Parse<OrderChange>(c.expected[i]);
      EXPECT_TRUE(MessageDifferencer::Equals(got[i], want))
          << "change " << i << "\n got: " << got[i].ShortDebugString()
          << "\nwant: " << want.ShortDebugString();
    }
  }
}

TEST(ChangesBetweenTest, FinalStatesAndIsolation) {
  EXPECT_TRUE(IsFinal(Order::FAILED));
  EXPECT_TRUE(IsFinal(Order::CANCELLED));
  EXPECT_TRUE(IsFinal(Order::TERMINATED));
  EXPECT_FALSE(IsFinal(Order::ACTIVE));
  EXPECT_FALSE(IsFinal(Order::TERMINATING));
  EXPECT_FALSE(IsIsolated(Parse<Instance>("restriction: NORMAL isolated_source: NOT_ISOLATED")));
  EXPECT_FALSE(IsIsolated(Parse<Instance>("restriction: SPOT_RECLAIMED")));
  EXPECT_TRUE(IsIsolated(Parse<Instance>("restriction: EXPIRED")));
  EXPECT_TRUE(IsIsolated(Parse<Instance>("isolated_source: ISOLATED_MANUALLY")));
}

}  // namespace
}  // namespace cvm
