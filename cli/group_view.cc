#include "cli/group_view.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/progress_view.h"
#include "cli/render.h"
#include "cli/render_groups.h"

namespace cvm::cli {
namespace {

using provisioning::v1::NodeGroup;
using provisioning::v1::NodeGroupEvent;
using provisioning::v1::NodeGroupInstance;

std::string EventKey(const NodeGroupEvent& event) {
  return absl::StrCat(event.time().seconds(), ".", event.time().nanos(), " ", event.kind(), " ",
                      event.count(), " ", event.message());
}

std::string GroupLine(const NodeGroup& group) {
  return absl::StrCat("group ", group.group_id(), " ", GroupStateName(group.state()), ": ",
                      GroupCounts(group));
}

}  // namespace

std::string GroupView::Offset(absl::Time t) const {
  const absl::Duration d = t - start_;
  // Less than what ElapsedText shows is no time before ("-0.0s").
  return d <= -absl::Milliseconds(50) ? absl::StrCat("-", ElapsedText(-d))
                                      : absl::StrCat("+", ElapsedText(d));
}

std::string GroupView::Line(absl::Time t, const std::string& text) const {
  return absl::StrFormat("%-8s %s", Offset(t), text);
}

std::string GroupView::InstanceLine(const NodeGroupInstance& instance) const {
  size_t id_width = 0;
  for (const auto& [id, phase] : phases_) id_width = std::max(id_width, id.size());
  std::vector<std::string> row = GroupInstanceRow(instance);
  return absl::StrFormat("%-*s  %-8s  %s", static_cast<int>(id_width), row[0], row[1],
                         absl::StrJoin(row.begin() + 2, row.end(), "  "));
}

void GroupView::Update(const NodeGroup& group, absl::Time now) {
  const absl::Time changed_at = group.has_update_time() ? ToTime(group.update_time()) : now;
  const bool first = !has_group_;
  if (first) {
    start_ = changed_at;
    has_group_ = true;
    for (const NodeGroupEvent& event : group.status().events()) events_.insert(EventKey(event));
  }
  group_ = group;
  const bool settled = AtTarget(group) || group.state() == NodeGroup::DELETED;
  if (settled && !settled_at_.has_value()) settled_at_ = changed_at;
  if (!settled) settled_at_.reset();
  if (mode_ != Mode::kLines) return;
  AddEventLines(group);
  AddInstanceLines(group, changed_at);
  AddUnsatisfiableLine(group, changed_at);
  const std::string counts = GroupLine(group);
  if (counts != counts_) {
    counts_ = counts;
    pending_.push_back(Line(changed_at, counts));
  }
}

void GroupView::AddEventLines(const NodeGroup& group) {
  for (const NodeGroupEvent& event : group.status().events()) {
    if (!events_.insert(EventKey(event)).second) continue;
    pending_.push_back(Line(ToTime(event.time()), GroupEventText(event)));
  }
}

void GroupView::AddInstanceLines(const NodeGroup& group, absl::Time changed_at) {
  std::set<std::string> present;
  for (const NodeGroupInstance& instance : group.status().instances()) {
    present.insert(instance.instance_id());
    phases_.try_emplace(instance.instance_id());  // for the id column's width
  }
  for (const NodeGroupInstance& instance : group.status().instances()) {
    std::string& printed = phases_[instance.instance_id()];
    if (printed == PhaseName(instance.phase())) continue;
    printed = PhaseName(instance.phase());
    pending_.push_back(Line(changed_at, InstanceLine(instance)));
  }
  for (auto it = phases_.begin(); it != phases_.end();) {
    if (present.count(it->first) > 0) {
      ++it;
      continue;
    }
    pending_.push_back(Line(changed_at, absl::StrCat(it->first, "  gone")));
    it = phases_.erase(it);
  }
}

void GroupView::AddUnsatisfiableLine(const NodeGroup& group, absl::Time changed_at) {
  std::string text;  // empty while the group is not unsatisfiable
  if (group.status().has_unsatisfiable()) {
    const provisioning::v1::Unsatisfiable& unsatisfiable = group.status().unsatisfiable();
    // Its message is the UNSATISFIABLE event's, printed just before.
    text = absl::StrCat("unsatisfiable: ", UnsatisfiableText(unsatisfiable), "; next try at ",
                        Offset(ToTime(unsatisfiable.retry_time())));
  }
  if (text == unsatisfiable_) return;
  unsatisfiable_ = text;
  pending_.push_back(Line(changed_at, text.empty() ? "no longer unsatisfiable" : text));
}

std::vector<std::string> GroupView::Frame(absl::Time now) const {
  const NodeGroup& g = group_;
  std::vector<std::string> lines;
  lines.push_back(absl::StrCat("Group ", g.group_id(), "  ", GroupStateName(g.state()),
                               "  revision ", g.revision(), "  elapsed ",
                               ElapsedText(settled_at_.value_or(now) - start_)));
  lines.push_back(absl::StrCat("  ", GroupSummary(g)));
  lines.push_back(absl::StrCat("  ", GroupCounts(g)));
  if (g.status().has_unsatisfiable()) {
    const provisioning::v1::Unsatisfiable& unsatisfiable = g.status().unsatisfiable();
    lines.push_back(absl::StrCat("  unsatisfiable: ", UnsatisfiableText(unsatisfiable),
                                 "; next try in ",
                                 ElapsedText(ToTime(unsatisfiable.retry_time()) - now)));
    lines.push_back(absl::StrCat("    ", unsatisfiable.message()));
  }
  if (g.status().instances().empty()) {
    lines.push_back(g.status().creating() > 0
                        ? absl::StrCat("  (", g.status().creating(),
                                       " ordered: waiting for the cloud to name them)")
                        : "  (no instances)");
  } else {
    std::vector<std::vector<std::string>> rows = {GroupInstanceHeader()};
    for (const NodeGroupInstance& instance : g.status().instances()) {
      rows.push_back(GroupInstanceRow(instance));
    }
    AppendLines(FormatTable(rows, "  "), lines);
  }
  const auto& events = g.status().events();
  if (!events.empty()) {
    lines.push_back("  last events:");
    for (int i = std::max(0, events.size() - kEventsShown); i < events.size(); ++i) {
      lines.push_back(
          absl::StrCat("    ", Line(ToTime(events[i].time()), GroupEventText(events[i]))));
    }
  }
  return lines;
}

std::string GroupView::Render(absl::Time now) {
  if (mode_ == Mode::kLines) return TakeLines(pending_);
  if (!has_group_) return "";
  return RedrawFrame(Frame(now), width_, frame_lines_);
}

}  // namespace cvm::cli
