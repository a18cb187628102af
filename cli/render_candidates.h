// How provisionctl shows a candidates order (PurchaseRequest.candidates)
// and the cells of a candidate Quote: where each instance landed, the
// order's attempts and skipped cells, and its FELL_BACK changes. Part of
// :render (cli/render.h); every function is pure and thread-compatible.
#ifndef CVM_PROVISIONER_CLI_RENDER_CANDIDATES_H_
#define CVM_PROVISIONER_CLI_RENDER_CANDIDATES_H_

#include <string>
#include <vector>

#include "provisioning/v1/provisioning.pb.h"

namespace cvm::cli {

// RenderAttempts() shows at most this many rows per table.
inline constexpr int kMaxCandidateRows = 10;

// "zones a,b; types X; try spot<=0.10,payg; cheapest first" (an empty list:
// "the spec's").
std::string CandidatesText(const provisioning::v1::Candidates& candidates);

// A table of cells: CellHeader() (ZONE TYPE BILLING PRICE/H STOCK QUOTA
// VERDICT), then a CellRow() per cell; CellColumns() is its first three.
std::vector<std::string> CellHeader();
std::vector<std::string> CellRow(const provisioning::v1::QuoteCell& cell);
std::vector<std::string> CellColumns(const provisioning::v1::QuoteCell& cell);

// Where a candidates order's instance landed: its TYPE, BILLING ("spot" or
// "payg") and PRICE/H columns.
std::vector<std::string> LandingColumns(const provisioning::v1::Instance& instance);

// "spot<=0.10" or "payg".
std::string BillingName(const provisioning::v1::Billing& billing);

// "ap-guangzhou-6 S5.LARGE8 pay-as-you-go at 0.64/h" (spot: "spot", the
// price is the market's; no price when unknown).
std::string CellText(const provisioning::v1::QuoteCell& cell);

// A FELL_BACK change: "fell back to CELL (attempt 2, 1 instance)".
std::string FellBackText(const provisioning::v1::CandidateAttempt& attempt);

// A candidates order's attempts (number, cell, price, count, outcome,
// reason), then the cells it skipped with their verdicts, each table cut at
// kMaxCandidateRows rows with a line saying how many more; "" when the
// order has neither. Lines indented by two spaces.
std::string RenderAttempts(const provisioning::v1::Order& order);

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_RENDER_CANDIDATES_H_
