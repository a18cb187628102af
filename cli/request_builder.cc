#include "cli/request_builder.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"

namespace cvm::cli {
namespace {

using provisioning::v1::Disk;
using provisioning::v1::InstanceSpec;
using provisioning::v1::InternetAccess;
using provisioning::v1::Order;
using provisioning::v1::PurchaseRequest;

absl::Status Usage(absl::string_view message) { return absl::InvalidArgumentError(message); }

// "[TYPE:]GB", e.g. "CLOUD_SSD:100", "ssd:100" or "100".
absl::StatusOr<Disk> ParseDisk(absl::string_view flag, absl::string_view text) {
  Disk disk;
  absl::string_view size = text;
  const size_t colon = text.find(':');
  if (colon != absl::string_view::npos) {
    std::string type = absl::AsciiStrToUpper(text.substr(0, colon));
    if (!absl::StartsWith(type, "CLOUD_")) type = absl::StrCat("CLOUD_", type);
    Disk::Type parsed;
    if (!Disk::Type_Parse(type, &parsed) || parsed == Disk::TYPE_UNSPECIFIED) {
      return Usage(absl::StrCat("--", flag, "=", text,
                                ": disk type must be CLOUD_PREMIUM, CLOUD_SSD, CLOUD_BSSD or "
                                "CLOUD_HSSD"));
    }
    disk.set_type(parsed);
    size = text.substr(colon + 1);
  }
  int32_t gb = 0;
  if (!absl::SimpleAtoi(size, &gb)) {
    return Usage(
        absl::StrCat("--", flag, "=", text, ": expected [TYPE:]SIZE_GB, e.g. CLOUD_SSD:100"));
  }
  disk.set_size_gb(gb);
  return disk;
}

absl::StatusOr<InternetAccess::ChargeType> ParseCharge(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "traffic") return InternetAccess::TRAFFIC_POSTPAID_BY_HOUR;
  if (lower == "bandwidth") return InternetAccess::BANDWIDTH_POSTPAID_BY_HOUR;
  if (lower == "prepaid") return InternetAccess::BANDWIDTH_PREPAID;
  InternetAccess::ChargeType parsed;
  if (InternetAccess::ChargeType_Parse(absl::AsciiStrToUpper(text), &parsed)) return parsed;
  return Usage(
      absl::StrCat("--internet_charge=", text, ": expected traffic, bandwidth or prepaid"));
}

absl::Status ApplyBilling(const ParsedFlags& flags, InstanceSpec& spec) {
  std::string billing = absl::AsciiStrToLower(flags.String("billing"));
  const bool spot_flags = flags.Has("spot_max_price");
  const bool prepaid_flags = flags.Has("period_months") || flags.Has("auto_renew");
  if (billing.empty()) {
    if (spot_flags) {
      billing = "spot";
    } else if (prepaid_flags) {
      billing = "prepaid";
    } else if (spec.billing_case() == InstanceSpec::BILLING_NOT_SET) {
      billing = "payg";
    }
  }
  if (spot_flags && billing != "spot" &&
      !(billing.empty() && spec.billing_case() == InstanceSpec::kSpot)) {
    return Usage("--spot_max_price goes with --billing=spot");
  }
  if (prepaid_flags && billing != "prepaid" &&
      !(billing.empty() && spec.billing_case() == InstanceSpec::kPrepaid)) {
    return Usage("--period_months and --auto_renew go with --billing=prepaid");
  }
  if (billing == "payg" || billing == "pay_as_you_go" || billing == "postpaid") {
    spec.mutable_pay_as_you_go();
  } else if (billing == "spot") {
    spec.mutable_spot();
  } else if (billing == "prepaid") {
    spec.mutable_prepaid();
  } else if (!billing.empty()) {
    return Usage(
        absl::StrCat("--billing=", flags.String("billing"), ": expected payg, spot or prepaid"));
  }
  if (spot_flags) spec.mutable_spot()->set_max_price_per_hour(flags.String("spot_max_price"));
  if (flags.Has("period_months")) {
    spec.mutable_prepaid()->set_period_months(static_cast<int32_t>(flags.Int("period_months")));
  }
  if (flags.Has("auto_renew")) spec.mutable_prepaid()->set_auto_renew(flags.Bool("auto_renew"));
  return absl::OkStatus();
}

void ApplyInternet(const ParsedFlags& flags, InstanceSpec& spec,
                   const InternetAccess::ChargeType* charge) {
  if (!flags.Has("public_ip") && !flags.Has("bandwidth_mbps") && charge == nullptr) return;
  InternetAccess* internet = spec.mutable_internet();
  if (flags.Has("public_ip")) {
    internet->set_public_ip(flags.Bool("public_ip"));
  } else if (flags.Has("bandwidth_mbps")) {
    internet->set_public_ip(true);  // a bandwidth only makes sense with an address
  }
  if (flags.Has("bandwidth_mbps")) {
    internet->set_max_bandwidth_out_mbps(static_cast<int32_t>(flags.Int("bandwidth_mbps")));
  }
  if (charge != nullptr) {
    internet->set_charge_type(*charge);
  } else if (internet->public_ip() &&
             internet->charge_type() == InternetAccess::CHARGE_TYPE_UNSPECIFIED) {
    internet->set_charge_type(InternetAccess::TRAFFIC_POSTPAID_BY_HOUR);
  }
}

// Every spec flag given, on top of `spec`; repeated flags replace the list.
absl::Status ApplySpecFlags(const ParsedFlags& flags, InstanceSpec& spec) {
  if (flags.Has("region")) spec.set_region(flags.String("region"));
  if (flags.Has("zone")) spec.set_zone(flags.String("zone"));
  if (flags.Has("instance_type")) spec.set_instance_type(flags.String("instance_type"));
  if (flags.Has("image")) spec.set_image_id(flags.String("image"));
  if (flags.Has("name")) spec.set_instance_name(flags.String("name"));
  if (flags.Has("system_disk")) {
    ASSIGN_OR_RETURN(*spec.mutable_system_disk(),
                     ParseDisk("system_disk", flags.String("system_disk")));
  }
  if (flags.Has("data_disk")) {
    spec.clear_data_disks();
    for (const std::string& text : SplitList(flags, "data_disk")) {
      ASSIGN_OR_RETURN(*spec.add_data_disks(), ParseDisk("data_disk", text));
    }
  }
  if (flags.Has("vpc")) spec.mutable_network()->set_vpc_id(flags.String("vpc"));
  if (flags.Has("subnet")) spec.mutable_network()->set_subnet_id(flags.String("subnet"));
  if (flags.Has("internet_charge")) {
    ASSIGN_OR_RETURN(InternetAccess::ChargeType charge,
                     ParseCharge(flags.String("internet_charge")));
    ApplyInternet(flags, spec, &charge);
  } else {
    ApplyInternet(flags, spec, nullptr);
  }
  if (flags.Has("tag")) {
    spec.clear_tags();
    for (const std::string& text : flags.List("tag")) {
      std::pair<std::string, std::string> kv = absl::StrSplit(text, absl::MaxSplits('=', 1));
      if (kv.first.empty()) {
        return Usage(absl::StrCat("--tag=", text, ": expected KEY=VALUE"));
      }
      auto* tag = spec.add_tags();
      tag->set_key(kv.first);
      tag->set_value(kv.second);
    }
  }
  if (flags.Has("security_group")) {
    spec.clear_security_group_ids();
    for (std::string& id : SplitList(flags, "security_group")) spec.add_security_group_ids(id);
  }
  if (flags.Has("login_key")) {
    spec.clear_login_key_ids();
    for (std::string& id : SplitList(flags, "login_key")) spec.add_login_key_ids(id);
  }
  return ApplyBilling(flags, spec);
}

absl::StatusOr<PurchaseRequest> ReadSpecFile(const ParsedFlags& flags) {
  if (!flags.Has("spec_file")) return PurchaseRequest();
  const std::string path = flags.String("spec_file");
  std::ifstream file(path);
  if (!file) return Usage(absl::StrCat("cannot read --spec_file=", path));
  std::stringstream contents;
  contents << file.rdbuf();
  return ParseSpecFile(path, contents.str());
}

// Collects text-format parse errors as "line:column: message".
class ErrorList : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    errors_.push_back(absl::StrCat(line + 1, ":", column + 1, ": ", message));
  }
  std::string Joined() const { return absl::StrJoin(errors_, "; "); }

 private:
  std::vector<std::string> errors_;
};

