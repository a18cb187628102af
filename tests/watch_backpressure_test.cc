// A Watch client that stops reading while 100,000 changes flow: the server's
// memory stays bounded (the stream is cut off once --max_watch_buffer events
// queue up, and its queue is dropped), the other streams get every change,
// and the stuck client, once it reads again, gets what was already sent, a
// status naming the revision to resume from, and, resuming from it, a fresh
// SNAPSHOT and then live changes. A control run without the bound shows the
// memory the stuck client would hold otherwise.
//
// The production WatchHub, WatchEndpoint and WatchStream serve a real gRPC server in this
// process (service/watch_test_support.h); the healthy client is the C++
// client with batch_changes, and checks the coalesced events: every revision
// once, in order.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "service/watch_test_support.h"
#include "tests/server_process.h"

namespace cvm {
namespace {

using provisioning::v1::WatchEvent;
using provisioning::v1::WatchRequest;

constexpr int kOrders = 1000;
constexpr int kChanges = 100000;

// Reads every change of an all-orders batching stream on its own thread.
class Reader {
 public:
  explicit Reader(provisioning::v1::Provisioning::Stub& stub) {
    WatchRequest request;
    request.set_batch_changes(true);
    stream_ = stub.Watch(&context_, request);
    thread_ = std::thread([this] {
      WatchEvent event;
      while (stream_->Read(&event)) {
        if (event.type() == WatchEvent::SNAPSHOT) last_ = event.revision();
        if (event.type() != WatchEvent::CHANGE) continue;
        ++messages_;
        largest_ = std::max(largest_.load(), event.orders_size());
        if (event.revisions_size() != event.orders_size()) ++errors_;
        for (int64_t revision : event.revisions()) {
          if (revision != last_ + 1) ++errors_;  // a gap or a repeat
          last_ = revision;
          ++changes_;
        }
      }
      done_ = true;
    });
  }
  ~Reader() {
    context_.TryCancel();
    thread_.join();
    stream_->Finish().IgnoreError();
  }
  int64_t last() const { return last_; }
  bool done() const { return done_; }
  // The SNAPSHOT's revision once it arrived (0 before; 10 s at most).
  int64_t AwaitSnapshot() const {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (last_ == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
    return last_;
  }
  std::atomic<int64_t> changes_{0}, messages_{0}, errors_{0};
  std::atomic<int> largest_{0};

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<WatchEvent>> stream_;
  std::atomic<int64_t> last_{0};
  std::atomic<bool> done_{false};  // the stream ended
  std::thread thread_;
};

struct Flow {
  int64_t rss_growth_kb = 0;  // peak during the flow - before it
  int64_t last_revision = 0;
};

// Makes kChanges changes of ~1 KB orders, pacing them so that `reader`
// stays within 2 x kSlack changes (well inside the 1024 a stream may queue,
// however slow the machine); samples this process's RSS.
constexpr int64_t kSlack = 256;
Flow Produce(MemoryOrderStore& store, const std::vector<std::string>& ids, Reader& reader) {
  Flow flow;
  const int64_t before = testing::RssKb(getpid());
  int64_t peak = before;
  for (int i = 0; i < kChanges; ++i) {
    auto updated = store.UpdateOrder(ids[i % ids.size()], [](Order& order) {
      order.set_instance_count(order.instance_count() % 100 + 1);
      return absl::OkStatus();
    });
    EXPECT_TRUE(updated.ok());
    flow.last_revision = updated->revision();
    if (i % kSlack == kSlack - 1) {
      const absl::Time deadline = absl::Now() + absl::Seconds(30);
      while (reader.last() < flow.last_revision - kSlack && !reader.done() &&
             absl::Now() < deadline) {
        absl::SleepFor(absl::Microseconds(200));
      }
      if (reader.last() < flow.last_revision - kSlack) {
        ADD_FAILURE() << "the reading client stopped at revision " << reader.last() << " of "
                      << flow.last_revision << (reader.done() ? " (its stream ended)" : "");
        break;
      }
      if (i % 4096 == 4095) peak = std::max(peak, testing::RssKb(getpid()));
    }
  }
  flow.rss_growth_kb = std::max(peak, testing::RssKb(getpid())) - before;
  return flow;
}

std::vector<std::string> CreateOrders(MemoryOrderStore& store) {
  std::vector<std::string> ids;
  for (int i = 0; i < kOrders; ++i) {
    Order order;
    order.set_request_id(absl::StrCat("order-", i));
    order.set_state(Order::ACTIVE);
    order.mutable_spec()->set_instance_name(std::string(1000, 'x'));
    ids.push_back(store.CreateOrder(order).value().order.order_id());
  }
  return ids;
}

// A server holding kOrders orders (its stream buffers bounded at
// `max_buffered`) and a client stuck after reading its SNAPSHOT (`first`).
struct StuckClient {
  explicit StuckClient(size_t max_buffered)
      : server(Options(max_buffered), RealClock::Get()), ids(CreateOrders(server.store())) {
    stream = server.stub().Watch(&context, WatchRequest());
    read_snapshot = stream->Read(&first) && first.type() == WatchEvent::SNAPSHOT;
  }
  static WatchTestServer::Options Options(size_t max_buffered) {
    WatchTestServer::Options options;
    options.max_buffered = max_buffered;
    options.max_events = 2048;
    return options;
  }

