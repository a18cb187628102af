#include "plugins/policy_set.h"

#include <atomic>
#include <cstdlib>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/status_details.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

using provisioning::config::v1::ServiceConfig;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// "deny_region": denies purchases in the region its StringValue config names
// and records who it saw; "needs_ledger" fails without one.
class DenyRegionFactory : public PolicyFactory {
 public:
  std::string name() const override { return "deny_region"; }
  std::unique_ptr<google::protobuf::Message> CreateEmptyConfig() const override {
    return std::make_unique<google::protobuf::StringValue>();
  }
  absl::StatusOr<std::unique_ptr<Policy>> Create(const google::protobuf::Message& config,
                                                 const PolicyContext& context) const override {
    const auto& region = static_cast<const google::protobuf::StringValue&>(config).value();
    if (region == "bad") return InvalidFields({{"value", "not a region"}});
    class Deny : public Policy {
     public:
      Deny(std::string region, std::string name) : region_(region), name_(name) {}
      absl::Status Check(const PurchaseCheck& check) override {
        if (check.request->spec().region() != region_) return absl::OkStatus();
        return WithReason(absl::PermissionDeniedError("denied by " + name_), "POLICY_TEST",
                          {{"policy", name_}});
      }
      std::string region_, name_;
    };
    return std::unique_ptr<Policy>(new Deny(region, context.name));
  }
};

class PolicySetTest : public ::testing::Test {
 protected:
  PolicySetTest() { EXPECT_TRUE(registry_.Register(std::make_unique<DenyRegionFactory>()).ok()); }

  void Add(const std::string& name, const std::string& region,
           std::vector<std::string> tenants = {}) {
    auto* policy = config_.add_policies();
    policy->set_name(name);
    policy->set_plugin("deny_region");
    google::protobuf::StringValue value;
    value.set_value(region);
    policy->mutable_config()->PackFrom(value);
    for (const std::string& t : tenants) policy->add_tenants(t);
  }

  absl::StatusOr<std::unique_ptr<PolicySet>> Build() {
    return PolicySet::Create(config_, registry_, PolicyContext());
  }

  static provisioning::v1::PurchaseRequest In(const std::string& region) {
    provisioning::v1::PurchaseRequest request;
    request.mutable_spec()->set_region(region);
    request.set_instance_count(1);
    return request;
  }

  static absl::Status Check(PolicySet& set, const provisioning::v1::PurchaseRequest& request,
                            const std::string& tenant = kDefaultTenant) {
    return set.Check({tenant, &request, "b", nullptr});
  }

  static std::string BadField(const absl::Status& status) {
    auto bad = GetDetail<google::rpc::BadRequest>(status);
    return bad.has_value() && bad->field_violations_size() > 0 ? bad->field_violations(0).field()
                                                               : "";
  }

  PolicyRegistry registry_;
  ServiceConfig config_;
};

TEST_F(PolicySetTest, WithoutPoliciesNothingAppliesAndAdmissionHoldsNothing) {
  auto set = Build();
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_FALSE((*set)->AppliesTo(kDefaultTenant));
  EXPECT_FALSE((*set)->Admit(kDefaultTenant)->holds());
  EXPECT_TRUE(Check(**set, In("anywhere")).ok());
}

TEST_F(PolicySetTest, RunsPoliciesInOrderAndTheFirstDenialWins) {
  Add("first", "ap-beijing");
  Add("second", "ap-beijing");
  Add("third", "ap-shanghai");
  auto set = Build();
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT((*set)->Names(), ElementsAre("first", "second", "third"));
  EXPECT_TRUE(Check(**set, In("ap-guangzhou")).ok());
  EXPECT_EQ(Check(**set, In("ap-beijing")).message(), "denied by first");
  EXPECT_EQ(Check(**set, In("ap-shanghai")).message(), "denied by third");
}