// --zones, --types, --try (spot:PRICE or payg, in order) and --strategy, on
// top of `candidates` (a spec file's): each flag given replaces its part.
absl::Status OverlayCandidates(const ParsedFlags& flags, provisioning::v1::Candidates* candidates) {
  if (flags.Has("zones")) {
    candidates->clear_zones();
    for (std::string& zone : SplitList(flags, "zones")) candidates->add_zones(std::move(zone));
  }
  if (flags.Has("types")) {
    candidates->clear_instance_types();
    for (std::string& type : SplitList(flags, "types")) {
      candidates->add_instance_types(std::move(type));
    }
  }
  if (flags.Has("try")) {
    candidates->clear_billing();
    for (const std::string& rung : SplitList(flags, "try")) {
      absl::string_view price = rung;
      if (rung == "payg") {
        candidates->add_billing()->mutable_pay_as_you_go();
      } else if (absl::ConsumePrefix(&price, "spot:") && !price.empty()) {
        candidates->add_billing()->mutable_spot()->set_max_price_per_hour(std::string(price));
      } else {
        return Usage(absl::StrCat("--try=", rung, ": each billing is spot:PRICE or payg"));
      }
    }
  }
  if (flags.Has("strategy")) {
    const std::string strategy = flags.String("strategy");
    if (strategy == "cheapest") {
      candidates->set_strategy(provisioning::v1::Candidates::LOWEST_PRICE);
    } else if (strategy == "prioritized") {
      candidates->set_strategy(provisioning::v1::Candidates::PRIORITIZED);
    } else {
      return Usage(absl::StrCat("--strategy=", strategy, ": cheapest or prioritized"));
    }
  }
  return absl::OkStatus();
}