  WatchTestServer server;
  const std::vector<std::string> ids;
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<WatchEvent>> stream;
  WatchEvent first;
  bool read_snapshot = false;
};

TEST(WatchBackpressureTest, AStuckClientKeepsMemoryBoundedAndComesBackWithASnapshot) {
  // Control: a bound the stuck client never reaches.
  int64_t unbounded_growth_kb = 0;
  {
    StuckClient control(10 * kChanges);
    ASSERT_TRUE(control.read_snapshot);
    Reader healthy(control.server.stub());
    ASSERT_GT(healthy.AwaitSnapshot(), 0);
    unbounded_growth_kb = Produce(control.server.store(), control.ids, healthy).rss_growth_kb;
    control.context.TryCancel();
  }

  StuckClient bounded(1024);  // as the server's default
  ASSERT_TRUE(bounded.read_snapshot);
  WatchTestServer& server = bounded.server;
  const std::vector<std::string>& ids = bounded.ids;
  auto& stuck = bounded.stream;
  WatchEvent event = bounded.first;
  Reader healthy(server.stub());
  const int64_t snapshot = healthy.AwaitSnapshot();
  ASSERT_EQ(snapshot, kOrders);  // nothing changed since the orders were made
  const Flow flow = Produce(server.store(), ids, healthy);

  // The healthy client got every change once, in order, coalesced.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (healthy.last() < flow.last_revision && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  const int64_t healthy_changes = healthy.changes_.load();
  const int64_t healthy_messages = healthy.messages_.load();
  EXPECT_EQ(healthy_changes, kChanges);
  EXPECT_EQ(healthy.errors_.load(), 0);
  EXPECT_LT(healthy_messages, kChanges);

  // 100,000 changes of ~1 KB: a stream holding them would grow by ~100 MB,
  // as the control did.
  EXPECT_LT(flow.rss_growth_kb, 48 * 1024);
  EXPECT_GT(unbounded_growth_kb, 2 * std::max<int64_t>(flow.rss_growth_kb, 1024));

  // The stuck client reads again: what was sent (what the transport's
  // windows held), then the status.
  int64_t last = event.revision();
  int received = 0;
  while (stuck->Read(&event)) {
    EXPECT_EQ(event.revision(), last + 1);
    last = event.revision();
    ++received;
  }
  const grpc::Status status = stuck->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(status.error_message().find(absl::StrCat("resume from revision ", last, " ")),
            std::string::npos)
      << status.error_message();

  // Resuming from there, far behind: the current state, then live changes.
  grpc::ClientContext again;
  WatchRequest resume;
  resume.set_start_revision(last);
  auto resumed = server.stub().Watch(&again, resume);
  ASSERT_TRUE(resumed->Read(&event));
  EXPECT_EQ(event.type(), WatchEvent::SNAPSHOT);
  EXPECT_EQ(event.revision(), flow.last_revision);
  EXPECT_EQ(event.orders_size(), kOrders);
  ASSERT_TRUE(server.store()
                  .UpdateOrder(ids[0],
                               [](Order& order) {
                                 order.set_instance_count(1);
                                 return absl::OkStatus();
                               })
                  .ok());
  ASSERT_TRUE(resumed->Read(&event));
  EXPECT_EQ(event.type(), WatchEvent::CHANGE);
  EXPECT_EQ(event.revision(), flow.last_revision + 1);
  again.TryCancel();
  std::printf("stuck client, %d changes of ~1 KB: server RSS +%.1f MB (without the bound +%.1f "
              "MB); it read %d more events, then %s; resumed from revision %lld with a SNAPSHOT "
              "at %lld. Healthy batching client: %lld changes in %lld messages (at most %d in "
              "one), %lld gaps or repeats\n",
              kChanges, flow.rss_growth_kb / 1024.0, unbounded_growth_kb / 1024.0, received,
              status.error_message().c_str(), static_cast<long long>(last),
              static_cast<long long>(flow.last_revision),
              static_cast<long long>(healthy_changes), static_cast<long long>(healthy_messages),
              healthy.largest_.load(),
              static_cast<long long>(healthy.errors_.load()));
}

}  // namespace
}  // namespace cvm
