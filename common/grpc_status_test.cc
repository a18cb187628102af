#include "common/grpc_status.h"

#include "common/status_details.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace cvm {
namespace {

TEST(GrpcStatusTest, OkIsOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

TEST(GrpcStatusTest, CodeAndMessageCarryOver) {
  grpc::Status status = ToGrpcStatus(absl::NotFoundError("order ord-1 not found"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "order ord-1 not found");
}

TEST(GrpcStatusTest, EveryDetailTravelsInTheRichStatus) {
  absl::Status status = InvalidFields({{"spec.zone", "is required"}});
  grpc::Status converted = ToGrpcStatus(status);
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(converted.error_details()));
  EXPECT_EQ(rich.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(rich.message(), converted.error_message());
  ASSERT_EQ(rich.details_size(), 2);
  google::rpc::BadRequest bad;
  google::rpc::ErrorInfo info;
  bool found_bad = false, found_info = false;
  for (const auto& any : rich.details()) {
    found_bad = found_bad || any.UnpackTo(&bad);
    found_info = found_info || any.UnpackTo(&info);
  }
  ASSERT_TRUE(found_bad && found_info);
  EXPECT_EQ(bad.field_violations(0).field(), "spec.zone");
  EXPECT_EQ(info.reason(), "INVALID_ARGUMENT");
}

}  // namespace
}  // namespace cvm
