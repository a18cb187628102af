#include "cli/progress_view.h"
#include "common/order_states.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/render.h"
#include "cli/render_candidates.h"

namespace cvm::cli {
namespace {

using provisioning::v1::Instance;
using provisioning::v1::Order;

constexpr char kEraseLine[] = "\x1b[2K";
constexpr char kEraseBelow[] = "\x1b[J";

std::string Ips(const google::protobuf::RepeatedPtrField<std::string>& ips) {
  return ips.empty() ? "-" : absl::StrJoin(ips, ",");
}

// True once the instance will not change on its own: running with every
// address it will get, or in a state it does not leave by itself.
bool Settled(const Instance& instance, bool wants_public_ip) {
  switch (instance.state()) {
    case Instance::STATE_UNSPECIFIED:
    case Instance::PENDING:
      return false;
    case Instance::RUNNING:
      return !instance.private_ips().empty() &&
             (!wants_public_ip || !instance.public_ips().empty());
    default:
      return true;
  }
}

// "ap-guangzhou-4 S5.MEDIUM2 spot at 0.04/h": where a candidates order's
// instance landed.
std::string Place(const Instance& instance) {
  provisioning::v1::QuoteCell cell;
  cell.set_zone(instance.zone());
  cell.set_instance_type(instance.instance_type());
  *cell.mutable_billing() = instance.billing();
  cell.set_unit_price_per_hour(instance.unit_price_per_hour());
  return CellText(cell);
}

int Running(const Order& order) {
  return static_cast<int>(std::count_if(
      order.instances().begin(), order.instances().end(),
      [](const Instance& instance) { return instance.state() == Instance::RUNNING; }));
}

}  // namespace

void AppendLines(const std::string& text, std::vector<std::string>& lines) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    lines.emplace_back(line);
  }
}

std::string TakeLines(std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) absl::StrAppend(&out, line, "\n");
  lines.clear();
  return out;
}

std::string RedrawFrame(const std::vector<std::string>& lines, int width, int& previous_lines) {
  std::string out;
  // Back to the first line of the previous frame, then overwrite it.
  if (previous_lines > 0) absl::StrAppend(&out, "\x1b[", previous_lines, "F");
  for (const std::string& line : lines) {
    // A line that wraps would take two rows and break the redraw.
    const size_t fits = width > 1 ? static_cast<size_t>(width - 1) : line.size();
    absl::StrAppend(&out, kEraseLine, line.substr(0, fits), "\n");
  }
  absl::StrAppend(&out, kEraseBelow);
  previous_lines = static_cast<int>(lines.size());
  return out;
}

void ProgressView::Update(const Order& order, absl::Time now) {
  if (!has_order_) {
    start_ = order.has_create_time() ? ToTime(order.create_time()) : now;
    has_order_ = true;
  }
  order_ = order;
  const absl::Time changed_at = order.has_update_time() ? ToTime(order.update_time()) : now;
  const bool wants_public_ip = order.spec().internet().public_ip();
  const bool final = IsSettled(order.state());
  if (final && !final_at_.has_value()) final_at_ = changed_at;
  if (!final) final_at_.reset();  // e.g. ACTIVE -> TERMINATING

  const std::string state = OrderStateName(order.state());
  const bool state_changed = state != printed_state_;
  if (mode_ == Mode::kLines && state_changed && !final) {
    pending_.push_back(OrderLine(Since(changed_at)));
  }
  for (const provisioning::v1::OrderChange& change : order.last_changes()) {
    if (mode_ != Mode::kLines || change.kind() != provisioning::v1::OrderChange::FELL_BACK ||
        !fell_back_.insert(change.attempt().number()).second) {
      continue;
    }
    pending_.push_back(absl::StrFormat("+%-7s order %s %s", ElapsedText(Since(changed_at)),
                                       order.order_id(), FellBackText(change.attempt())));
  }
  for (const Instance& instance : order.instances()) {
    auto [it, added] = rows_.try_emplace(instance.instance_id());
    if (added) ids_.push_back(instance.instance_id());
    Row& row = it->second;
    row.latest = instance;
    const bool settled = Settled(instance, wants_public_ip);
    if (settled && !row.done_at.has_value()) row.done_at = changed_at;
    if (!settled) row.done_at.reset();
    if (mode_ != Mode::kLines) continue;
    const std::string key = absl::StrCat(instance.state(), " ", Ips(instance.public_ips()), " ",
                                         Ips(instance.private_ips()));
    if (key != row.printed) {
      row.printed = key;
      pending_.push_back(InstanceLine(row, Since(changed_at)));
    }
  }
  if (mode_ == Mode::kLines && state_changed && final) {
    pending_.push_back(OrderLine(Since(changed_at)));
    AppendLines(RenderAttempts(order), pending_);
  }
  printed_state_ = state;
}

