#include "common/grpc_status.h"

#include <string>

#include "google/rpc/status.pb.h"

namespace cvm {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(status.code()));
  rich.set_message(std::string(status.message()));
  status.ForEachPayload([&rich](absl::string_view type_url, const absl::Cord& value) {
    google::protobuf::Any* any = rich.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(value));
  });
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()), rich.SerializeAsString());
}

}  // namespace cvm
