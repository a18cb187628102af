// The live view of one node group while it moves to its target (or is
// deleted), as ProgressView (cli/progress_view.h) is for one order.
//
// Feed it every version of the group (the Create/Update/Delete response,
// then each WatchNodeGroup message) and write what Render() returns:
// - kTerminal: the whole view, redrawn in place: state, revision, elapsed
//   time (frozen while the group is at its target or DELETED), what each
//   instance is, the counts against target, min and max, why the group
//   cannot reach its target and how long until the next try, a table of the
//   instances (phase, zone, type, billing, price) and the last events.
// - kLines: plain appended lines, one per change: a new event, an instance
//   that appears, changes phase or is gone, unsatisfiable set, changed or
//   cleared, and the group line (state and counts) when they change, last.
// Times count from the first version's update_time (the change the command
// made); a change is dated by the group's update_time and an event by its
// own time, so lines are reproducible whatever the client's clock. The
// events a first version already holds are history: not printed as lines.
// Not thread-safe.
#ifndef CVM_PROVISIONER_CLI_GROUP_VIEW_H_
#define CVM_PROVISIONER_CLI_GROUP_VIEW_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "provisioning/v1/node_groups.pb.h"

namespace cvm::cli {

class GroupView {
 public:
  enum class Mode { kTerminal, kLines };

  // The terminal view shows at most this many of the last events.
  static constexpr int kEventsShown = 5;

  explicit GroupView(Mode mode) : mode_(mode) {}

  // kTerminal: lines are cut to fit `columns` so none wraps (0: no limit).
  void set_width(int columns) { width_ = columns; }

  // Records the latest version of the group, received at `now`.
  void Update(const provisioning::v1::NodeGroup& group, absl::Time now);

  // What to write to the output now (possibly nothing in kLines mode).
  std::string Render(absl::Time now);

  bool has_group() const { return has_group_; }
  const provisioning::v1::NodeGroup& group() const { return group_; }

 private:
  std::vector<std::string> Frame(absl::Time now) const;
  // "+1.2s" from the start; "-3.0s" before it.
  std::string Offset(absl::Time t) const;
  std::string Line(absl::Time t, const std::string& text) const;
  std::string InstanceLine(const provisioning::v1::NodeGroupInstance& instance) const;
  void AddEventLines(const provisioning::v1::NodeGroup& group);
  void AddInstanceLines(const provisioning::v1::NodeGroup& group, absl::Time changed_at);
  void AddUnsatisfiableLine(const provisioning::v1::NodeGroup& group, absl::Time changed_at);

  const Mode mode_;
  bool has_group_ = false;
  provisioning::v1::NodeGroup group_;
  absl::Time start_;
  std::optional<absl::Time> settled_at_;  // at target or DELETED since
  // kLines: what was last printed.
  std::map<std::string, std::string> phases_;  // instance id -> phase
  std::set<std::string> events_;               // events printed (or history)
  std::string counts_;
  std::string unsatisfiable_;
  std::vector<std::string> pending_;  // kLines: lines not yet rendered
  int frame_lines_ = 0;               // kTerminal: height of the last frame
  int width_ = 0;
};

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_GROUP_VIEW_H_
