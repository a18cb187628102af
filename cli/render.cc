#include "cli/render.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"

namespace cvm::cli {
namespace {

using provisioning::v1::DescribeResponse;
using provisioning::v1::Disk;
using provisioning::v1::Instance;
using provisioning::v1::InstanceSpec;
using provisioning::v1::Order;

std::string JoinOrDash(const google::protobuf::RepeatedPtrField<std::string>& values) {
  return values.empty() ? "-" : absl::StrJoin(values, ",");
}

std::string OrDash(const std::string& value) { return value.empty() ? "-" : value; }

std::string BillingText(const InstanceSpec& spec) {
  switch (spec.billing_case()) {
    case InstanceSpec::kPayAsYouGo:
      return "pay-as-you-go";
    case InstanceSpec::kSpot:
      return absl::StrCat("spot (max ", spec.spot().max_price_per_hour(), "/h)");
    case InstanceSpec::kPrepaid:
      return absl::StrCat("prepaid ", spec.prepaid().period_months(), " months",
                          spec.prepaid().auto_renew() ? ", auto-renew" : "");
    case InstanceSpec::BILLING_NOT_SET:
      break;
  }
  return "no billing";
}

int RunningCount(const Order& order) {
  return static_cast<int>(std::count_if(
      order.instances().begin(), order.instances().end(),
      [](const Instance& instance) { return instance.state() == Instance::RUNNING; }));
}

std::string FailureText(const provisioning::v1::FailureCause& failure) {
  std::string text = absl::StrCat(failure.reason(), ": ", failure.message());
  std::vector<std::string> cloud;
  if (!failure.cloud_error_code().empty()) {
    cloud.push_back(absl::StrCat("cloud error ", failure.cloud_error_code()));
  }
  if (!failure.cloud_request_id().empty()) {
    cloud.push_back(absl::StrCat("cloud request id ", failure.cloud_request_id()));
  }
  if (!cloud.empty()) absl::StrAppend(&text, " (", absl::StrJoin(cloud, ", "), ")");
  return text;
}

}  // namespace

absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "table") return OutputFormat::kTable;
  if (lower == "json") return OutputFormat::kJson;
  return absl::InvalidArgumentError(absl::StrCat("--output=", text, ": expected table or json"));
}

std::string JsonLine(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = false;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) return "{}\n";
  return json + "\n";
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows,
                        absl::string_view indent) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line(indent);
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  return out;
}

std::string OrderStateName(Order::State state) {
  return Order::State_IsValid(state) ? Order::State_Name(state) : absl::StrCat(state);
}

std::string InstanceStateName(Instance::State state) {
  return Instance::State_IsValid(state) ? Instance::State_Name(state) : absl::StrCat(state);
}

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