// The candidate flags into a PurchaseRequest or QuoteRequest: candidates only
// when the request has some already (from a spec file) or a flag asks.
template <typename Request>
absl::Status ApplyCandidateFlags(const ParsedFlags& flags, Request& request) {
  if (!flags.Has("zones") && !flags.Has("types") && !flags.Has("try") && !flags.Has("strategy")) {
    return absl::OkStatus();
  }
  return OverlayCandidates(flags, request.mutable_candidates());
}

}  // namespace

std::vector<std::string> SplitList(const ParsedFlags& flags, absl::string_view name) {
  std::vector<std::string> out;
  for (const std::string& value : flags.List(name)) {
    for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      out.emplace_back(absl::StripAsciiWhitespace(part));
    }
  }
  return out;
}

std::string NewRequestId() {
  absl::BitGen gen;
  const uint64_t high = absl::Uniform<uint64_t>(gen);
  const uint64_t low = absl::Uniform<uint64_t>(gen);
  return absl::StrFormat("%08x-%04x-4%03x-%04x-%012x", high >> 32, (high >> 16) & 0xffff,
                         high & 0x0fff, 0x8000 | ((low >> 48) & 0x3fff), low & 0xffffffffffffULL);
}

absl::StatusOr<PurchaseRequest> ParseSpecFile(absl::string_view path, absl::string_view contents) {
  PurchaseRequest request;
  const bool json = absl::EndsWith(path, ".json") ||
                    absl::StartsWith(absl::StripLeadingAsciiWhitespace(contents), "{");
  if (json) {
    auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(contents.data(), contents.size()), &request);
    if (!status.ok()) {
      return Usage(absl::StrCat("--spec_file=", path, " is not a PurchaseRequest in JSON: ",
                                status.message().as_string()));
    }
    return request;
  }
  ErrorList errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(contents), &request)) {
    return Usage(absl::StrCat("--spec_file=", path,
                              " is not a PurchaseRequest in text format: ", errors.Joined()));
  }
  return request;
}

