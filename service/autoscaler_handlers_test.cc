// Every CloudProvider answer on node groups of the fake backend, the
// reconciler driven by hand: tenants, provider IDs, resizing, deleting
// exactly the named nodes, decreasing only what is not made yet,
// out-of-resources placeholders, the template node and the node price.
#include "service/autoscaler_handlers.h"

#include <memory>
#include <string>

#include "common/proto_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/k8s_node_decoder_test_support.h"
#include "service/node_group_test_support.h"
#include "service/validation_test_support.h"

namespace cvm {
namespace {

using provisioning::fake::v1::FakeBackendConfig;
using provisioning::v1::NodeGroup;
using provisioning::v1::NodeGroupInstance;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

class AutoscalerHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override { Build(FakeBackendConfig()); }

  void Build(FakeBackendConfig fake, AutoscalerHandlers::Options options = {}) {
    world_ = std::make_unique<NodeGroupWorld>(fake);
    handlers_ = std::make_unique<AutoscalerHandlers>(AutoscalerHandlers::Deps{
        world_->manager.get(), world_->workflow.get(), world_->backends.get(), options});
  }

  void Create(const std::string& tenant, NodeGroup group) {
    auto created = world_->manager->Create(tenant, std::move(group));
    ASSERT_TRUE(created.ok()) << created.status();
  }

  NodeGroup Get(const std::string& id, const std::string& tenant = "a") {
    return *world_->manager->Get(tenant, id);
  }

  ca::NodeGroupNodesResponse Nodes(const std::string& id) {
    ca::NodeGroupNodesRequest request;
    request.set_id(id);
    ca::NodeGroupNodesResponse response;
    EXPECT_TRUE(handlers_->NodeGroupNodes("a", request, &response).ok());
    return response;
  }

  std::string GroupOf(const std::string& provider_id, const std::string& tenant = "a") {
    ca::NodeGroupForNodeRequest request;
    request.mutable_node()->set_providerid(provider_id);
    ca::NodeGroupForNodeResponse response;
    EXPECT_TRUE(handlers_->NodeGroupForNode(tenant, request, &response).ok());
    return response.nodegroup().id();
  }

  absl::Status Increase(const std::string& id, int delta) {
    ca::NodeGroupIncreaseSizeRequest request;
    request.set_id(id);
    request.set_delta(delta);
    return handlers_->NodeGroupIncreaseSize("a", request, nullptr);
  }

  absl::Status Decrease(const std::string& id, int delta) {
    ca::NodeGroupDecreaseTargetSizeRequest request;
    request.set_id(id);
    request.set_delta(delta);
    return handlers_->NodeGroupDecreaseTargetSize("a", request, nullptr);
  }

  absl::Status DeleteNodes(const std::string& id, const std::vector<std::string>& provider_ids) {
    ca::NodeGroupDeleteNodesRequest request;
    request.set_id(id);
    for (const std::string& provider_id : provider_ids) {
      request.add_nodes()->set_providerid(provider_id);
    }
    return handlers_->NodeGroupDeleteNodes("a", request, nullptr);
  }

