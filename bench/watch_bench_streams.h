// The client side of bench/watch_bench: Watch streams on completion queues
// that record, for every change delivered, its revision and receive time -
// the order's commit time (update_time; same machine, same clock). A CHANGE
// may carry several changes (WatchRequest.batch_changes): each counts as one
// delivery, the message as one.
#ifndef CVM_PROVISIONER_BENCH_WATCH_BENCH_STREAMS_H_
#define CVM_PROVISIONER_BENCH_WATCH_BENCH_STREAMS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "provisioning/v1/provisioning.grpc.pb.h"

namespace cvm::bench {

using provisioning::v1::Provisioning;
using provisioning::v1::WatchEvent;

struct Counters {
  std::atomic<int64_t> snapshots{0};
  std::atomic<int64_t> snapshot_revision{-1};  // the same on every stream
  std::atomic<int64_t> deliveries{0};          // changes, however many per message
  std::atomic<int64_t> messages{0};            // CHANGE messages
  std::atomic<int64_t> order_errors{0};        // a gap or a duplicate
  std::atomic<int64_t> done{0};
  // Commit time and encoded size of each revision's order, as the first
  // stream saw it.
  absl::Mutex mu;
  std::map<int64_t, absl::Time> commits ABSL_GUARDED_BY(mu);
  std::map<int64_t, size_t> order_bytes ABSL_GUARDED_BY(mu);
};

struct Delivery {
  int64_t revision;
  int32_t delay_us;
};

// One Watch stream of every order on a completion queue (the async API:
// with K queues each completion scans only its queue's pending operations);
// records the delay of each change. Tags are `this` plus the operation in
// the low bits.
class Stream {
 public:
  enum Op : uintptr_t { kStarted = 0, kRead = 1, kFinished = 2 };

  Stream(Provisioning::Stub* stub, grpc::CompletionQueue* cq, Counters* counters,
         size_t expected, bool batch_changes, bool records_commits)
      : counters_(counters), records_commits_(records_commits) {
    deliveries_.reserve(expected);
    request_.set_batch_changes(batch_changes);
    reader_ = stub->PrepareAsyncWatch(&context_, request_, cq);
    reader_->StartCall(Tag(kStarted));
  }

  // Handles one completion of this stream's operation `op`.
  void Proceed(Op op, bool ok) {
    if (op == kFinished) {
      counters_->done.fetch_add(1);
      return;
    }
    if (!ok) {  // the stream ended (cancelled at the end of the phase)
      reader_->Finish(&status_, Tag(kFinished));
      return;
    }
    if (op == kRead) Record(absl::Now());
    reader_->Read(&event_, Tag(kRead));
  }

  void Cancel() { context_.TryCancel(); }
  // Read only after the stream finished.
  const std::vector<Delivery>& deliveries() const { return deliveries_; }

 private:
  void* Tag(Op op) { return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(this) | op); }

  void Record(absl::Time now) {
    if (event_.type() == WatchEvent::SNAPSHOT) {
      last_ = event_.revision();
      int64_t expected = -1;
      if (!counters_->snapshot_revision.compare_exchange_strong(expected, last_) &&
          expected != last_) {
        counters_->order_errors.fetch_add(1);
      }
      counters_->snapshots.fetch_add(1);
      return;
    }
    if (event_.type() != WatchEvent::CHANGE) return;  // PROGRESS: nothing to measure
    counters_->messages.fetch_add(1);
    for (int i = 0; i < event_.orders_size(); ++i) {
      const int64_t revision =
          event_.revisions_size() == event_.orders_size() ? event_.revisions(i) : event_.revision();
      if (revision != last_ + 1) counters_->order_errors.fetch_add(1);
      last_ = revision;
      const auto& t = event_.orders(i).update_time();
      const absl::Time commit = absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
      deliveries_.push_back(
          {revision, static_cast<int32_t>(absl::ToInt64Microseconds(now - commit))});
      if (records_commits_) {
        absl::MutexLock lock(&counters_->mu);
        counters_->commits[revision] = commit;
        counters_->order_bytes[revision] = event_.orders(i).ByteSizeLong();
      }
    }
    counters_->deliveries.fetch_add(event_.orders_size());
  }

  Counters* const counters_;
  const bool records_commits_;
  grpc::ClientContext context_;
  provisioning::v1::WatchRequest request_;  // every order, from a snapshot
  std::unique_ptr<grpc::ClientAsyncReader<WatchEvent>> reader_;
  WatchEvent event_;
  grpc::Status status_;
  int64_t last_ = 0;
  std::vector<Delivery> deliveries_;
};

// Completion queues, each drained by its own thread.
class Pollers {
 public:
  explicit Pollers(int count) {
    for (int i = 0; i < count; ++i) {
      queues_.push_back(std::make_unique<grpc::CompletionQueue>());
      threads_.emplace_back([cq = queues_.back().get()] {
        void* tag = nullptr;
        bool ok = false;
        while (cq->Next(&tag, &ok)) {
          const auto bits = reinterpret_cast<uintptr_t>(tag);
          reinterpret_cast<Stream*>(bits & ~uintptr_t{3})
              ->Proceed(static_cast<Stream::Op>(bits & 3), ok);
        }
      });
    }
  }
  // Call once every stream on them has finished.
  ~Pollers() {
    for (auto& cq : queues_) cq->Shutdown();
    for (auto& thread : threads_) thread.join();
  }
  grpc::CompletionQueue* queue(size_t i) { return queues_[i % queues_.size()].get(); }

 private:
  std::vector<std::unique_ptr<grpc::CompletionQueue>> queues_;
  std::vector<std::thread> threads_;
};

}  // namespace cvm::bench

#endif  // CVM_PROVISIONER_BENCH_WATCH_BENCH_STREAMS_H_
