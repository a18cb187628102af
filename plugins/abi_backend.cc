#include "plugins/abi_backend.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/time_util.h"
#include "plugins/plugin_abi.pb.h"
#include "plugins/plugin_instance.h"

namespace cvm {
namespace {

namespace abi = provisioning::plugin::v1;
using google::protobuf::util::TimeUtil;

class AbiBackend : public Backend {
 public:
  explicit AbiBackend(std::shared_ptr<const PluginInstance> instance)
      : instance_(std::move(instance)) {}

  absl::Status Preflight(const CreateRequest& request) override {
    return Call(CVM_BACKEND_PREFLIGHT, ToAbi(request), request.deadline, nullptr);
  }

  absl::StatusOr<std::vector<std::string>> Create(const CreateRequest& request) override {
    abi::InstanceIds ids;
    RETURN_IF_ERROR(Call(CVM_BACKEND_CREATE, ToAbi(request), request.deadline, &ids));
    if (ids.instance_ids_size() != request.count) {
      return absl::InternalError(absl::StrCat("plugin \"", instance_->library().name(),
                                              "\" Create returned ", ids.instance_ids_size(),
                                              " instance ids for ", request.count));
    }
    return std::vector<std::string>(ids.instance_ids().begin(), ids.instance_ids().end());
  }

  absl::StatusOr<std::vector<InstanceStatus>> Describe(
      const std::string& region, absl::Span<const std::string> instance_ids) override {
    abi::DescribeRequest request;
    request.set_region(region);
    for (const std::string& id : instance_ids) request.add_instance_ids(id);
    abi::InstanceStatusList list;
    RETURN_IF_ERROR(instance_->Call(CVM_BACKEND_DESCRIBE, request, &list));
    std::vector<InstanceStatus> statuses;
    for (const abi::InstanceStatus& in : list.instances()) {
      InstanceStatus& out = statuses.emplace_back();
      out.instance_id = in.instance_id();
      out.state = in.state();
      out.restriction = in.restriction();
      out.isolated_source = in.isolated_source();
      out.public_ips.assign(in.public_ips().begin(), in.public_ips().end());
      out.private_ips.assign(in.private_ips().begin(), in.private_ips().end());
      out.zone = in.zone();
      if (in.has_create_time()) {
        out.create_time = absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(in.create_time()));
      }
    }
    return statuses;
  }

  absl::StatusOr<std::vector<std::string>> FindByOrder(const std::string& region,
                                                       const std::string& order_id) override {
    abi::FindByOrderRequest request;
    request.set_region(region);
    request.set_order_id(order_id);
    abi::InstanceIds ids;
    RETURN_IF_ERROR(instance_->Call(CVM_BACKEND_FIND_BY_ORDER, request, &ids));
    return std::vector<std::string>(ids.instance_ids().begin(), ids.instance_ids().end());
  }

  absl::StatusOr<std::vector<TaggedInstance>> ListTagged(const std::string& region) override {
    abi::ListTaggedRequest request;
    request.set_region(region);
    abi::TaggedInstanceList list;
    // UNIMPLEMENTED from the plugin keeps the Backend default's meaning.
    RETURN_IF_ERROR(instance_->Call(CVM_BACKEND_LIST_TAGGED, request, &list));
    std::vector<TaggedInstance> tagged;
    for (const abi::TaggedInstance& t : list.instances()) {
      tagged.push_back({t.instance_id(), t.order_id()});
    }
    return tagged;
  }

  absl::Status Terminate(const std::string& region, absl::Span<const std::string> instance_ids,
                         absl::Time deadline) override {
    abi::TerminateRequest request;
    request.set_region(region);
    for (const std::string& id : instance_ids) request.add_instance_ids(id);
    return Call(CVM_BACKEND_TERMINATE, std::move(request), deadline, nullptr);
  }

  absl::StatusOr<provisioning::v1::Quote> Quote(const provisioning::v1::InstanceSpec& spec,
                                                int count, absl::Time deadline) override {
    abi::QuoteRequest request;
    *request.mutable_spec() = spec;
    request.set_count(count);
    provisioning::v1::Quote quote;
    RETURN_IF_ERROR(Call(CVM_BACKEND_QUOTE, std::move(request), deadline, &quote));
    quote.clear_backend();
    return quote;
  }

 private:
  // A call bounded by `deadline` (ABI rule 7): a finite one goes into the
  // request of a plugin that reads it, and bounds the wait for any plugin.
  template <typename Request>
  absl::Status Call(uint32_t method, Request request, absl::Time deadline,
                    google::protobuf::Message* result) const {
    if (deadline != absl::InfiniteFuture() && instance_->TakesDeadlines()) {
      *request.mutable_deadline() = TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(deadline));
    }
    return instance_->Call(method, request, result, deadline);
  }

  static abi::CreateRequest ToAbi(const CreateRequest& request) {
    abi::CreateRequest out;
    *out.mutable_spec() = request.spec;
    out.set_count(request.count);
    out.set_client_token(request.client_token);
    out.set_order_id(request.order_id);
    return out;
  }

  // Shared with the v1 calls still running past their deadline.
  const std::shared_ptr<const PluginInstance> instance_;
};

}  // namespace

std::unique_ptr<google::protobuf::Message> AbiBackendFactory::CreateEmptyConfig() const {
  return std::make_unique<google::protobuf::Struct>();
}

absl::StatusOr<std::unique_ptr<Backend>> AbiBackendFactory::Create(
    const google::protobuf::Message& config, const BackendContext& context) const {
  ASSIGN_OR_RETURN(std::shared_ptr<const PluginInstance> instance,
                   PluginInstance::Create(library_, context.name, ToAbiJson(config)));
  return std::unique_ptr<Backend>(new AbiBackend(std::move(instance)));
}

}  // namespace cvm
