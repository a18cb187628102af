// PostgresOrderStore: the feed that hands the listener the changes other
// processes commit to the same database (see postgres_order_store.h).
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "store/postgres_order_store.h"

namespace cvm {
namespace {

// Events read per query while catching up.
constexpr int64_t kFeedBatch = 1000;

}  // namespace

absl::Status PostgresOrderStore::DeliverLocked(pg::Connection& connection, int64_t last) {
  while (last == 0 || delivered_ < last) {
    absl::StatusOr<std::vector<OrderEvent>> events =
        ReadEventsLocked(connection, delivered_, EventFilter(), last, kFeedBatch);
    if (events.status().code() == absl::StatusCode::kOutOfRange) {
      // Trimmed before this process read them (it was cut off for longer
      // than the log is long): go on from the oldest kept, and say so.
      ASSIGN_OR_RETURN(pg::Result oldest,
                       connection.Exec("reading the event log",
                                        "SELECT COALESCE(MIN(revision), 1) - 1 FROM events"));
      std::fprintf(stderr,
                   "postgres store: revisions %lld to %lld left the event log before this "
                   "process read them; its watchers miss them\n",
                   static_cast<long long>(delivered_ + 1),
                   static_cast<long long>(oldest.Int(0, 0)));
      delivered_ = oldest.Int(0, 0);
      continue;
    }
    if (!events.ok()) return events.status();
    if (events->empty()) return absl::OkStatus();
    for (const OrderEvent& event : *events) {
      if (listener_) listener_(event);
      delivered_ = event.revision;
    }
  }
  return absl::OkStatus();
}

void PostgresOrderStore::Feed() {
  bool listening = false;
  absl::Status last_error;
  while (true) {
    {
      absl::MutexLock lock(&feed_mu_);
      if (stopping_) return;
    }
    absl::Status status;
    {
      absl::MutexLock lock(&mu_);
      if (!listening) {
        status = feed_connection_.ExecScript("listening for events",
                                             absl::StrCat("LISTEN ", kEventChannel));
        listening = status.ok();
      }
      // Whatever was committed while not listening, then the notified.
      if (status.ok()) status = DeliverLocked(feed_connection_, 0);
    }
    if (status.ok()) {
      // Wakes on a notification, else re-reads after feed_interval_; waits
      // in slices so that the destructor does not wait long.
      absl::Duration waited;
      while (status.ok() && waited < feed_interval_) {
        absl::StatusOr<std::vector<std::string>> notified =
            feed_connection_.WaitForNotifications(absl::Milliseconds(200));
        waited += absl::Milliseconds(200);
        if (!notified.ok()) {
          status = notified.status();
        } else if (!notified->empty()) {
          break;
        }
        absl::MutexLock lock(&feed_mu_);
        if (stopping_) return;
      }
    }
    if (!status.ok()) {
      if (status.message() != last_error.message()) {
        std::fprintf(stderr, "postgres store: event feed: %s (retrying)\n",
                     status.ToString().c_str());
      }
      last_error = status;
      feed_connection_.Close();
      listening = false;
      absl::MutexLock lock(&feed_mu_);
      feed_mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(500));
      if (stopping_) return;
    } else {
      last_error = absl::OkStatus();
    }
  }
}

}  // namespace cvm
