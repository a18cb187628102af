// The CloudProvider service on a real server, called in Cluster Autoscaler's
// order (Refresh, NodeGroups, NodeGroupForNode, TargetSize, IncreaseSize,
// NodeGroupNodes until running, DeleteNodes, DecreaseTargetSize) with the
// reconciler driven by hand: the caller's token scopes what it sees, errors
// carry their details, the optional calls answer as documented.
#include "service/autoscaler_provider.h"

#include <cstdio>
#include <memory>

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "service/grpc_test_support.h"
#include "service/k8s_node_decoder_test_support.h"
#include "service/node_group_test_support.h"

namespace cvm {
namespace {

using provisioning::fake::v1::FakeBackendConfig;

class AutoscalerProviderTest : public ::testing::Test {
 protected:
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    return ContextFor(token);
  }

  NodeGroupWorld world_{FakeBackendConfig()};
  ThreadPool pool_{2};
  std::unique_ptr<Authenticator> auth_ = TwoTenantAuthenticator();
  std::unique_ptr<AutoscalerProvider> service_ =
      std::make_unique<AutoscalerProvider>(AutoscalerProvider::Deps{world_.manager.get(),
                                                                    world_.workflow.get(),
                                                                    world_.backends.get(),
                                                                    auth_.get(),
                                                                    &pool_,
                                                                    {}});
  TestServer server_{service_.get()};
  std::unique_ptr<ca::CloudProvider::Stub> stub_ = ca::CloudProvider::NewStub(server_.channel());
};

TEST_F(AutoscalerProviderTest, TheAutoscalersLoopScalesUpAndDownOnlyWhatItNames) {
  ASSERT_TRUE(world_.manager->Create("team-a", NodeGroupWorld::Group("web", 1, 4)).ok());
  ASSERT_TRUE(world_.Settle().ok());

  ca::RefreshResponse refreshed;
  ASSERT_TRUE(stub_->Refresh(As("token-a").get(), {}, &refreshed).ok());
  ca::NodeGroupsResponse groups;
  ASSERT_TRUE(stub_->NodeGroups(As("token-a").get(), {}, &groups).ok());
  ASSERT_EQ(groups.nodegroups_size(), 1);
  EXPECT_EQ(groups.nodegroups(0).id(), "web");
  ca::NodeGroupsResponse none;
  ASSERT_TRUE(stub_->NodeGroups(As("token-b").get(), {}, &none).ok());
  EXPECT_EQ(none.nodegroups_size(), 0);

  ca::NodeGroupNodesRequest which;
  which.set_id("web");
  ca::NodeGroupNodesResponse nodes;
  ASSERT_TRUE(stub_->NodeGroupNodes(As("token-a").get(), which, &nodes).ok());
  ASSERT_EQ(nodes.instances_size(), 1);
  const std::string first = nodes.instances(0).id();
  ca::NodeGroupForNodeRequest for_node;
  for_node.mutable_node()->set_providerid(first);
  ca::NodeGroupForNodeResponse group_of;
  ASSERT_TRUE(stub_->NodeGroupForNode(As("token-a").get(), for_node, &group_of).ok());
  EXPECT_EQ(group_of.nodegroup().id(), "web");

  ca::NodeGroupIncreaseSizeRequest grow;
  grow.set_id("web");
  grow.set_delta(2);
  ca::NodeGroupIncreaseSizeResponse grown;
  ASSERT_TRUE(stub_->NodeGroupIncreaseSize(As("token-a").get(), grow, &grown).ok());
  ca::NodeGroupTargetSizeRequest target;
  target.set_id("web");
  ca::NodeGroupTargetSizeResponse size;
  ASSERT_TRUE(stub_->NodeGroupTargetSize(As("token-a").get(), target, &size).ok());
  EXPECT_EQ(size.targetsize(), 3);
  // Team b's token cannot touch team a's group.
  EXPECT_EQ(stub_->NodeGroupIncreaseSize(As("token-b").get(), grow, &grown).error_code(),
            grpc::StatusCode::NOT_FOUND);

  ASSERT_TRUE(world_.Settle().ok());
  ASSERT_TRUE(stub_->NodeGroupNodes(As("token-a").get(), which, &nodes).ok());
  ASSERT_EQ(nodes.instances_size(), 3);
  for (const auto& instance : nodes.instances()) {
    EXPECT_EQ(instance.status().instancestate(), ca::InstanceStatus::instanceRunning);
  }

  ca::NodeGroupDeleteNodesRequest remove;
  remove.set_id("web");
  remove.add_nodes()->set_providerid(first);
  ca::NodeGroupDeleteNodesResponse removed;
  ASSERT_TRUE(stub_->NodeGroupDeleteNodes(As("token-a").get(), remove, &removed).ok());
  ca::NodeGroupDecreaseTargetSizeRequest shrink;
  shrink.set_id("web");
  shrink.set_delta(-1);  // 2 wanted, 2 exist
  ca::NodeGroupDecreaseTargetSizeResponse shrunk;
  grpc::Status refused = stub_->NodeGroupDecreaseTargetSize(As("token-a").get(), shrink, &shrunk);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(refused.error_details()));
  bool names_check = false;
  for (const auto& any : details.details()) {
    google::rpc::PreconditionFailure failure;
    if (any.UnpackTo(&failure)) names_check = failure.violations(0).type() == "EXISTING_NODES";
  }
  EXPECT_TRUE(names_check) << details.DebugString();

