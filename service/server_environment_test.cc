// The server environment built from options: every part on one store, the
// node groups wired to the same store and driver (a group's order reaches
// the fake cloud), the store's listener detached before the members it
// calls are destroyed, and bad options refused naming the option.
#include "service/server_environment.h"

#include "absl/time/clock.h"
#include "common/status_details.h"
#include "gtest/gtest.h"
#include "service/change_recording_store.h"
#include "service/node_group_test_support.h"

namespace cvm {
namespace {

using provisioning::v1::NodeGroup;
using provisioning::v1::Order;

ServerOptions FakeOptions() {
  ServerOptions options;
  auto* backend = options.config.add_backends();
  backend->set_name("fake");
  backend->set_plugin("fake");
  options.config.mutable_auth()->set_insecure_plaintext(true);
  options.store = "memory";
  return options;
}

std::string FieldOf(const absl::Status& status) {
  auto bad = GetDetail<google::rpc::BadRequest>(status);
  return bad.has_value() && bad->field_violations_size() > 0 ? bad->field_violations(0).field()
                                                             : "";
}

TEST(ServerEnvironmentTest, AGroupsOrderGoesThroughTheSameStoreAndDriver) {
  auto env = ServerEnvironment::Create(FakeOptions(), {});
  ASSERT_TRUE(env.ok()) << env.status();
  ServerEnvironment& e = **env;
  EXPECT_EQ(e.backends->Names(), std::vector<std::string>{"fake"});
  EXPECT_EQ(e.audit, nullptr);
  EXPECT_EQ(e.shared_leases(), nullptr);
  ASSERT_NE(e.service, nullptr);
  ASSERT_NE(e.node_groups->service, nullptr);
  ASSERT_NE(e.node_groups->autoscaler, nullptr);

  ASSERT_TRUE(e.node_groups->manager->Create("", NodeGroupWorld::Group("workers", 2)).ok());
  auto listed = e.node_groups->manager->List("");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  ASSERT_TRUE(e.node_groups->reconciler->ReconcileAll().ok());
  auto group = e.node_group_store->Get("", "workers");
  ASSERT_TRUE(group.ok()) << group.status();
  ASSERT_EQ(group->status().order_ids_size(), 1) << group->DebugString();
  // The reconciler handed the order to the driver, which buys it.
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  absl::StatusOr<Order> order = e.store->GetOrder(group->status().order_ids(0));
  while (order.ok() && order->state() == Order::ACCEPTED && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
    order = e.store->GetOrder(group->status().order_ids(0));
  }
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_NE(order->state(), Order::ACCEPTED);
  EXPECT_EQ(order->spec().instance_type(), "S5.MEDIUM2");
  std::printf("group order %s left ACCEPTED for %s\n", order->order_id().c_str(),
              Order::State_Name(order->state()).c_str());
  e.driver->Stop();
}

// Stands in for env.store once Create() has built it: owns the store the
// environment built (its users keep their pointers to that one) and notes,
// when destroyed, whether the environment's listener was still installed. A
// PostgreSQL store's feed thread calls that listener until the store is
// destroyed, after the poller the listener calls into.
class ListenerProbe : public ChangeRecordingStore {
 public:
  ListenerProbe(std::unique_ptr<OrderStore> built, bool* installed_at_destruction)
      : ChangeRecordingStore(std::move(built)),
        installed_at_destruction_(installed_at_destruction) {}
  ~ListenerProbe() override { *installed_at_destruction_ = installed_; }
  void SetListener(Listener listener) override {
    installed_ = listener != nullptr;
    ChangeRecordingStore::SetListener(std::move(listener));
  }

 private:
  bool installed_ = true;  // Create() installed the environment's
  bool* const installed_at_destruction_;
};

TEST(ServerEnvironmentTest, TheStoreIsDestroyedWithItsListenerDetached) {
  auto env = ServerEnvironment::Create(FakeOptions(), {});
  ASSERT_TRUE(env.ok()) << env.status();
  bool installed = true;
  (*env)->store = std::make_unique<ListenerProbe>(std::move((*env)->store), &installed);
  env->reset();
  EXPECT_FALSE(installed) << "the store outlived the poller with the listener that calls it";
}

TEST(ServerEnvironmentTest, BadOptionsAreRefusedNamingTheOption) {
  ServerOptions polling = FakeOptions();
  polling.poll_slow_interval = polling.poll_fast_interval / 2;
  ServerOptions store = FakeOptions();
  store.store = "mysql:db";
  ServerOptions backends = FakeOptions();
  backends.config.clear_backends();
  ServerOptions memory = FakeOptions();
  memory.config.mutable_capacity_memory()->mutable_verdict_ttl()->set_seconds(7200);
  for (const auto& [options, field] : std::vector<std::pair<ServerOptions, std::string>>{
           {polling, "poll_fast_interval"},
           {store, "store"},
           {backends, "backends"},
           {memory, "capacity_memory.verdict_ttl"}}) {
    auto env = ServerEnvironment::Create(options, {});
    EXPECT_EQ(env.status().code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_EQ(FieldOf(env.status()), field) << env.status();
  }
}

}  // namespace
}  // namespace cvm
