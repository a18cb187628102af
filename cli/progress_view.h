// The live view of one order while it activates (or terminates).
//
// Feed it every version of the order (the Purchase response, then each Watch
// event) and write what Render() returns:
// - kTerminal: the whole view, redrawn in place with ANSI cursor movement:
//   the order's state and elapsed time, then per instance its state, elapsed
//   time (frozen once it is running with the addresses it will get) and
//   public / private IPs as they appear.
// - kLines: plain appended lines, one per change of the order's state or of an
//   instance's state or addresses, for logs and pipes (no escape codes).
// A candidates order (PurchaseRequest.candidates) also shows where each
// instance landed (zone, type, billing, price), a line per FELL_BACK change
// (kLines; once per attempt, whichever event carries it), and its attempts
// and skipped cells (RenderAttempts(): in every frame on a terminal, after
// the final line in kLines).
// Elapsed times count from the order's create_time; a change is dated by the
// order's update_time, so lines are reproducible whatever the client's clock.
// Not thread-safe.
#ifndef CVM_PROVISIONER_CLI_PROGRESS_VIEW_H_
#define CVM_PROVISIONER_CLI_PROGRESS_VIEW_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm::cli {

// Each line of `text` (lines ending in '\n') appended to `lines`.
void AppendLines(const std::string& text, std::vector<std::string>& lines);

// `lines` as text, one per line; empties `lines`.
std::string TakeLines(std::vector<std::string>& lines);

// `lines` drawn over the previous frame of `previous_lines` lines (then
// set to this one's), each cut to fit `width` columns (0: no limit).
std::string RedrawFrame(const std::vector<std::string>& lines, int width, int& previous_lines);

class ProgressView {
 public:
  enum class Mode { kTerminal, kLines };

  explicit ProgressView(Mode mode) : mode_(mode) {}

  // kTerminal: lines are cut to fit `columns` so none wraps (0: no limit).
  void set_width(int columns) { width_ = columns; }

  // Records the latest version of the order, received at `now`.
  void Update(const provisioning::v1::Order& order, absl::Time now);

  // What to write to the output now (possibly nothing in kLines mode).
  std::string Render(absl::Time now);

  bool has_order() const { return has_order_; }
  const provisioning::v1::Order& order() const { return order_; }

 private:
  struct Row {
    provisioning::v1::Instance latest;
    std::optional<absl::Time> done_at;  // when it stopped changing on its own
    std::string printed;                // kLines: what was last printed for it
  };

  std::vector<std::string> Frame(absl::Time now) const;
  std::string OrderLine(absl::Duration elapsed) const;
  std::string InstanceLine(const Row& row, absl::Duration elapsed) const;
  absl::Duration Since(absl::Time t) const { return t - start_; }

  const Mode mode_;
  bool has_order_ = false;
  provisioning::v1::Order order_;
  absl::Time start_;
  std::optional<absl::Time> final_at_;
  std::vector<std::string> ids_;  // instance ids in the order first seen
  std::map<std::string, Row> rows_;
  std::string printed_state_;         // kLines: the order state last printed
  std::set<int> fell_back_;           // kLines: attempts whose FELL_BACK was printed
  std::vector<std::string> pending_;  // kLines: lines not yet rendered
  int frame_lines_ = 0;               // kTerminal: height of the last frame
  int width_ = 0;
};

}  // namespace cvm::cli

#endif  // CVM_PROVISIONER_CLI_PROGRESS_VIEW_H_