  ASSERT_TRUE(world_.Settle().ok());
  ASSERT_TRUE(stub_->NodeGroupNodes(As("token-a").get(), which, &nodes).ok());
  ASSERT_EQ(nodes.instances_size(), 2);
  for (const auto& instance : nodes.instances()) EXPECT_NE(instance.id(), first);
  std::printf("autoscaler loop: target 1 -> 3 running -> deleted %s -> %d running\n", first.c_str(),
              nodes.instances_size());
}

TEST_F(AutoscalerProviderTest, TheOptionalAndStaticCallsAnswerAsDocumented) {
  ca::GPULabelResponse label;
  ASSERT_TRUE(stub_->GPULabel(As("token-a").get(), {}, &label).ok());
  EXPECT_EQ(label.label(), "cloud.tencent.com/tke-accelerator");
  ca::GetAvailableGPUTypesResponse types;
  ASSERT_TRUE(stub_->GetAvailableGPUTypes(As("token-a").get(), {}, &types).ok());
  EXPECT_TRUE(types.gputypes().empty());
  ca::CleanupResponse cleaned;
  EXPECT_TRUE(stub_->Cleanup(As("token-a").get(), {}, &cleaned).ok());
  ca::PricingPodPriceResponse pod_price;
  EXPECT_EQ(stub_->PricingPodPrice(As("token-a").get(), {}, &pod_price).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(stub_->GPULabel(As("").get(), {}, &label).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  ASSERT_TRUE(world_.manager->Create("team-a", NodeGroupWorld::Group("web", 0)).ok());
  ca::NodeGroupTemplateNodeInfoRequest request;
  request.set_id("web");
  ca::NodeGroupTemplateNodeInfoResponse info;
  ASSERT_TRUE(stub_->NodeGroupTemplateNodeInfo(As("token-a").get(), request, &info).ok());
  auto node = DecodeK8sNode(info.nodebytes());
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(node->labels.at("node.kubernetes.io/instance-type"), "S5.MEDIUM2");
  EXPECT_EQ(node->capacity.at("cpu"), "2");
  ca::NodeGroupAutoscalingOptionsRequest options;
  options.set_id("web");
  options.mutable_defaults()->set_zeroormaxnodescaling(true);
  ca::NodeGroupAutoscalingOptionsResponse got;
  ASSERT_TRUE(stub_->NodeGroupGetOptions(As("token-a").get(), options, &got).ok());
  EXPECT_TRUE(got.nodegroupautoscalingoptions().zeroormaxnodescaling());

  service_->StartDraining();
  ca::RefreshResponse refreshed;
  EXPECT_EQ(stub_->Refresh(As("token-a").get(), {}, &refreshed).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace cvm