std::string ProgressView::OrderLine(absl::Duration elapsed) const {
  std::string line = absl::StrFormat("+%-7s order %s %s", ElapsedText(elapsed), order_.order_id(),
                                     OrderStateName(order_.state()));
  if (order_.state() == Order::FAILED && order_.has_failure()) {
    absl::StrAppend(&line, ": ", order_.failure().reason(), ": ", order_.failure().message());
  } else if (IsSettled(order_.state()) || order_.state() == Order::TERMINATING) {
    absl::StrAppend(&line, ": ", Running(order_), "/", order_.instance_count(), " running");
  } else {
    absl::StrAppend(&line, ": ", OrderSummary(order_));
  }
  return line;
}

std::string ProgressView::InstanceLine(const Row& row, absl::Duration elapsed) const {
  size_t id_width = 0;
  for (const std::string& id : ids_) id_width = std::max(id_width, id.size());
  const std::string line =
      absl::StrFormat("+%-7s %-*s  %-13s  public %-15s  private ", ElapsedText(elapsed),
                      static_cast<int>(id_width), row.latest.instance_id(),
                      InstanceStateName(row.latest.state()), Ips(row.latest.public_ips()));
  const std::string private_ips = Ips(row.latest.private_ips());
  if (!order_.has_candidates()) return line + private_ips;
  return absl::StrCat(line, absl::StrFormat("%-15s  in ", private_ips), Place(row.latest));
}

std::vector<std::string> ProgressView::Frame(absl::Time now) const {
  const absl::Time order_end = final_at_.value_or(now);
  std::vector<std::string> lines;
  lines.push_back(absl::StrCat("Order ", order_.order_id(), "  ", OrderStateName(order_.state()),
                               "  elapsed ", ElapsedText(Since(order_end))));
  lines.push_back(absl::StrCat("  ", OrderSummary(order_)));
  if (order_.state() == Order::FAILED && order_.has_failure()) {
    lines.push_back(
        absl::StrCat("  failure: ", order_.failure().reason(), ": ", order_.failure().message()));
  }
  if (ids_.empty()) {
    lines.push_back("  (waiting for the cloud to name the instances)");
    AppendLines(RenderAttempts(order_), lines);
    return lines;
  }
  // A candidates order: where each instance landed, as describe shows it.
  const bool landed = order_.has_candidates();
  std::vector<std::vector<std::string>> rows = {{"INSTANCE", "STATE", "ELAPSED"}};
  if (landed) rows[0].insert(rows[0].end(), {"ZONE", "TYPE", "BILLING", "PRICE/H"});
  rows[0].insert(rows[0].end(), {"PUBLIC IP", "PRIVATE IP"});
  for (const std::string& id : ids_) {
    const Row& row = rows_.at(id);
    const absl::Time end = row.done_at.value_or(final_at_.value_or(now));
    std::vector<std::string> columns = {id, InstanceStateName(row.latest.state()),
                                        ElapsedText(Since(end))};
    if (landed) {
      columns.push_back(row.latest.zone());
      for (std::string& column : LandingColumns(row.latest)) columns.push_back(std::move(column));
    }
    columns.insert(columns.end(), {Ips(row.latest.public_ips()), Ips(row.latest.private_ips())});
    rows.push_back(std::move(columns));
  }
  AppendLines(FormatTable(rows, "  "), lines);
  AppendLines(RenderAttempts(order_), lines);
  return lines;
}

std::string ProgressView::Render(absl::Time now) {
  if (mode_ == Mode::kLines) return TakeLines(pending_);
  if (!has_order_) return "";
  return RedrawFrame(Frame(now), width_, frame_lines_);
}

}  // namespace cvm::cli