absl::StatusOr<BuiltPurchase> BuildPurchaseRequest(
    const ParsedFlags& flags, const std::function<std::string()>& new_request_id) {
  BuiltPurchase built;
  ASSIGN_OR_RETURN(built.request, ReadSpecFile(flags));
  PurchaseRequest& request = built.request;
  RETURN_IF_ERROR(ApplySpecFlags(flags, *request.mutable_spec()));
  if (flags.Has("count")) {
    request.set_instance_count(static_cast<int32_t>(flags.Int("count")));
  } else if (request.instance_count() == 0) {
    request.set_instance_count(1);
  }
  if (flags.Has("dry_run")) request.set_dry_run(flags.Bool("dry_run"));
  RETURN_IF_ERROR(ApplyCandidateFlags(flags, request));
  if (flags.Has("request_id")) {
    request.set_request_id(flags.String("request_id"));
  } else if (request.request_id().empty()) {
    request.set_request_id(new_request_id());
    built.generated_request_id = true;
  }
  return built;
}

absl::StatusOr<provisioning::v1::QuoteRequest> BuildQuoteRequest(const ParsedFlags& flags) {
  ASSIGN_OR_RETURN(PurchaseRequest file, ReadSpecFile(flags));
  provisioning::v1::QuoteRequest request;
  *request.mutable_spec() = file.spec();
  RETURN_IF_ERROR(ApplySpecFlags(flags, *request.mutable_spec()));
  request.set_instance_count(flags.Has("count")
                                 ? static_cast<int32_t>(flags.Int("count"))
                                 : (file.instance_count() == 0 ? 1 : file.instance_count()));
  if (file.has_candidates()) *request.mutable_candidates() = file.candidates();
  RETURN_IF_ERROR(ApplyCandidateFlags(flags, request));
  return request;
}

std::string OrderIdFromArgument(absl::string_view argument) {
  return std::string(absl::StripPrefix(argument, "orders/"));
}

absl::StatusOr<provisioning::v1::DescribeRequest> BuildDescribeRequest(
    const std::vector<std::string>& positional, const ParsedFlags& flags) {
  provisioning::v1::DescribeRequest request;
  for (const std::string& id : positional) request.add_order_ids(OrderIdFromArgument(id));
  for (std::string& id : SplitList(flags, "instance")) request.add_instance_ids(id);
  for (const std::string& text : SplitList(flags, "state")) {
    Order::State state;
    if (!Order::State_Parse(absl::AsciiStrToUpper(text), &state) ||
        state == Order::STATE_UNSPECIFIED) {
      std::vector<std::string> names;
      for (int s = Order::ACCEPTED; s <= Order::State_MAX; ++s) {
        if (Order::State_IsValid(s)) names.push_back(Order::State_Name(s));
      }
      return Usage(
          absl::StrCat("--state=", text, ": expected one of ", absl::StrJoin(names, ", ")));
    }
    request.add_states(state);
  }
  if (flags.Has("region")) request.set_region(flags.String("region"));
  if (flags.Has("page_size")) request.set_page_size(static_cast<int32_t>(flags.Int("page_size")));
  if (flags.Has("page_token")) request.set_page_token(flags.String("page_token"));
  return request;
}

absl::StatusOr<provisioning::v1::WatchRequest> BuildWatchRequest(
    const std::vector<std::string>& positional, const ParsedFlags& flags) {
  if (positional.size() > 1) return Usage("watch takes at most one ORDER_ID");
  provisioning::v1::WatchRequest request;
  if (!positional.empty()) request.set_order_id(OrderIdFromArgument(positional[0]));
  if (flags.Has("start_revision")) request.set_start_revision(flags.Int("start_revision"));
  return request;
}

absl::StatusOr<provisioning::v1::TerminateRequest> BuildTerminateRequest(
    const std::vector<std::string>& positional) {
  if (positional.size() != 1) return Usage("terminate takes exactly one ORDER_ID");
  provisioning::v1::TerminateRequest request;
  request.set_order_id(OrderIdFromArgument(positional[0]));
  return request;
}

}  // namespace cvm::cli
