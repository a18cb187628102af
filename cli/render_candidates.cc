#include "cli/render_candidates.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/render.h"

namespace cvm::cli {
namespace {

using provisioning::v1::Billing;
using provisioning::v1::CandidateAttempt;
using provisioning::v1::Instance;
using provisioning::v1::Order;
using provisioning::v1::QuoteCell;

std::string OrDash(const std::string& value) { return value.empty() ? "-" : value; }

// "... and 3 more attempts (describe --output=json shows all)", or "".
std::string MoreRows(int total, absl::string_view what) {
  if (total <= kMaxCandidateRows) return "";
  return absl::StrCat("  ... and ", total - kMaxCandidateRows, " more ", what,
                      " (describe --output=json shows all)\n");
}

}  // namespace

// "zones a,b; types X; try spot<=0.10,payg; cheapest first".
std::string CandidatesText(const provisioning::v1::Candidates& c) {
  auto list = [](const auto& values) {
    return values.empty() ? std::string("the spec's") : absl::StrJoin(values, ",");
  };
  std::vector<std::string> billings;
  for (const Billing& billing : c.billing()) billings.push_back(BillingName(billing));
  return absl::StrCat("zones ", list(c.zones()), "; types ", list(c.instance_types()), "; try ",
                      billings.empty() ? "the spec's billing" : absl::StrJoin(billings, ","), "; ",
                      c.strategy() == provisioning::v1::Candidates::PRIORITIZED
                          ? "in the order given"
                          : "cheapest first");
}

std::vector<std::string> CellColumns(const QuoteCell& cell) {
  return {cell.zone(), cell.instance_type(), BillingName(cell.billing())};
}

std::vector<std::string> CellHeader() {
  return {"ZONE", "TYPE", "BILLING", "PRICE/H", "STOCK", "QUOTA", "VERDICT"};
}

std::vector<std::string> CellRow(const QuoteCell& cell) {
  auto known = [](int n) { return n < 0 ? std::string("-") : absl::StrCat(n); };
  std::vector<std::string> row = CellColumns(cell);
  row.push_back(OrDash(cell.unit_price_per_hour()));
  row.push_back(known(cell.stock()));
  row.push_back(known(cell.quota_headroom()));
  row.push_back(cell.remembered() ? cell.verdict() + " (remembered)" : cell.verdict());
  return row;
}

std::vector<std::string> LandingColumns(const Instance& instance) {
  std::string billing = "-";
  if (instance.billing().has_spot()) billing = "spot";
  if (instance.billing().has_pay_as_you_go()) billing = "payg";
  return {OrDash(instance.instance_type()), billing, OrDash(instance.unit_price_per_hour())};
}

std::string BillingName(const Billing& billing) {
  return billing.has_spot() ? "spot<=" + billing.spot().max_price_per_hour() : "payg";
}

std::string CellText(const QuoteCell& cell) {
  std::string text = absl::StrCat(cell.zone(), " ", cell.instance_type(), " ",
                                  cell.billing().has_spot() ? "spot" : "pay-as-you-go");
  if (!cell.unit_price_per_hour().empty()) {
    absl::StrAppend(&text, " at ", cell.unit_price_per_hour(), "/h");
  }
  return text;
}

std::string FellBackText(const CandidateAttempt& attempt) {
  return absl::StrCat("fell back to ", CellText(attempt.cell()), " (attempt ", attempt.number(),
                      ", ", attempt.instance_count(),
                      attempt.instance_count() == 1 ? " instance)" : " instances)");
}

std::string RenderAttempts(const Order& order) {
  std::string out;
  if (!order.attempts().empty()) {
    std::vector<std::vector<std::string>> rows = {
        {"ATTEMPT", "ZONE", "TYPE", "BILLING", "PRICE/H", "COUNT", "OUTCOME", "REASON"}};
    for (const CandidateAttempt& attempt : order.attempts()) {
      if (rows.size() > kMaxCandidateRows) break;
      std::vector<std::string> row = {absl::StrCat(attempt.number())};
      for (std::string& column : CellColumns(attempt.cell())) row.push_back(std::move(column));
      row.insert(row.end(), {OrDash(attempt.cell().unit_price_per_hour()),
                             absl::StrCat(attempt.instance_count()),
                             CandidateAttempt::Outcome_IsValid(attempt.outcome())
                                 ? CandidateAttempt::Outcome_Name(attempt.outcome())
                                 : absl::StrCat(attempt.outcome()),
                             OrDash(attempt.reason())});
      rows.push_back(std::move(row));
    }
    absl::StrAppend(&out, FormatTable(rows, "  "), MoreRows(order.attempts_size(), "attempts"));
  }
  if (!order.skipped().empty()) {
    std::vector<std::vector<std::string>> rows = {CellHeader()};
    rows[0][0] = "SKIPPED ZONE";
    for (const QuoteCell& cell : order.skipped()) {
      if (rows.size() > kMaxCandidateRows) break;
      rows.push_back(CellRow(cell));
    }
    if (!out.empty()) absl::StrAppend(&out, "\n");
    absl::StrAppend(&out, FormatTable(rows, "  "), MoreRows(order.skipped_size(), "skipped cells"));
  }
  return out;
}

}  // namespace cvm::cli
