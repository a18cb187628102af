#include "service/order_driver.h"
#include "common/order_states.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace cvm {
namespace {

bool Unfinished(const absl::StatusOr<Order>& order) {
  return !order.ok() || IsBeforeCloud(order->state());
}

}  // namespace

OrderDriver::OrderDriver(OrderWorkflow* workflow, Options options,
                         OutcomeCallback on_outcome)
    : workflow_(workflow), options_(options), on_outcome_(std::move(on_outcome)) {
  const int workers = std::max(1, options_.workers);
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { Work(); });
}

OrderDriver::~OrderDriver() { Stop(); }

bool OrderDriver::Enqueue(const std::string& order_id, bool recovering) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return false;
  if (known_.insert(order_id).second) queue_.push_back({order_id, recovering});
  return true;
}

bool OrderDriver::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_.empty() && running_ == 0;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

void OrderDriver::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    queue_.clear();  // still unfinished in the store: the next start resumes them
    known_.clear();
  }
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

void OrderDriver::Work() {
  while (true) {
    Item item;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    Drive(item);
    absl::MutexLock lock(&mu_);
    known_.erase(item.order_id);
    --running_;
  }
}

void OrderDriver::Drive(const Item& item) {
  const std::string claim = absl::StrCat("order/", item.order_id);
  absl::Duration backoff = options_.first_retry;
  bool held = false;
  Item next = item;
  while (true) {
    const absl::Status status = Attempt(next, claim, held);
    if (status.ok()) break;
    // The cloud may have bought it despite the error (a lost answer): every
    // retry looks for its instances by tag before asking again, rather than
    // trusting the cloud to remember the token however long the outage.
    next.recovering = true;
    std::fprintf(stderr, "provisioner: order %s stays unfinished, retrying in %s: %s\n",
                 item.order_id.c_str(), absl::FormatDuration(backoff).c_str(),
                 status.ToString().c_str());
    if (WaitOrStop(backoff)) return;  // the claim ends with the process
    backoff = std::min(backoff * 2, options_.max_retry);
  }
  if (held) options_.leases->Release(claim);
}

absl::Status OrderDriver::Attempt(const Item& item, const std::string& claim, bool& held) {
  if (options_.leases != nullptr) {
    // Won before every attempt: a claim lost with the database session may
    // have gone to another replica meanwhile.
    absl::StatusOr<bool> claimed = options_.leases->TryAcquire(claim);
    held = claimed.ok() && *claimed;
    if (!claimed.ok()) return claimed.status();
    if (!*claimed) return absl::OkStatus();  // another replica drives it
    // Another replica may have finished it before this one won the claim.
    absl::StatusOr<Order> current = workflow_->Get(item.order_id);
    if (!current.ok()) return current.status();
    if (!Unfinished(current)) return absl::OkStatus();
  }
  absl::StatusOr<Order> result = workflow_->Submit(item.order_id, item.recovering);
  if (result.ok() || !Unfinished(workflow_->Get(item.order_id))) {
    if (on_outcome_) on_outcome_(result.status());
    return absl::OkStatus();
  }
  return result.status();
}

bool OrderDriver::WaitOrStop(absl::Duration backoff) {
  absl::MutexLock lock(&mu_);
  auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
  return mu_.AwaitWithTimeout(absl::Condition(&stopping), backoff);
}

}  // namespace cvm
