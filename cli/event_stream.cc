#include "cli/event_stream.h"

#include <algorithm>
#include <utility>

namespace cvm::cli {

using provisioning::v1::NodeGroup;
using provisioning::v1::WatchEvent;
using provisioning::v1::WatchNodeGroupRequest;
using provisioning::v1::WatchRequest;

namespace {

StreamOptions EndingOk(StreamOptions options) {
  options.ends_ok = true;
  return options;
}

}  // namespace

template <typename Request, typename Message>
ResumableStream<Request, Message>::ResumableStream(Open open, Request request, Options options)
    : open_(std::move(open)),
      request_(std::move(request)),
      options_(std::move(options)),
      reader_([this] { Run(); }) {}

template <typename Request, typename Message>
ResumableStream<Request, Message>::~ResumableStream() {
  Cancel();
  reader_.join();
}

template <typename Request, typename Message>
grpc::Status ResumableStream<Request, Message>::ReadOnce(const Request& request, int* delivered) {
  grpc::ClientContext context;
  if (options_.deadline != absl::InfiniteFuture()) {
    context.set_deadline(absl::ToChronoTime(options_.deadline));
  }
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled");
    context_ = &context;
  }
  std::unique_ptr<grpc::ClientReaderInterface<Message>> reader = open_(&context, request);
  Message message;
  while (reader->Read(&message)) {
    absl::MutexLock lock(&mu_);
    last_revision_ = std::max(last_revision_, message.revision());
    queue_.push_back(std::move(message));
    ++*delivered;
  }
  grpc::Status status = reader->Finish();
  absl::MutexLock lock(&mu_);
  context_ = nullptr;
  if (cancelled_) return grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled");
  if (status.ok() && !options_.ends_ok) {
    // The service never ends this watch on its own; treat it like a lost stream.
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the service ended the watch");
  }
  return status;
}

template <typename Request, typename Message>
void ResumableStream<Request, Message>::Run() {
  Request request = request_;
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

template <typename Request, typename Message>
typename ResumableStream<Request, Message>::Next ResumableStream<Request, Message>::Wait(
    absl::Duration wait, Message* message) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || ended_; };
  if (wait == absl::InfiniteDuration()) {
    mu_.Await(absl::Condition(&ready));
  } else if (!mu_.AwaitWithTimeout(absl::Condition(&ready), wait)) {
    return Next::kTimeout;
  }
  if (!queue_.empty()) {
    *message = std::move(queue_.front());
    queue_.pop_front();
    return Next::kEvent;
  }
  return Next::kEnded;
}

template <typename Request, typename Message>
void ResumableStream<Request, Message>::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (context_ != nullptr) context_->TryCancel();
}

template <typename Request, typename Message>
grpc::Status ResumableStream<Request, Message>::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

template <typename Request, typename Message>
int ResumableStream<Request, Message>::resumes() const {
  absl::MutexLock lock(&mu_);
  return resumes_;
}

template class ResumableStream<WatchRequest, WatchEvent>;
template class ResumableStream<WatchNodeGroupRequest, NodeGroup>;

EventStream::EventStream(provisioning::v1::Provisioning::StubInterface* stub, WatchRequest request,
                         Options options)
    : ResumableStream([stub](grpc::ClientContext* context,
                             const WatchRequest& r) { return stub->Watch(context, r); },
                      std::move(request), std::move(options)) {}

GroupStream::GroupStream(provisioning::v1::NodeGroups::StubInterface* stub,
                         WatchNodeGroupRequest request, Options options)
    : ResumableStream(
          [stub](grpc::ClientContext* context, const WatchNodeGroupRequest& r) {
            return stub->WatchNodeGroup(context, r);
          },
          std::move(request), EndingOk(std::move(options))) {}

}  // namespace cvm::cli
