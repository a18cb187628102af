#include "service/node_group_watches.h"

#include <utility>
#include <vector>

#include "common/grpc_status.h"

namespace cvm {

using provisioning::v1::NodeGroup;

// One WatchNodeGroup call on the callback API. Deletes itself in OnDone().
class NodeGroupWatches::Stream : public grpc::ServerWriteReactor<NodeGroup> {
 public:
  Stream(NodeGroupWatches* owner, uint64_t id, std::shared_ptr<Entry> entry, int64_t start_revision)
      : owner_(owner), id_(id), entry_(std::move(entry)), sent_(start_revision) {}

  // From the poller: the group now, or the error reading it.
  void Offer(const absl::StatusOr<NodeGroup>& group) {
    {
      absl::MutexLock lock(&mu_);
      if (finishing_ || writing_) return;
      if (!group.ok()) return FinishLocked(group.status());
      if (group->revision() <= sent_) return;
      sent_ = group->revision();
      current_ = *group;
      writing_ = true;
      // The last message: the stream ends once it is written.
      if (current_.state() == NodeGroup::DELETED) FinishLocked(absl::OkStatus());
    }
    StartWrite(&current_);  // outside mu_: its completion takes mu_
  }
  void End(const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(status);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) FinishLocked(absl::CancelledError("the stream was closed"));
    if (finishing_) SendFinishLocked();
  }
  void OnCancel() override { End(absl::CancelledError("the client cancelled the watch")); }
  void OnDone() override {
    owner_->Remove(id_, *entry_);
    delete this;
  }

 private:
  void FinishLocked(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finishing_) return;
    finishing_ = true;
    finish_status_ = status;
    if (!writing_) SendFinishLocked();
  }
  void SendFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finish_sent_) return;
    finish_sent_ = true;
    Finish(ToGrpcStatus(finish_status_));
  }

  NodeGroupWatches* const owner_;
  const uint64_t id_;
  const std::shared_ptr<Entry> entry_;
  absl::Mutex mu_;
  int64_t sent_ ABSL_GUARDED_BY(mu_);  // the last revision written
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_sent_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status finish_status_ ABSL_GUARDED_BY(mu_);
  NodeGroup current_;  // the message in flight; set under mu_ while not writing
};

NodeGroupWatches::NodeGroupWatches(ReadFn read, absl::Duration interval)
    : read_(std::move(read)), interval_(interval), thread_([this] { Run(); }) {}

NodeGroupWatches::~NodeGroupWatches() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

grpc::ServerWriteReactor<NodeGroup>* NodeGroupWatches::Refuse(const absl::Status& status) {
  class Refused : public grpc::ServerWriteReactor<NodeGroup> {
   public:
    explicit Refused(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
    void OnDone() override { delete this; }
  };
  return new Refused(status);
}

grpc::ServerWriteReactor<NodeGroup>* NodeGroupWatches::Open(
    const std::string& tenant, const provisioning::v1::WatchNodeGroupRequest& request) {
  auto entry = std::make_shared<Entry>();
  entry->tenant = tenant;
  entry->group_id = request.group_id();
  absl::MutexLock lock(&mu_);
  if (closed_) return Refuse(close_status_);
  const uint64_t id = next_id_++;
  auto* stream = new Stream(this, id, entry, request.start_revision());
  {
    absl::MutexLock entry_lock(&entry->mu);
    entry->stream = stream;
  }
  entries_.emplace(id, std::move(entry));
  kicked_ = true;
  return stream;
}

void NodeGroupWatches::Close(const absl::Status& status) {
  std::vector<std::shared_ptr<Entry>> entries;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    close_status_ = status;
    for (const auto& [id, entry] : entries_) entries.push_back(entry);
  }
  for (const auto& entry : entries) {
    absl::MutexLock lock(&entry->mu);
    if (entry->stream != nullptr) entry->stream->End(status);
  }
}

void NodeGroupWatches::Remove(uint64_t id, Entry& entry) {
  {
    absl::MutexLock lock(&entry.mu);
    entry.stream = nullptr;
  }
  absl::MutexLock lock(&mu_);
  entries_.erase(id);
}

size_t NodeGroupWatches::open_streams() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

int64_t NodeGroupWatches::polls() const {
  absl::MutexLock lock(&mu_);
  return polls_;
}

void NodeGroupWatches::Run() {
  absl::MutexLock lock(&mu_);
  while (true) {
    auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return kicked_ || stop_; };
    mu_.AwaitWithTimeout(absl::Condition(&wake), interval_);
    if (stop_) return;
    kicked_ = false;
    std::vector<std::shared_ptr<Entry>> entries;
    for (const auto& [id, entry] : entries_) entries.push_back(entry);
    mu_.Unlock();
    // One read per group, then every stream of it; no lock held meanwhile.
    std::map<std::pair<std::string, std::string>, absl::StatusOr<NodeGroup>> groups;
    for (const auto& entry : entries) {
      const auto key = std::make_pair(entry->tenant, entry->group_id);
      if (groups.count(key) == 0) groups.emplace(key, read_(entry->tenant, entry->group_id));
    }
    for (const auto& entry : entries) {
      absl::MutexLock entry_lock(&entry->mu);
      if (entry->stream != nullptr) {
        entry->stream->Offer(groups.at(std::make_pair(entry->tenant, entry->group_id)));
      }
    }
    mu_.Lock();
    ++polls_;
  }
}

}  // namespace cvm
