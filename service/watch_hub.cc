#include "service/watch_hub.h"

#include <utility>
#include <vector>

namespace cvm {

WatchHub::WatchHub(Options options)
    : options_(std::move(options)), fan_out_([this] { Run(); }) {}

WatchHub::~WatchHub() {
  {
    absl::MutexLock lock(&queue_mu_);
    stop_ = true;
  }
  fan_out_.join();
}

absl::StatusOr<uint64_t> WatchHub::Subscribe(WatchSubscriber* subscriber,
                                             std::vector<WatchMessagePtr>* standing) {
  absl::MutexLock lock(&mu_);
  if (closed_) return absl::UnavailableError("the server is shutting down");
  const uint64_t id = next_id_++;
  subscribers_[id] = subscriber;
  if (standing != nullptr) {
    for (const auto& entry : standing_) standing->push_back(entry.second);
  }
  return id;
}

void WatchHub::Unsubscribe(uint64_t id) {
  absl::MutexLock lock(&mu_);
  subscribers_.erase(id);
}

void WatchHub::Publish(const OrderEvent& event) {
  absl::MutexLock lock(&queue_mu_);
  pending_.push_back(event);
  ++published_;
}

void WatchHub::PublishAccount(const provisioning::v1::AccountForecast& forecast,
                              std::vector<std::string> tenants) {
  absl::MutexLock lock(&queue_mu_);
  accounts_.push_back({forecast, std::move(tenants), pending_.size()});
  ++published_;
}

void WatchHub::Flush() {
  absl::MutexLock lock(&queue_mu_);
  const uint64_t target = published_;
  auto done = [this, target]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
    return stop_ || delivered_ >= target;
  };
  queue_mu_.Await(absl::Condition(&done));
}

void WatchHub::Close(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (const auto& entry : subscribers_) entry.second->OnClose(status);
  subscribers_.clear();
}

size_t WatchHub::subscriber_count() const {
  absl::MutexLock lock(&mu_);
  return subscribers_.size();
}

int64_t WatchHub::revision() const {
  absl::MutexLock lock(&mu_);
  return revision_;
}

void WatchHub::Run() {
  const bool ticking = options_.progress_interval > absl::ZeroDuration();
  const absl::Duration tick_period = options_.progress_interval / 4;
  absl::Time next_tick = absl::Now() + tick_period;
  while (true) {
    std::deque<OrderEvent> events;
    std::deque<AccountNotice> accounts;
    bool tick = false;
    {
      absl::MutexLock lock(&queue_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
        return stop_ || !pending_.empty() || !accounts_.empty();
      };
      if (ticking) {
        queue_mu_.AwaitWithDeadline(absl::Condition(&ready), next_tick);
      } else {
        queue_mu_.Await(absl::Condition(&ready));
      }
      if (stop_) return;
      events.swap(pending_);
      accounts.swap(accounts_);
      if (ticking && absl::Now() >= next_tick) {
        tick = true;
        next_tick = absl::Now() + tick_period;
      }
    }
    const size_t count = events.size() + accounts.size();
    if (accounts.empty()) {
      if (count > 0) Deliver(std::move(events));
    } else {
      DeliverInOrder(std::move(events), accounts);
    }
    if (tick) TickProgress();
    if (count > 0) {
      absl::MutexLock lock(&queue_mu_);
      delivered_ += count;
    }
  }
}

void WatchHub::Deliver(std::deque<OrderEvent> events) {
  // Serialized once, outside the subscriber lock; shared by every stream.
  std::vector<WatchMessagePtr> changes;
  changes.reserve(events.size());
  for (const OrderEvent& event : events) changes.push_back(ChangeMessage(event));
  absl::MutexLock lock(&mu_);
  revision_ = changes.back()->revision;
  for (const auto& entry : subscribers_) entry.second->OnChanges(changes);
}

void WatchHub::DeliverInOrder(std::deque<OrderEvent> events,
                              const std::deque<AccountNotice>& accounts) {
  size_t sent = 0;  // of events
  for (const AccountNotice& notice : accounts) {
    if (notice.after > sent) {
      Deliver(std::deque<OrderEvent>(events.begin() + sent, events.begin() + notice.after));
      sent = notice.after;
    }
    DeliverAccount(notice);
  }
  if (sent < events.size()) Deliver(std::deque<OrderEvent>(events.begin() + sent, events.end()));
}

void WatchHub::DeliverAccount(const AccountNotice& notice) {
  absl::MutexLock lock(&mu_);
  const WatchMessagePtr account = AccountMessage(notice.forecast, revision_, notice.tenants);
  if (notice.forecast.state() == provisioning::v1::AccountForecast::WARNING) {
    standing_[notice.forecast.backend()] = account;
  } else {
    standing_.erase(notice.forecast.backend());
  }
  for (const auto& entry : subscribers_) entry.second->OnAccount(account);
}

void WatchHub::TickProgress() {
  const absl::Time idle_cutoff = Now() - options_.progress_interval;
  absl::MutexLock lock(&mu_);
  if (subscribers_.empty()) return;
  const WatchMessagePtr progress = ProgressMessage(revision_);
  for (const auto& entry : subscribers_) entry.second->OnProgressTick(progress, idle_cutoff);
}

}  // namespace cvm
