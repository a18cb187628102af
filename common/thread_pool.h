// A fixed pool of worker threads for blocking work (backend calls), so gRPC's
// own threads never block.
//
// Contract: Schedule() is thread-safe and never blocks. After Stop() (or the
// destructor) no task is started; tasks already running finish first. A task
// scheduled after Stop() is dropped and Schedule() returns false.
#ifndef CVM_PROVISIONER_COMMON_THREAD_POOL_H_
#define CVM_PROVISIONER_COMMON_THREAD_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cvm {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `task`; false (and `task` dropped) once stopping.
  bool Schedule(std::function<void()> task);

  // Waits until no task is queued or running, or `timeout` passes; true when
  // idle.
  bool WaitIdle(absl::Duration timeout);

  // Stops taking tasks, finishes the queued ones, joins the threads.
  void Stop();

 private:
  void Work();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_COMMON_THREAD_POOL_H_