  std::unique_ptr<NodeGroupWorld> world_;
  std::unique_ptr<AutoscalerHandlers> handlers_;
};

TEST(ProviderIdTest, ZoneNameOrIdAndTheInstanceIdBack) {
  EXPECT_EQ(ProviderIdOf({}, "ap-guangzhou-3", "ins-1"), "qcloud:///ap-guangzhou-3/ins-1");
  EXPECT_EQ(ProviderIdOf({{"ap-guangzhou-3", "100003"}}, "ap-guangzhou-3", "ins-1"),
            "qcloud:///100003/ins-1");
  EXPECT_EQ(InstanceIdOf("qcloud:///100003/ins-3ven36lk"), "ins-3ven36lk");
  EXPECT_EQ(InstanceIdOf("qcloud:///ap-guangzhou-3/ins-3ven36lk"), "ins-3ven36lk");
  EXPECT_EQ(InstanceIdOf("ins-3ven36lk"), "ins-3ven36lk");
  EXPECT_EQ(InstanceIdOf("aws:///us-east-1a/i-0abc"), "");
  EXPECT_EQ(InstanceIdOf("qcloud:///ins-1"), "");
  EXPECT_EQ(InstanceIdOf("qcloud:///a/b/ins-1"), "");
  EXPECT_EQ(InstanceIdOf(""), "");
}

TEST_F(AutoscalerHandlersTest, EachTenantSeesItsGroupsAndItsNodes) {
  Build(FakeBackendConfig(), {{{"ap-guangzhou-3", "100003"}}});
  Create("a", NodeGroupWorld::Group("web", 2));
  Create("a", NodeGroupWorld::Group("batch", 0, 3));
  Create("b", NodeGroupWorld::Group("web", 1));
  ASSERT_TRUE(world_->Settle().ok());

  ca::NodeGroupsResponse groups;
  ASSERT_TRUE(handlers_->NodeGroups("a", {}, &groups).ok());
  ASSERT_EQ(groups.nodegroups_size(), 2);
  EXPECT_EQ(groups.nodegroups(0).id(), "batch");
  EXPECT_EQ(groups.nodegroups(0).maxsize(), 3);
  EXPECT_EQ(groups.nodegroups(1).id(), "web");
  EXPECT_EQ(groups.nodegroups(1).minsize(), 0);
  EXPECT_EQ(groups.nodegroups(1).maxsize(), 5);
  EXPECT_THAT(groups.nodegroups(1).debug(), HasSubstr("target 2 (2 running"));

  const NodeGroup web = Get("web");
  ASSERT_EQ(web.status().instances_size(), 2);
  const std::string id = web.status().instances(0).instance_id();
  EXPECT_EQ(GroupOf("qcloud:///100003/" + id), "web");
  EXPECT_EQ(GroupOf("qcloud:///ap-guangzhou-3/" + id),
            "web");  // a zone name is fine too
  EXPECT_EQ(GroupOf(id), "web");
  EXPECT_EQ(GroupOf("qcloud:///100003/" + id, "b"),
            "");  // another tenant's instance
  EXPECT_EQ(GroupOf("qcloud:///100003/ins-unknown"), "");
  EXPECT_EQ(GroupOf("aws:///us-east-1a/i-0abc"), "");

  // Ids carry the zone id, as kubelets on Tencent write them.
  const auto nodes = Nodes("web");
  ASSERT_EQ(nodes.instances_size(), 2);
  for (const auto& instance : nodes.instances()) {
    EXPECT_THAT(instance.id(), ::testing::StartsWith("qcloud:///100003/ins-"));
    EXPECT_EQ(instance.status().instancestate(), ca::InstanceStatus::instanceRunning);
    EXPECT_EQ(instance.status().errorinfo().errorcode(), "");
  }
  ca::NodeGroupTargetSizeRequest target;
  target.set_id("web");
  ca::NodeGroupTargetSizeResponse size;
  ASSERT_TRUE(handlers_->NodeGroupTargetSize("b", target, &size).ok());
  EXPECT_EQ(size.targetsize(), 1);  // b's own "web"
  target.set_id("batch");
  EXPECT_EQ(handlers_->NodeGroupTargetSize("b", target, &size).code(), absl::StatusCode::kNotFound);
}

TEST_F(AutoscalerHandlersTest, IncreaseRaisesTheTargetAtOnceWithinMax) {
  Create("a", NodeGroupWorld::Group("web", 1, 4));
  ASSERT_TRUE(world_->Settle().ok());
  EXPECT_THAT(BadFields(Increase("web", 0)), ElementsAre("delta"));
  EXPECT_THAT(BadFields(Increase("web", 4)), ElementsAre("delta"));  // 5 > max 4
  EXPECT_EQ(Increase("nope", 1).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(Increase("web", 3).ok());
  EXPECT_EQ(Get("web").target_size(), 4);  // before any reconcile

  // A pass orders them, the next records them: creating, then running.
  ASSERT_TRUE(world_->reconciler->ReconcileAll().ok());
  ASSERT_TRUE(world_->reconciler->ReconcileAll().ok());
  int creating = 0;
  const auto ordered = Nodes("web");
  for (const auto& instance : ordered.instances()) {
    creating += instance.status().instancestate() == ca::InstanceStatus::instanceCreating;
  }
  EXPECT_EQ(creating, 3);
  ASSERT_TRUE(world_->Settle().ok());
  const auto nodes = Nodes("web");
  ASSERT_EQ(nodes.instances_size(), 4);
  for (const auto& instance : nodes.instances()) {
    EXPECT_EQ(instance.status().instancestate(), ca::InstanceStatus::instanceRunning);
  }
}

TEST_F(AutoscalerHandlersTest, DeleteNodesReleasesExactlyTheNamedAndRefusesForeignOnes) {
  Create("a", NodeGroupWorld::Group("web", 3));
  Create("a", NodeGroupWorld::Group("db", 1));
  ASSERT_TRUE(world_->Settle().ok());
  const NodeGroup web = Get("web");
  const std::string gone = web.status().instances(1).instance_id();
  const std::string foreign = Get("db").status().instances(0).instance_id();
  const std::string zone = "qcloud:///ap-guangzhou-3/";

  // A node of another group: NOT_FOUND naming it, nothing released.
  absl::Status refused = DeleteNodes("web", {zone + gone, zone + foreign});
  EXPECT_EQ(refused.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(refused.message()), HasSubstr(foreign));
  EXPECT_EQ(ErrorReason(refused), "INSTANCE_NOT_IN_GROUP");
  EXPECT_EQ(GetDetail<google::rpc::ErrorInfo>(refused)->metadata().at("field"),
            "nodes[1].providerID");
  EXPECT_THAT(BadFields(DeleteNodes("web", {"aws:///x/i-1"})), ElementsAre("nodes[0].providerID"));
  EXPECT_THAT(BadFields(DeleteNodes("web", {})), ElementsAre("nodes"));
  EXPECT_EQ(Get("web").target_size(), 3);
  EXPECT_TRUE(Get("web").status().releasing().empty());

  ASSERT_TRUE(DeleteNodes("web", {zone + gone}).ok());
  EXPECT_EQ(Get("web").target_size(), 2);
  // Asked again (the autoscaler retries): already being deleted, no change.
  ASSERT_TRUE(DeleteNodes("web", {zone + gone}).ok());
  EXPECT_EQ(Get("web").target_size(), 2);
  ASSERT_TRUE(world_->Settle().ok());

  std::vector<std::string> left;
  const NodeGroup after = Get("web");
  for (const auto& instance : after.status().instances()) {
    left.push_back(instance.instance_id());
  }
  EXPECT_THAT(left, UnorderedElementsAre(web.status().instances(0).instance_id(),
                                         web.status().instances(2).instance_id()));
  EXPECT_EQ(Get("db").status().running(), 1);
}

TEST_F(AutoscalerHandlersTest, DecreaseDropsOnlyRequestsNotYetMade) {
  Create("a", NodeGroupWorld::Group("web", 3));
  ASSERT_TRUE(world_->Settle().ok());
  ASSERT_TRUE(Increase("web", 2).ok());  // 5 wanted, 3 exist
  EXPECT_THAT(BadFields(Decrease("web", 0)), ElementsAre("delta"));
  absl::Status below = Decrease("web", -3);
  EXPECT_EQ(below.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(below.message()), HasSubstr("3 existing instances"));
  EXPECT_EQ(Get("web").target_size(), 5);
  ASSERT_TRUE(Decrease("web", -2).ok());
  EXPECT_EQ(Get("web").target_size(), 3);
  ASSERT_TRUE(world_->Settle().ok());
  EXPECT_EQ(Get("web").status().running(), 3);  // nothing released
  EXPECT_EQ(Decrease("web", -1).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(AutoscalerHandlersTest, ASoldOutGroupReportsOutOfResourcesUntilTheAutoscalerGivesUp) {
  FakeBackendConfig fake;
  fake.add_sold_out_zones("ap-guangzhou-3");
  Build(fake);
  Create("a", NodeGroupWorld::Group("web", 2));
  ASSERT_TRUE(world_->Settle(1).ok());
  ASSERT_TRUE(Get("web").status().has_unsatisfiable());

  const auto nodes = Nodes("web");
  ASSERT_EQ(nodes.instances_size(), 2);
  std::vector<std::string> ids;
  for (const auto& instance : nodes.instances()) {
    ids.push_back(instance.id());
    EXPECT_EQ(instance.status().instancestate(), ca::InstanceStatus::instanceCreating);
    EXPECT_EQ(instance.status().errorinfo().errorcode(), "ZONE_SOLD_OUT");
    EXPECT_EQ(instance.status().errorinfo().instanceerrorclass(),
              1);  // OutOfResources
    EXPECT_FALSE(instance.status().errorinfo().errormessage().empty());
  }
  EXPECT_THAT(ids, ElementsAre("qcloud:///ap-guangzhou-3/placeholder-web-1",
                               "qcloud:///ap-guangzhou-3/placeholder-web-2"));
  // Another cause is class 99 (other).
  ASSERT_TRUE(world_->groups
                  .Update("a", "web",
                          [](NodeGroup& g) {
                            g.mutable_status()->mutable_unsatisfiable()->set_out_of_resources(
                                false);
                            g.mutable_status()->mutable_unsatisfiable()->set_reason(
                                "POLICY_BUDGET_EXCEEDED");
                            return absl::OkStatus();
                          })
                  .ok());
  EXPECT_EQ(Nodes("web").instances(0).status().errorinfo().instanceerrorclass(), 99);

  // The autoscaler deletes the failed placeholders: the target drops.
  ASSERT_TRUE(DeleteNodes("web", {ids[0]}).ok());
  EXPECT_EQ(Get("web").target_size(), 1);
  ASSERT_TRUE(DeleteNodes("web", {ids[1], ids[0]}).ok());  // the first is gone already
  EXPECT_EQ(Get("web").target_size(), 0);
  EXPECT_EQ(Nodes("web").instances_size(), 0);
}

TEST_F(AutoscalerHandlersTest, TheTemplateNodeDecodesWithLabelsAndCapacity) {
  NodeGroup group = NodeGroupWorld::Group("web", 0);
  (*group.mutable_labels())["team"] = "a";
  (*group.mutable_labels())["kubernetes.io/arch"] = "arm64";
  (*group.mutable_labels())["topology.kubernetes.io/zone"] = "elsewhere";  // not taken
  Create("a", group);
  ca::NodeGroupTemplateNodeInfoRequest request;
  request.set_id("web");
  ca::NodeGroupTemplateNodeInfoResponse response;
  ASSERT_TRUE(
      handlers_->NodeGroupTemplateNodeInfo("a", request, &response, absl::InfiniteFuture()).ok());
  auto node = DecodeK8sNode(response.nodebytes());
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(node->name, "web-template");
  EXPECT_THAT(
      node->labels,
      UnorderedElementsAre(Pair("node.kubernetes.io/instance-type", "S5.MEDIUM2"),
                           Pair("topology.kubernetes.io/zone", "ap-guangzhou-3"),
                           Pair("topology.kubernetes.io/region", "ap-guangzhou"),
                           Pair("kubernetes.io/os", "linux"), Pair("kubernetes.io/arch", "arm64"),
                           Pair("team", "a"), Pair(kNodeGroupLabel, "web")));
  EXPECT_THAT(node->capacity,
              ElementsAre(Pair("cpu", "2"), Pair("memory", "2Gi"), Pair("pods", "110")));
  EXPECT_EQ(node->allocatable, node->capacity);
  EXPECT_TRUE(node->unexpected.empty());
  EXPECT_EQ(
      handlers_->NodeGroupTemplateNodeInfo("b", request, &response, absl::InfiniteFuture()).code(),
      absl::StatusCode::kNotFound);
}

TEST_F(AutoscalerHandlersTest, ANodePriceIsTheGroupsQuoteOverTheInterval) {
  FakeBackendConfig fake;
  fake.set_price_per_hour("0.25");
  Build(fake);
  Create("a", NodeGroupWorld::Group("web", 1));
  ASSERT_TRUE(world_->Settle().ok());
  const absl::Time start = absl::FromUnixSeconds(1700000000);
  ca::PricingNodePriceRequest request;
  *request.mutable_starttimestamp() = ProtoOf(start);
  *request.mutable_endtimestamp() = ProtoOf(start + absl::Minutes(90));
  request.mutable_node()->set_providerid("qcloud:///ap-guangzhou-3/" +
                                         Get("web").status().instances(0).instance_id());
  ca::PricingNodePriceResponse response;
  ASSERT_TRUE(handlers_->PricingNodePrice("a", request, &response, absl::InfiniteFuture()).ok());
  EXPECT_DOUBLE_EQ(response.price(), 0.375);

  // A template node has no providerID: its group label names the group.
  request.mutable_node()->clear_providerid();
  (*request.mutable_node()->mutable_labels())[kNodeGroupLabel] = "web";
  response.Clear();
  ASSERT_TRUE(handlers_->PricingNodePrice("a", request, &response, absl::InfiniteFuture()).ok());
  EXPECT_DOUBLE_EQ(response.price(), 0.375);

  request.mutable_node()->clear_labels();
  EXPECT_EQ(handlers_->PricingNodePrice("a", request, &response, absl::InfiniteFuture()).code(),
            absl::StatusCode::kNotFound);
  *request.mutable_endtimestamp() = ProtoOf(start - absl::Minutes(1));
  EXPECT_THAT(
      BadFields(handlers_->PricingNodePrice("a", request, &response, absl::InfiniteFuture())),
      ElementsAre("endTimestamp"));
}

TEST_F(AutoscalerHandlersTest, GetOptionsReturnsTheDefaults) {
  Create("a", NodeGroupWorld::Group("web", 0));
  ca::NodeGroupAutoscalingOptionsRequest request;
  request.set_id("web");
  request.mutable_defaults()->set_scaledownutilizationthreshold(0.5);
  request.mutable_defaults()->mutable_maxnodeprovisionduration()->set_seconds(900);
  ca::NodeGroupAutoscalingOptionsResponse response;
  ASSERT_TRUE(handlers_->NodeGroupGetOptions("a", request, &response).ok());
  EXPECT_EQ(response.nodegroupautoscalingoptions().scaledownutilizationthreshold(), 0.5);
  EXPECT_EQ(response.nodegroupautoscalingoptions().maxnodeprovisionduration().seconds(), 900);
  request.set_id("nope");
  EXPECT_EQ(handlers_->NodeGroupGetOptions("a", request, &response).code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cvm