TEST_F(PolicySetTest, APolicyWithTenantsAppliesOnlyToThem) {
  Add("acme-only", "ap-beijing", {"acme"});
  auto set = Build();
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE((*set)->AppliesTo("acme"));
  EXPECT_FALSE((*set)->AppliesTo(kDefaultTenant));
  EXPECT_TRUE(Check(**set, In("ap-beijing"), kDefaultTenant).ok());
  EXPECT_EQ(Check(**set, In("ap-beijing"), "acme").code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(PolicySetTest, ConfigErrorsNameTheirField) {
  Add("", "x");
  EXPECT_EQ(BadField(Build().status()), "policies[0].name");

  config_.Clear();
  Add("twice", "x");
  Add("twice", "y");
  EXPECT_EQ(BadField(Build().status()), "policies[1].name");

  config_.Clear();
  Add("typo", "x");
  config_.mutable_policies(0)->set_plugin("deny_regoin");
  absl::Status unknown = Build().status();
  EXPECT_EQ(BadField(unknown), "policies[0].plugin");
  EXPECT_THAT(unknown.message(), HasSubstr("registered plugins: deny_region"));

  config_.Clear();
  Add("wrong-type", "x");
  config_.mutable_policies(0)->mutable_config()->PackFrom(google::protobuf::Struct());
  absl::Status wrong = Build().status();
  EXPECT_EQ(BadField(wrong), "policies[0].config");
  EXPECT_THAT(wrong.message(), HasSubstr("takes google.protobuf.StringValue"));

  config_.Clear();
  Add("ok", "x");
  Add("plugin-says-no", "bad");
  absl::Status rejected = Build().status();
  EXPECT_EQ(rejected.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BadField(rejected), "policies[1].config.value");
  EXPECT_THAT(rejected.message(), HasSubstr("policies[1] (plugin-says-no): "));
}

TEST_F(PolicySetTest, AdmissionSerializesOneTenantButNotOthers) {
  Add("any", "nowhere");
  auto built = Build();
  ASSERT_TRUE(built.ok()) << built.status();
  PolicySet& set = **built;
  PolicySet::Admission held = *set.Admit("t1");
  ASSERT_TRUE(held.holds());

  // Another tenant is admitted at once.
  absl::Notification other_done;
  std::thread other([&] {
    PolicySet::Admission a = *set.Admit("t2");
    other_done.Notify();
  });
  EXPECT_TRUE(other_done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  other.join();

  // The same tenant waits until the first admission is released.
  std::atomic<bool> admitted{false};
  std::thread same([&] {
    PolicySet::Admission a = *set.Admit("t1");
    admitted = true;
  });
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(admitted);
  held = PolicySet::Admission();  // release
  same.join();
  EXPECT_TRUE(admitted);
}

std::string SamplePolicyLibrary() {
  return std::string(std::getenv("TEST_SRCDIR")) +
         "/cvm_provisioner/plugins/sample/libcvm_sample_policy.so";
}

TEST_F(PolicySetTest, PolicyFromAPluginLibraryIsConfiguredByItsName) {
  config_.add_plugin_libraries(SamplePolicyLibrary());
  auto* policy = config_.add_policies();
  policy->set_name("small-purchases");
  policy->set_plugin("sample_policy");
  google::protobuf::Struct limits;
  (*limits.mutable_fields())["max_instances_per_purchase"].set_number_value(2);
  policy->mutable_config()->PackFrom(limits);
  auto set = Build();
  ASSERT_TRUE(set.ok()) << set.status();
  auto request = In("ap-guangzhou");
  request.set_instance_count(2);
  EXPECT_TRUE(Check(**set, request).ok());
  request.set_instance_count(3);
  absl::Status status = Check(**set, request);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_EQ(ErrorReason(status), "POLICY_SAMPLE_TOO_MANY_INSTANCES");
}

TEST_F(PolicySetTest, AnUnknownPluginListsLoadedOnesToo) {
  config_.add_plugin_libraries(SamplePolicyLibrary());
  Add("typo", "x");
  config_.mutable_policies(0)->set_plugin("sample_polcy");
  EXPECT_THAT(Build().status().message(),
              HasSubstr("registered plugins: deny_region, sample_policy"));
}

}  // namespace
}  // namespace cvm
