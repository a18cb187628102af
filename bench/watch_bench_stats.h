// The figures of one side of bench/watch_bench, per round and summed over
// rounds: delays of single changes and bursts, deliveries, messages, server
// CPU and RSS. Plain data; not thread-safe.
#ifndef CVM_PROVISIONER_BENCH_WATCH_BENCH_STATS_H_
#define CVM_PROVISIONER_BENCH_WATCH_BENCH_STATS_H_

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace cvm::bench {

struct Round {
  int streams = 0;
  int64_t rss_before_kb = 0, rss_after_kb = 0;
  int64_t changes = 0, deliveries = 0, messages = 0, order_errors = 0;
  double server_cpu_seconds = 0;  // while the changes fan out
  int64_t order_bytes = 0;        // encoded orders of all changes, summed
  std::vector<int32_t> single_us, burst_us;
  // Per single change, its delay to the first stream it reached: what comes
  // before the fan-out (commit, publication, serialization).
  std::vector<int32_t> single_first_us;
  bool complete = false;  // every stream held, deliveries == streams x changes, in order
  double kb_per_stream() const {
    return static_cast<double>(rss_after_kb - rss_before_kb) / streams;
  }
  double cpu_us_per_delivery() const {
    return deliveries == 0 ? 0.0 : server_cpu_seconds * 1e6 / deliveries;
  }
  // Sums `round` into this total (RSS as growth, delays pooled).
  void Add(const Round& round) {
    streams += round.streams;
    rss_after_kb += round.rss_after_kb - round.rss_before_kb;
    deliveries += round.deliveries;
    messages += round.messages;
    server_cpu_seconds += round.server_cpu_seconds;
    single_us.insert(single_us.end(), round.single_us.begin(), round.single_us.end());
    burst_us.insert(burst_us.end(), round.burst_us.begin(), round.burst_us.end());
    single_first_us.insert(single_first_us.end(), round.single_first_us.begin(),
                           round.single_first_us.end());
  }
};

// The q-quantile (0..1) of `delays_us`, in milliseconds; 0 when empty.
inline double Percentile(std::vector<int32_t> delays_us, double q) {
  if (delays_us.empty()) return 0;
  std::sort(delays_us.begin(), delays_us.end());
  const size_t i = std::min(delays_us.size() - 1, static_cast<size_t>(q * delays_us.size()));
  return delays_us[i] / 1000.0;
}

// One table row of `r`.
inline void PrintRound(const char* name, int index, const Round& r) {
  std::printf("%-8s %5d %7d %9.1f %8lld %7lld %11lld %9lld %9.1f %9.1f %9.1f %9.1f %9.2f %7s\n",
              name, index, r.streams, r.kb_per_stream(), static_cast<long long>(r.changes),
              static_cast<long long>(r.changes == 0 ? 0 : r.order_bytes / r.changes),
              static_cast<long long>(r.deliveries), static_cast<long long>(r.messages),
              Percentile(r.single_us, 0.5), Percentile(r.single_us, 0.99),
              Percentile(r.burst_us, 0.5), Percentile(r.burst_us, 0.99),
              r.cpu_us_per_delivery(), r.complete ? "yes" : "NO");
}

}  // namespace cvm::bench

#endif  // CVM_PROVISIONER_BENCH_WATCH_BENCH_STATS_H_
