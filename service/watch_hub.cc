#include "service/watch_hub.h"

#include <algorithm>
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
  auto slot = std::make_shared<Slot>();
  {
    absl::MutexLock slot_lock(&slot->mu);
    slot->subscriber = subscriber;
  }
  absl::MutexLock lock(&mu_);
  if (closed_) return absl::UnavailableError("the server is shutting down");
  const uint64_t id = next_id_++;
  subscribers_.emplace(id, std::move(slot));
  listing_.reset();
  if (standing != nullptr) {
    for (const auto& entry : standing_) standing->push_back(entry.second);
  }
  return id;
}

void WatchHub::Unsubscribe(uint64_t id) {
  std::shared_ptr<Slot> slot;
  {
    absl::MutexLock lock(&mu_);
    auto it = subscribers_.find(id);
    if (it == subscribers_.end()) return;  // closed: its slot was cleared
    slot = std::move(it->second);
    subscribers_.erase(it);
    listing_.reset();
  }
  // Waits only for a callback of this subscriber running now.
  absl::MutexLock slot_lock(&slot->mu);
  slot->subscriber = nullptr;
}

std::shared_ptr<const WatchHub::Listing> WatchHub::ListingLocked() {
  if (listing_ == nullptr) {
    auto listing = std::make_shared<Listing>();
    listing->reserve(subscribers_.size());
    for (const auto& entry : subscribers_) listing->push_back(entry.second);
    listing_ = std::move(listing);
  }
  return listing_;
}

template <typename Call>
void WatchHub::CallIfSubscribed(Slot& slot, const Call& call) {
  absl::MutexLock slot_lock(&slot.mu);
  if (slot.subscriber != nullptr) call(slot.subscriber);
}

template <typename Call>
void WatchHub::ForEach(const Listing& listing, const Call& call) {
  for (const std::shared_ptr<Slot>& slot : listing) CallIfSubscribed(*slot, call);
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
  std::shared_ptr<const Listing> listing;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    listing = ListingLocked();
  }
  // The slots stay subscribed until each is cleared, so an Unsubscribe()
  // meanwhile (a stream ending on its own) waits for its OnClose to return.
  for (const std::shared_ptr<Slot>& slot : *listing) {
    absl::MutexLock slot_lock(&slot->mu);
    if (slot->subscriber == nullptr) continue;
    slot->subscriber->OnClose(status);
    slot->subscriber = nullptr;  // no callback follows OnClose
  }
  absl::MutexLock lock(&mu_);
  subscribers_.clear();
  listing_.reset();
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
    size_t count = events.size() + accounts.size();
    if (accounts.empty()) {
      if (count > 0) count += Deliver(std::move(events), /*join_arrivals=*/true);
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

size_t WatchHub::Deliver(std::deque<OrderEvent> events, bool join_arrivals) {
  // Serialized once, outside any lock; shared by every stream.
  std::vector<WatchMessagePtr> changes;
  changes.reserve(events.size());
  for (const OrderEvent& event : events) changes.push_back(ChangeMessage(event));
  std::shared_ptr<const Listing> listing;
  {
    absl::MutexLock lock(&mu_);
    listing = ListingLocked();
  }
  // Subscribers [0, at) of the pass got changes [0, from) only.
  struct Join {
    size_t at, from;
  };
  std::vector<Join> joins;
  size_t joined = 0;
  const size_t every = std::max<size_t>(1, options_.join_every);
  for (size_t i = 0; i < listing->size(); ++i) {
    if (join_arrivals && i > 0 && i % every == 0) {
      const size_t from = changes.size();
      if (const size_t taken = TakeArrivals(changes); taken > 0) {
        joined += taken;
        joins.push_back({i, from});
      }
    }
    CallIfSubscribed(*(*listing)[i],
                     [&](WatchSubscriber* subscriber) { subscriber->OnChanges(changes); });
  }
  for (size_t k = 0; k < joins.size(); ++k) {
    const std::vector<WatchMessagePtr> late(changes.begin() + joins[k].from, changes.end());
    for (size_t i = k == 0 ? 0 : joins[k - 1].at; i < joins[k].at; ++i) {
      CallIfSubscribed(*(*listing)[i],
                       [&](WatchSubscriber* subscriber) { subscriber->OnChanges(late); });
    }
  }
  absl::MutexLock lock(&mu_);
  revision_ = changes.back()->revision;
  return joined;
}

size_t WatchHub::TakeArrivals(std::vector<WatchMessagePtr>& changes) {
  std::deque<OrderEvent> arrived;
  {
    absl::MutexLock lock(&queue_mu_);
    if (!accounts_.empty() || stop_) return 0;
    arrived.swap(pending_);
  }
  for (const OrderEvent& event : arrived) changes.push_back(ChangeMessage(event));
  return arrived.size();
}

void WatchHub::DeliverInOrder(std::deque<OrderEvent> events,
                              const std::deque<AccountNotice>& accounts) {
  size_t sent = 0;  // of events
  for (const AccountNotice& notice : accounts) {
    if (notice.after > sent) {
      Deliver(std::deque<OrderEvent>(events.begin() + sent, events.begin() + notice.after),
              /*join_arrivals=*/false);
      sent = notice.after;
    }
    DeliverAccount(notice);
  }
  if (sent < events.size()) {
    Deliver(std::deque<OrderEvent>(events.begin() + sent, events.end()), /*join_arrivals=*/false);
  }
}

void WatchHub::DeliverAccount(const AccountNotice& notice) {
  WatchMessagePtr account;
  std::shared_ptr<const Listing> listing;
  {
    absl::MutexLock lock(&mu_);
    account = AccountMessage(notice.forecast, revision_, notice.tenants);
    if (notice.forecast.state() == provisioning::v1::AccountForecast::WARNING) {
      standing_[notice.forecast.backend()] = account;
    } else {
      standing_.erase(notice.forecast.backend());
    }
    listing = ListingLocked();
  }
  ForEach(*listing, [&](WatchSubscriber* subscriber) { subscriber->OnAccount(account); });
}

void WatchHub::TickProgress() {
  const absl::Time idle_cutoff = Now() - options_.progress_interval;
  WatchMessagePtr progress;
  std::shared_ptr<const Listing> listing;
  {
    absl::MutexLock lock(&mu_);
    if (subscribers_.empty()) return;
    progress = ProgressMessage(revision_);
    listing = ListingLocked();
  }
  ForEach(*listing,
          [&](WatchSubscriber* subscriber) { subscriber->OnProgressTick(progress, idle_cutoff); });
}

}  // namespace cvm
