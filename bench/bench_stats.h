// What the benchmarks share: latency percentiles, and a load of n calls on
// a number of threads.
#ifndef CVM_PROVISIONER_BENCH_BENCH_STATS_H_
#define CVM_PROVISIONER_BENCH_BENCH_STATS_H_

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cvm {

struct Percentiles {
  double p50_ms, p99_ms, max_ms;
};

inline Percentiles Summarize(std::vector<absl::Duration> samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    return absl::ToDoubleMilliseconds(samples[std::min(
        samples.size() - 1, static_cast<size_t>(q * static_cast<double>(samples.size())))]);
  };
  return {at(0.50), at(0.99), absl::ToDoubleMilliseconds(samples.back())};
}

// Runs `n` calls of `call(i)` on `concurrency` threads; the latencies.
inline std::vector<absl::Duration> Hammer(int n, int concurrency,
                                   const std::function<bool(int)>& call, int* failures) {
  std::vector<absl::Duration> latencies(n);
  std::atomic<int> next{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        const absl::Time start = absl::Now();
        if (!call(i)) ++failed;
        latencies[i] = absl::Now() - start;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  *failures = failed.load();
  return latencies;
}

}  // namespace cvm

#endif  // CVM_PROVISIONER_BENCH_BENCH_STATS_H_
