#include "service/order_driver.h"

#include <algorithm>
#include <cstdio>

namespace cvm {
namespace {

bool Unfinished(const absl::StatusOr<Order>& order) {
  return !order.ok() || order->state() == Order::ACCEPTED ||
         order->state() == Order::CHECKING || order->state() == Order::SUBMITTED;
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
  queue_.push_back({order_id, recovering});
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
    --running_;
  }
}

void OrderDriver::Drive(const Item& item) {
  absl::Duration backoff = options_.first_retry;
  while (true) {
    absl::StatusOr<Order> result = workflow_->Submit(item.order_id, item.recovering);
    if (result.ok() || !Unfinished(workflow_->Get(item.order_id))) {
      if (on_outcome_) on_outcome_(result.status());
      return;
    }
    std::fprintf(stderr, "provisioner: order %s stays unfinished, retrying in %s: %s\n",
                 item.order_id.c_str(), absl::FormatDuration(backoff).c_str(),
                 result.status().ToString().c_str());
    absl::MutexLock lock(&mu_);
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping), backoff)) return;
    backoff = std::min(backoff * 2, options_.max_retry);
  }
}

}  // namespace cvm
