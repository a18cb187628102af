#include "cli/render.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "cli/render_candidates.h"
#include "google/protobuf/util/json_util.h"

namespace cvm::cli {
namespace {

using provisioning::v1::Billing;
using provisioning::v1::DescribeResponse;
using provisioning::v1::Disk;
using provisioning::v1::Instance;
using provisioning::v1::InstanceSpec;
using provisioning::v1::Order;
using provisioning::v1::QuoteCell;

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

// The distinct values of `field` among a candidates order's instances, in
// the order met; `spec_value` for other orders and before any instance.
template <typename Field>
std::string Landed(const Order& order, const std::string& spec_value, Field field) {
  std::vector<std::string> values;
  if (order.has_candidates()) {
    for (const Instance& instance : order.instances()) {
      const std::string& value = field(instance);
      if (!value.empty() && std::find(values.begin(), values.end(), value) == values.end()) {
        values.push_back(value);
      }
    }
  }
  return values.empty() ? OrDash(spec_value) : absl::StrJoin(values, ",");
}

std::string LandedTypes(const Order& order) {
  return Landed(order, order.spec().instance_type(),
                [](const Instance& i) -> const std::string& { return i.instance_type(); });
}

std::string LandedZones(const Order& order) {
  return Landed(order, order.spec().zone(),
                [](const Instance& i) -> const std::string& { return i.zone(); });
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

namespace {

// "3 x TYPES in WHERE, image img-1, BILLING, public IP 10 Mbps".
std::string Summary(int count, const std::string& types, const std::string& where,
                    const InstanceSpec& spec, const std::string& billing) {
  std::string text = absl::StrCat(count, " x ", types, " in ", where);
  if (!spec.image_id().empty()) absl::StrAppend(&text, ", image ", spec.image_id());
  if (spec.has_launch_template()) {
    absl::StrAppend(&text, ", launch template ", spec.launch_template().launch_template_id());
  }
  absl::StrAppend(&text, ", ", billing);
  if (spec.internet().public_ip()) {
    absl::StrAppend(&text, ", public IP ", spec.internet().max_bandwidth_out_mbps(), " Mbps");
  }
  return text;
}

}  // namespace

std::string SpecSummary(const InstanceSpec& spec, int count) {
  return Summary(count, OrDash(spec.instance_type()),
                 OrDash(spec.zone().empty() ? spec.region() : spec.zone()), spec,
                 BillingText(spec));
}

std::string OrderSummary(const Order& order) {
  const InstanceSpec& spec = order.spec();
  if (!order.has_candidates()) return SpecSummary(spec, order.instance_count());
  const provisioning::v1::Candidates& c = order.candidates();
  auto any_of = [](const auto& list, const std::string& given) {
    return list.empty() ? OrDash(given) : absl::StrJoin(list, " or ");
  };
  std::vector<std::string> billings;
  for (const Billing& billing : c.billing()) {
    billings.push_back(billing.has_spot()
                           ? absl::StrCat("spot (max ", billing.spot().max_price_per_hour(), "/h)")
                           : "pay-as-you-go");
  }
  return Summary(order.instance_count(), any_of(c.instance_types(), spec.instance_type()),
                 any_of(c.zones(), spec.zone()), spec,
                 billings.empty() ? BillingText(spec) : absl::StrJoin(billings, " then "));
}

std::string RenderOrder(const Order& order) {
  std::vector<std::vector<std::string>> fields;
  std::string out;
  if (order.name().empty()) {
    out = "Dry run passed: nothing was bought.\n";
    fields.push_back({"spec", SpecSummary(order.spec(), order.instance_count())});
    if (order.has_candidates()) {
      fields.push_back({"candidates", CandidatesText(order.candidates())});
    }
    fields.push_back({"backend", OrDash(order.backend())});
    return absl::StrCat(out, FormatTable(fields, "  "), RenderAttempts(order));
  }
  out = absl::StrCat("Order ", order.order_id(), "  ", OrderStateName(order.state()), "\n");
  fields.push_back({"request id", OrDash(order.request_id())});
  fields.push_back({"spec", SpecSummary(order.spec(), order.instance_count())});
  if (order.has_candidates()) fields.push_back({"candidates", CandidatesText(order.candidates())});
  fields.push_back({"backend", OrDash(order.backend())});
  fields.push_back({"created", TimeText(order.create_time())});
  fields.push_back({"updated", TimeText(order.update_time())});
  fields.push_back({"revision", absl::StrCat(order.revision())});
  if (order.has_failure()) fields.push_back({"failure", FailureText(order.failure())});
  absl::StrAppend(&out, FormatTable(fields, "  "));
  if (!order.instances().empty()) {
    // A candidates order: where each instance landed.
    const bool landed = order.has_candidates();
    std::vector<std::vector<std::string>> rows = {{"INSTANCE", "STATE", "ZONE"}};
    if (landed) rows[0].insert(rows[0].end(), {"TYPE", "BILLING", "PRICE/H"});
    rows[0].insert(rows[0].end(), {"PUBLIC IP", "PRIVATE IP"});
    for (const Instance& instance : order.instances()) {
      std::string state = InstanceStateName(instance.state());
      if (instance.restriction() != Instance::NORMAL &&
          instance.restriction() != Instance::RESTRICTION_UNSPECIFIED) {
        absl::StrAppend(&state, " (", Instance::Restriction_Name(instance.restriction()), ")");
      }
      std::vector<std::string> row = {instance.instance_id(), state, OrDash(instance.zone())};
      if (landed) {
        for (std::string& column : LandingColumns(instance)) row.push_back(std::move(column));
      }
      row.insert(row.end(),
                 {JoinOrDash(instance.public_ips()), JoinOrDash(instance.private_ips())});
      rows.push_back(std::move(row));
    }
    absl::StrAppend(&out, "\n", FormatTable(rows, "  "));
  }
  const std::string attempts = RenderAttempts(order);
  if (!attempts.empty()) absl::StrAppend(&out, "\n", attempts);
  return out;
}

std::string RenderOrderList(const DescribeResponse& response) {
  if (response.orders().empty()) return "No orders.\n";
  std::vector<std::vector<std::string>> rows = {
      {"ORDER", "STATE", "RUNNING", "TYPE", "ZONE", "BACKEND", "CREATED"}};
  for (const Order& order : response.orders()) {
    rows.push_back({order.order_id(), OrderStateName(order.state()),
                    absl::StrCat(RunningCount(order), "/", order.instance_count()),
                    LandedTypes(order), LandedZones(order), OrDash(order.backend()),
                    TimeText(order.create_time())});
  }
  std::string out = FormatTable(rows);
  if (!response.next_page_token().empty()) {
    absl::StrAppend(&out, "More orders: describe --page_token=", response.next_page_token(), "\n");
  }
  return out;
}

namespace {

// A candidate Quote: one row per cell, then the chosen one.
std::string RenderCells(const provisioning::v1::Quote& quote) {
  std::vector<std::vector<std::string>> rows = {CellHeader()};
  for (const QuoteCell& cell : quote.cells()) rows.push_back(CellRow(cell));
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
                    LandedTypes(order), LandedZones(order)});
  }
  std::string out = FormatTable(rows);
  for (const Order& order : event.orders()) {
    for (const provisioning::v1::OrderChange& change : order.last_changes()) {
      if (change.kind() != provisioning::v1::OrderChange::FELL_BACK) continue;
      absl::StrAppend(&out, revision, "  ", type, "  ", order.order_id(), "  ",
                      FellBackText(change.attempt()), "\n");
    }
  }
  return out;
}

}  // namespace cvm::cli
