#include "cli/event_stream.h"

#include <utility>

namespace cvm::cli {

using provisioning::v1::WatchEvent;
using provisioning::v1::WatchRequest;

EventStream::EventStream(provisioning::v1::Provisioning::StubInterface* stub, WatchRequest request,
                         Options options)
    : stub_(stub),
      request_(std::move(request)),
      options_(std::move(options)),
      reader_([this] { Run(); }) {}

EventStream::~EventStream() {
  Cancel();
  reader_.join();
}

grpc::Status EventStream::ReadOnce(const WatchRequest& request, int* delivered) {
  grpc::ClientContext context;
  if (options_.deadline != absl::InfiniteFuture()) {
    context.set_deadline(absl::ToChronoTime(options_.deadline));
  }
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled");
    context_ = &context;
  }
  std::unique_ptr<grpc::ClientReaderInterface<WatchEvent>> reader = stub_->Watch(&context, request);
  WatchEvent event;
  while (reader->Read(&event)) {
    absl::MutexLock lock(&mu_);
    last_revision_ = std::max(last_revision_, event.revision());
    queue_.push_back(std::move(event));
    ++*delivered;
  }
  grpc::Status status = reader->Finish();
  absl::MutexLock lock(&mu_);
  context_ = nullptr;
  if (cancelled_) return grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled");
  if (status.ok()) {
    // The service never ends a watch on its own; treat it like a lost stream.
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the service ended the watch");
  }
  return status;
}

void EventStream::Run() {
  WatchRequest request = request_;
  int delivered_total = 0;
  int quiet_in_a_row = 0;  // reopenings that delivered nothing
  while (true) {
    int delivered = 0;
    grpc::Status status = ReadOnce(request, &delivered);
    delivered_total += delivered;
    if (status.error_code() == grpc::StatusCode::OUT_OF_RANGE && delivered_total == 0 &&
        options_.snapshot_if_trimmed && request.start_revision() > 0) {
      request.set_start_revision(0);
      continue;
    }
    quiet_in_a_row = delivered > 0 ? 0 : quiet_in_a_row + 1;
    const bool resumable = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                           status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED;
    const bool retry = resumable && delivered_total > 0 && quiet_in_a_row <= options_.max_resumes &&
                       absl::Now() < options_.deadline;
    if (!retry) {
      absl::MutexLock lock(&mu_);
      status_ = status;
      ended_ = true;
      return;
    }
    int64_t after = 0;
    {
      absl::MutexLock lock(&mu_);
      after = last_revision_;
      ++resumes_;
    }
    if (options_.on_resume) options_.on_resume(status, after);
    request.set_start_revision(after);
    // Back off, but wake at once on Cancel().
    absl::MutexLock lock(&mu_);
    const absl::Duration delay = options_.resume_delay * std::max(quiet_in_a_row, 1);
    mu_.AwaitWithTimeout(absl::Condition(&cancelled_), delay);
  }
}

EventStream::Next EventStream::Wait(absl::Duration wait, WatchEvent* event) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || ended_; };
  if (wait == absl::InfiniteDuration()) {
    mu_.Await(absl::Condition(&ready));
  } else if (!mu_.AwaitWithTimeout(absl::Condition(&ready), wait)) {
    return Next::kTimeout;
  }
  if (!queue_.empty()) {
    *event = std::move(queue_.front());
    queue_.pop_front();
    return Next::kEvent;
  }
  return Next::kEnded;
}

void EventStream::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

grpc::Status EventStream::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

int EventStream::resumes() const {
  absl::MutexLock lock(&mu_);
  return resumes_;
}

}  // namespace cvm::cli
