// Responses for people (aligned tables) and for programs (protobuf JSON).
//
// Every function returns complete lines ending in '\n'. Times are UTC
// ("2024-05-01T10:00:00Z"); unknown enum values print as their number, so
// a newer server never breaks an older client.
#ifndef CVM_PROVISIONER_CLI_RENDER_H_
#define CVM_PROVISIONER_CLI_RENDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm::cli {

enum class OutputFormat { kTable, kJson };

// "table" or "json".
absl::StatusOr<OutputFormat> ParseOutputFormat(absl::string_view text);

// The message as protobuf JSON (lowerCamelCase names) on one line.
std::string JsonLine(const google::protobuf::Message& message);

// Rows as left-aligned columns two spaces apart, each line prefixed with
// `indent`; no trailing spaces.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows,
                        absl::string_view indent = "");

// "ACTIVE", "RUNNING", ... or the number of a value this client does not know.
std::string OrderStateName(provisioning::v1::Order::State state);
std::string InstanceStateName(provisioning::v1::Instance::State state);

absl::Time ToTime(const google::protobuf::Timestamp& timestamp);
// "2024-05-01T10:00:00Z", or "-" when unset.
std::string TimeText(const google::protobuf::Timestamp& timestamp);
// "0.4s", "12.3s", "2m05s", "1h02m".
std::string ElapsedText(absl::Duration elapsed);

// "3 x S5.MEDIUM2 in ap-guangzhou-3, image img-1, pay-as-you-go, public IP 10 Mbps".
std::string SpecSummary(const provisioning::v1::InstanceSpec& spec, int count);

// SpecSummary() of the order; a candidates order names every candidate:
// "4 x S5.MEDIUM2 or S5.LARGE8 in ap-guangzhou-3 or ap-guangzhou-4, image
// img-1, spot (max 0.10/h) then pay-as-you-go".
std::string OrderSummary(const provisioning::v1::Order& order);

// One order in full: its fields, the failure cause, then its instances. A
// candidates order also shows its candidates, where each instance landed
// (type, billing, price) and RenderAttempts() (cli/render_candidates.h).
std::string RenderOrder(const provisioning::v1::Order& order);

// A page of orders, one row each (a candidates order: the types and zones its
// instances landed in), then the next page's token when there is one.
std::string RenderOrderList(const provisioning::v1::DescribeResponse& response);

std::string RenderQuote(const provisioning::v1::Quote& quote);

// One line per order in the event: "rev 12  CHANGE  ord-1  ACTIVE  3/3 running TYPE
// ZONE" (a candidates order: the types and zones its instances landed in),
// then one per FELL_BACK change: "rev 12  CHANGE  ord-1  fell back to ...";
// an ACCOUNT event: "rev 12  ACCOUNT  tencent  WARNING  balance 5.60 CNY lasts 3h30m at ...".
std::string RenderWatchEvent(const provisioning::v1::WatchEvent& event);

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_RENDER_H_