std::string TimeText(const google::protobuf::Timestamp& timestamp) {
  if (timestamp.seconds() == 0 && timestamp.nanos() == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", ToTime(timestamp), absl::UTCTimeZone());
}

std::string ElapsedText(absl::Duration elapsed) {
  if (elapsed < absl::ZeroDuration()) elapsed = absl::ZeroDuration();
  if (elapsed < absl::Minutes(1)) {
    return absl::StrFormat("%.1fs", absl::ToDoubleSeconds(elapsed));
  }
  const int64_t seconds = absl::ToInt64Seconds(elapsed);
  if (elapsed < absl::Hours(1)) return absl::StrFormat("%dm%02ds", seconds / 60, seconds % 60);
  return absl::StrFormat("%dh%02dm", seconds / 3600, seconds % 3600 / 60);
}

std::string SpecSummary(const InstanceSpec& spec, int count) {
  std::string text = absl::StrCat(count, " x ", OrDash(spec.instance_type()), " in ",
                                  OrDash(spec.zone().empty() ? spec.region() : spec.zone()));
  if (!spec.image_id().empty()) absl::StrAppend(&text, ", image ", spec.image_id());
  if (spec.has_launch_template()) {
    absl::StrAppend(&text, ", launch template ", spec.launch_template().launch_template_id());
  }
  absl::StrAppend(&text, ", ", BillingText(spec));
  if (spec.internet().public_ip()) {
    absl::StrAppend(&text, ", public IP ", spec.internet().max_bandwidth_out_mbps(), " Mbps");
  }
  return text;
}

std::string RenderOrder(const Order& order) {
  std::vector<std::vector<std::string>> fields;
  std::string out;
  if (order.name().empty()) {
    out = "Dry run passed: nothing was bought.\n";
    fields.push_back({"spec", SpecSummary(order.spec(), order.instance_count())});
    fields.push_back({"backend", OrDash(order.backend())});
    return out + FormatTable(fields, "  ");
  }
  out = absl::StrCat("Order ", order.order_id(), "  ", OrderStateName(order.state()), "\n");
  fields.push_back({"request id", OrDash(order.request_id())});
  fields.push_back({"spec", SpecSummary(order.spec(), order.instance_count())});
  fields.push_back({"backend", OrDash(order.backend())});
  fields.push_back({"created", TimeText(order.create_time())});
  fields.push_back({"updated", TimeText(order.update_time())});
  fields.push_back({"revision", absl::StrCat(order.revision())});
  if (order.has_failure()) fields.push_back({"failure", FailureText(order.failure())});
  absl::StrAppend(&out, FormatTable(fields, "  "));
  if (order.instances().empty()) return out;
  std::vector<std::vector<std::string>> rows = {
      {"INSTANCE", "STATE", "ZONE", "PUBLIC IP", "PRIVATE IP"}};
  for (const Instance& instance : order.instances()) {
    std::string state = InstanceStateName(instance.state());
    if (instance.restriction() != Instance::NORMAL &&
        instance.restriction() != Instance::RESTRICTION_UNSPECIFIED) {
      absl::StrAppend(&state, " (", Instance::Restriction_Name(instance.restriction()), ")");
    }
    rows.push_back({instance.instance_id(), state, OrDash(instance.zone()),
                    JoinOrDash(instance.public_ips()), JoinOrDash(instance.private_ips())});
  }
  absl::StrAppend(&out, "\n", FormatTable(rows, "  "));
  return out;
}

std::string RenderOrderList(const DescribeResponse& response) {
  if (response.orders().empty()) return "No orders.\n";
  std::vector<std::vector<std::string>> rows = {
      {"ORDER", "STATE", "RUNNING", "TYPE", "ZONE", "BACKEND", "CREATED"}};
  for (const Order& order : response.orders()) {
    rows.push_back({order.order_id(), OrderStateName(order.state()),
                    absl::StrCat(RunningCount(order), "/", order.instance_count()),
                    OrDash(order.spec().instance_type()), OrDash(order.spec().zone()),
                    OrDash(order.backend()), TimeText(order.create_time())});
  }
  std::string out = FormatTable(rows);
  if (!response.next_page_token().empty()) {
    absl::StrAppend(&out, "More orders: describe --page_token=", response.next_page_token(), "\n");
  }
  return out;
}

namespace {

// "zone  type  billing": one candidate cell.
std::vector<std::string> CellColumns(const provisioning::v1::QuoteCell& cell) {
  return {cell.zone(), cell.instance_type(),
          cell.billing().has_spot() ? "spot<=" + cell.billing().spot().max_price_per_hour()
                                    : "payg"};
}

// A candidate Quote: one row per cell, then the chosen one.
std::string RenderCells(const provisioning::v1::Quote& quote) {
  std::vector<std::vector<std::string>> rows = {
      {"ZONE", "TYPE", "BILLING", "PRICE/H", "STOCK", "QUOTA", "VERDICT"}};
  auto known = [](int n) { return n < 0 ? std::string("-") : absl::StrCat(n); };
  for (const provisioning::v1::QuoteCell& cell : quote.cells()) {
    std::vector<std::string> row = CellColumns(cell);
    row.push_back(OrDash(cell.unit_price_per_hour()));
    row.push_back(known(cell.stock()));
    row.push_back(known(cell.quota_headroom()));
    row.push_back(cell.remembered() ? cell.verdict() + " (remembered)" : cell.verdict());
    rows.push_back(std::move(row));
  }
  std::string chosen = "none available";
  if (quote.has_chosen()) {
    chosen = absl::StrCat(absl::StrJoin(CellColumns(quote.chosen()), " "), " at ",
                          quote.chosen().unit_price_per_hour(), " ", quote.currency(), "/h");
  }
  return absl::StrCat(FormatTable(rows), "a purchase would take: ", chosen, "\n");
}

}  // namespace

std::string RenderQuote(const provisioning::v1::Quote& quote) {
  if (quote.cells_size() > 0) return RenderCells(quote);
  std::vector<std::vector<std::string>> rows;
  const std::string currency = quote.currency().empty() ? "" : " " + quote.currency();
  if (!quote.unit_price_per_hour().empty()) {
    rows.push_back({"per instance-hour", quote.unit_price_per_hour() + currency});
  }
  if (!quote.total_price_per_hour().empty()) {
    rows.push_back({"per hour, all instances", quote.total_price_per_hour() + currency});
  }
  if (!quote.total_price_prepaid().empty()) {
    rows.push_back({"prepaid, whole period", quote.total_price_prepaid() + currency});
  }
  rows.push_back({"backend", OrDash(quote.backend())});
  return FormatTable(rows);
}

std::string RenderWatchEvent(const provisioning::v1::WatchEvent& event) {
  const std::string revision = absl::StrCat("rev ", event.revision());
  if (event.type() == provisioning::v1::WatchEvent::ACCOUNT) {
    const provisioning::v1::AccountForecast& account = event.account();
    const std::string currency = account.currency().empty() ? "" : " " + account.currency();
    return absl::StrCat(revision, "  ACCOUNT  ", OrDash(account.backend()), "  ",
                        provisioning::v1::AccountForecast::State_Name(account.state()),
                        "  balance ", account.balance(), currency, " lasts ",
                        account.has_forecast()
                            ? ElapsedText(absl::Seconds(account.forecast().seconds()))
                            : "indefinitely",
                        " at ", account.spend_per_hour(), currency, "/h\n");
  }
  const std::string type =
      event.type() == provisioning::v1::WatchEvent::SNAPSHOT ? "SNAPSHOT" : "CHANGE";
  if (event.orders().empty()) return absl::StrCat(revision, "  ", type, "  (no orders)\n");
  std::vector<std::vector<std::string>> rows;
  for (const Order& order : event.orders()) {
    rows.push_back({revision, type, order.order_id(), OrderStateName(order.state()),
                    absl::StrCat(RunningCount(order), "/", order.instance_count(), " running"),
                    OrDash(order.spec().instance_type()), OrDash(order.spec().zone())});
  }
  return FormatTable(rows);
}

}  // namespace cvm::cli
