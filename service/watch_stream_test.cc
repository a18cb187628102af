// WatchStream (on the WatchEndpoint) on a real in-process gRPC server: ordering, resume, progress
// on idle streams, the bounded buffer and drain.
#include "service/watch_stream.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "provisioning/v1/provisioning.grpc.pb.h"
#include "service/metrics.h"
#include "service/watch_test_support.h"
#include "store/memory_order_store.h"

namespace cvm {
namespace {

using provisioning::v1::Provisioning;
using provisioning::v1::WatchEvent;
using provisioning::v1::WatchRequest;

using Stream = WatchTestReader;

std::vector<std::string> Summary(const std::vector<WatchEvent>& events) {
  std::vector<std::string> out;
  for (const WatchEvent& e : events) {
    out.push_back(WatchEvent::Type_Name(e.type()) + " " + std::to_string(e.revision()));
  }
  return out;
}

class WatchStreamTest : public ::testing::Test {
 protected:
  void StartServer(size_t max_buffered, absl::Duration progress_interval) {
    WatchTestServer::Options options;
    options.max_buffered = max_buffered;
    options.progress_interval = progress_interval;
    server_ = std::make_unique<WatchTestServer>(options, &clock_);
    store_ = &server_->store();
    hub_ = &server_->hub();
    stub_ = &server_->stub();
  }

  // A new order (one revision) whose name is `payload_bytes` long.
  std::string Create(const std::string& request_id, size_t payload_bytes = 8) {
    Order order;
    order.set_request_id(request_id);
    order.set_state(Order::ACCEPTED);
    order.mutable_spec()->set_instance_name(std::string(payload_bytes, 'x'));
    return store_->CreateOrder(order).value().order.order_id();
  }
  // One more revision of `order_id`.
  void Touch(const std::string& order_id) {
    ASSERT_TRUE(store_
                    ->UpdateOrder(order_id,
                                 [](Order& order) {
                                   order.set_instance_count(order.instance_count() + 1);
                                   return absl::OkStatus();
                                 })
                    .ok());
  }

  FakeClock clock_;
  std::unique_ptr<WatchTestServer> server_;
  MemoryOrderStore* store_ = nullptr;
  WatchHub* hub_ = nullptr;
  Provisioning::Stub* stub_ = nullptr;
};

TEST_F(WatchStreamTest, ProgressOnlyAfterTheStreamWasIdleForTheInterval) {
  // Idleness is measured on the fake clock; ticks come every 50 ms.
  StartServer(/*max_buffered=*/64, absl::Milliseconds(200));
  Create("a");
  Stream stream(stub_, WatchRequest());
  ASSERT_EQ(stream.Await(1).size(), 1u);
  Create("b");
  ASSERT_EQ(stream.Await(2).size(), 2u);
  absl::SleepFor(absl::Milliseconds(300));  // ticks, but not idle long enough
  EXPECT_EQ(stream.events().size(), 2u);

  clock_.Advance(absl::Milliseconds(200));
  ASSERT_EQ(stream.Await(3).size(), 3u);
  absl::SleepFor(absl::Milliseconds(300));  // one PROGRESS per idle interval
  EXPECT_EQ(stream.events().size(), 3u);
  clock_.Advance(absl::Milliseconds(200));
  ASSERT_EQ(stream.Await(4).size(), 4u);
  Create("c");
  EXPECT_EQ(Summary(stream.Await(5)),
            (std::vector<std::string>{"SNAPSHOT 1", "CHANGE 2", "PROGRESS 2", "PROGRESS 2",
                                      "CHANGE 3"}));
  EXPECT_EQ(stream.events()[2].orders_size(), 0);
}

TEST_F(WatchStreamTest, OneOrderProgressCoversOtherOrdersAndIsSafeToResumeFrom) {
  StartServer(/*max_buffered=*/64, absl::Milliseconds(200));
  const std::string a = Create("a");
  WatchRequest request;
  request.set_order_id(a);
  int64_t progress = 0;
  {
    Stream stream(stub_, request);
    ASSERT_EQ(stream.Await(1).size(), 1u);
    const std::string b = Create("b");  // revision 2
    Touch(b);                            // 3
    Touch(b);                            // 4
    hub_->Flush();
    clock_.Advance(absl::Milliseconds(200));
    std::vector<WatchEvent> events = stream.Await(2);
    EXPECT_EQ(Summary(events), (std::vector<std::string>{"SNAPSHOT 1", "PROGRESS 4"}));
    progress = events.back().revision();
  }
  // Nothing of order a happened up to the progress revision: a resume from
  // it replays nothing and continues with the next change of a.
  request.set_start_revision(progress);
  Stream resumed(stub_, request);
  Touch(a);  // 5
  EXPECT_EQ(Summary(resumed.Await(1)), (std::vector<std::string>{"CHANGE 5"}));
}

TEST_F(WatchStreamTest, NoProgressWhenDisabled) {
  StartServer(/*max_buffered=*/64, absl::ZeroDuration());
  Stream stream(stub_, WatchRequest());
  ASSERT_EQ(stream.Await(1).size(), 1u);
  clock_.Advance(absl::Hours(1));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(stream.events().size(), 1u);
}

TEST_F(WatchStreamTest, ResumeReplaysExactlyTheMissedChangesThenGoesLive) {
  StartServer(/*max_buffered=*/64, absl::ZeroDuration());
  Create("a");
  Create("b");
  Create("c");
  WatchRequest request;
  request.set_start_revision(1);
  Stream stream(stub_, request);
  ASSERT_EQ(stream.Await(2).size(), 2u);
  Create("d");
  EXPECT_EQ(Summary(stream.Await(3)),
            (std::vector<std::string>{"CHANGE 2", "CHANGE 3", "CHANGE 4"}));
}

TEST_F(WatchStreamTest, ASlowClientIsCutOffWhileTheOthersGetEverything) {
  StartServer(/*max_buffered=*/8, absl::ZeroDuration());
  Stream fast(stub_, WatchRequest());
  Stream slow(stub_, WatchRequest());
  ASSERT_EQ(fast.Await(1).size(), 1u);
  ASSERT_EQ(slow.Await(1).size(), 1u);
  slow.Pause();
  // 200 changes of 128 KB, each read by the fast client before the next:
  // far more than the transport buffers for a client that does not read,
  // plus 8 queued.
  constexpr int kChanges = 200;
  for (int i = 0; i < kChanges; ++i) {
    Create("big-" + std::to_string(i), 128 * 1024);
    ASSERT_EQ(fast.Await(i + 2).size(), i + 2u);
  }
  std::vector<WatchEvent> all = fast.events();
  ASSERT_EQ(all.size(), kChanges + 1u);
  for (int i = 1; i <= kChanges; ++i) {
    EXPECT_EQ(all[i].type(), WatchEvent::CHANGE);
    EXPECT_EQ(all[i].revision(), i);
  }
  slow.Resume();
  grpc::Status status = slow.AwaitEnd();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  std::vector<WatchEvent> partial = slow.events();
  EXPECT_LT(partial.size(), kChanges + 1u);
  for (size_t i = 1; i < partial.size(); ++i) {  // no gap, no duplicate
    EXPECT_EQ(partial[i].revision(), static_cast<int64_t>(i));
  }
  // The status names the last revision sent, which the client has. Resuming
  // from it, far more than 8 / 2 changes behind, starts with the current
  // state, then goes live.
  const int64_t last = partial.back().revision();
  EXPECT_NE(status.error_message().find(absl::StrCat("resume from revision ", last, " ")),
            std::string::npos)
      << status.error_message();
  WatchRequest resume;
  resume.set_start_revision(last);
  Stream resumed(stub_, resume);
  ASSERT_EQ(resumed.Await(1).size(), 1u);
  EXPECT_EQ(resumed.events()[0].type(), WatchEvent::SNAPSHOT);
  EXPECT_EQ(resumed.events()[0].revision(), kChanges);
  EXPECT_EQ(resumed.events()[0].orders_size(), kChanges);
  Create("after");
  EXPECT_EQ(Summary(resumed.Await(2)).back(), "CHANGE " + std::to_string(kChanges + 1));
  // A resume within 8 / 2 changes replays them.
  WatchRequest near;
  near.set_start_revision(kChanges - 2);
  Stream replayed(stub_, near);
  EXPECT_EQ(Summary(replayed.Await(3)),
            (std::vector<std::string>{"CHANGE " + std::to_string(kChanges - 1),
                                      "CHANGE " + std::to_string(kChanges),
                                      "CHANGE " + std::to_string(kChanges + 1)}));
}

TEST_F(WatchStreamTest, ABatchingStreamGetsChangesQueuedBehindAWriteInOneMessage) {
  StartServer(/*max_buffered=*/64, absl::ZeroDuration());
  WatchRequest batching;
  batching.set_batch_changes(true);
  Stream batched(stub_, batching);
  Stream single(stub_, WatchRequest());
  ASSERT_EQ(batched.Await(1).size(), 1u);
  ASSERT_EQ(single.Await(1).size(), 1u);
  batched.Pause();
  // 40 changes of 256 KB (10 MB): more than the transport buffers for a
  // client that does not read, so later ones queue behind a write.
  constexpr int kChanges = 40;
  constexpr size_t kBytes = 256 * 1024;
  for (int i = 0; i < kChanges; ++i) Create("big-" + std::to_string(i), kBytes);
  hub_->Flush();
  batched.Resume();
  // Every change once, in order, as (revision, order) pairs.
  auto flatten = [](const std::vector<WatchEvent>& events) {
    std::vector<std::pair<int64_t, std::string>> changes;
    for (const WatchEvent& event : events) {
      if (event.type() != WatchEvent::CHANGE) continue;
      EXPECT_EQ(event.revisions_size(), event.orders_size());
      EXPECT_EQ(event.revision(), event.revisions(event.revisions_size() - 1));
      for (int i = 0; i < event.orders_size(); ++i) {
        changes.emplace_back(event.revisions(i), event.orders(i).request_id());
      }
    }
    return changes;
  };
  std::vector<std::pair<int64_t, std::string>> expected;
  for (int i = 0; i < kChanges; ++i) expected.emplace_back(i + 1, "big-" + std::to_string(i));
  std::vector<WatchEvent> events;
  for (int tries = 0; tries < 100 && flatten(events).size() < kChanges; ++tries) {
    events = batched.Await(events.size() + 1);
  }
  EXPECT_EQ(flatten(events), expected);
  EXPECT_LT(events.size(), kChanges + 1u);  // fewer messages than changes
  size_t largest = 0;
  for (const WatchEvent& event : events) largest = std::max<size_t>(largest, event.orders_size());
  EXPECT_GT(largest, 1u);
  EXPECT_LE(largest * kBytes, WatchStream::kMaxCoalescedBytes + kBytes);
  // A stream that did not ask gets one order per CHANGE.
  const std::vector<WatchEvent> plain = single.Await(kChanges + 1);
  EXPECT_EQ(flatten(plain), expected);
  EXPECT_EQ(plain.size(), kChanges + 1u);
  std::printf("40 changes of 256 KB to a paused batching stream: %zu messages, at most %zu "
              "changes in one\n",
              events.size() - 1, largest);
}

TEST_F(WatchStreamTest, TheHandlerCountsTheWatchSeriesWithoutAnInterceptor) {
  StartServer(/*max_buffered=*/64, absl::ZeroDuration());
  const ServiceMetrics::PerMethod* watch = &server_->metrics();
  {
    Stream stream(stub_, WatchRequest());
    ASSERT_EQ(stream.Await(1).size(), 1u);
    Create("a");
    Create("b");
    ASSERT_EQ(stream.Await(3).size(), 3u);
    EXPECT_EQ(watch->started->Value(), 1);
    EXPECT_EQ(watch->received->Value(), 1);
    EXPECT_EQ(watch->sent->Value(), 3);  // the snapshot and two changes
  }  // cancelled
  WatchRequest invalid;
  invalid.set_start_revision(-1);
  Stream refused(stub_, invalid);
  EXPECT_EQ(refused.AwaitEnd().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  for (int i = 0; i < 100 && watch->handled[grpc::StatusCode::CANCELLED]->Value() == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(watch->started->Value(), 2);
  EXPECT_EQ(watch->handled[grpc::StatusCode::CANCELLED]->Value(), 1);
  EXPECT_EQ(watch->handled[grpc::StatusCode::INVALID_ARGUMENT]->Value(), 1);
  EXPECT_EQ(watch->seconds->Collect().histogram.sample_count, 2u);
}

TEST_F(WatchStreamTest, HubCloseEndsStreamsWithItsStatusAndRefusesNewOnes) {
  StartServer(/*max_buffered=*/64, absl::ZeroDuration());
  Stream open(stub_, WatchRequest());
  ASSERT_EQ(open.Await(1).size(), 1u);
  hub_->Close(absl::UnavailableError("draining"));
  EXPECT_EQ(open.AwaitEnd().error_code(), grpc::StatusCode::UNAVAILABLE);
  Stream late(stub_, WatchRequest());
  EXPECT_EQ(late.AwaitEnd().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(WatchStreamTest, AccountEventsReachOnlyAllOrdersStreamsOfTheirTenants) {
  StartServer(/*max_buffered=*/64, absl::ZeroDuration());
  const std::string a = Create("a");  // revision 1, tenant ""
  WatchRequest one;
  one.set_order_id(a);
  Stream all(stub_, WatchRequest());
  Stream single(stub_, one);
  Stream other(stub_, WatchRequest(), "team-b");
  ASSERT_EQ(all.Await(1).size(), 1u);
  ASSERT_EQ(single.Await(1).size(), 1u);
  ASSERT_EQ(other.Await(1).size(), 1u);
  provisioning::v1::AccountForecast forecast;
  forecast.set_backend("tencent");
  forecast.set_state(provisioning::v1::AccountForecast::WARNING);
  hub_->PublishAccount(forecast, {""});  // the unnamed tenant's account only
  Touch(a);                              // revision 2
  forecast.set_state(provisioning::v1::AccountForecast::CLEARED);
  hub_->PublishAccount(forecast, {});  // every tenant's
  EXPECT_EQ(Summary(all.Await(4)),
            (std::vector<std::string>{"SNAPSHOT 1", "ACCOUNT 1", "CHANGE 2", "ACCOUNT 2"}));
  const std::vector<WatchEvent> events = all.events();
  EXPECT_EQ(events[1].account().state(), provisioning::v1::AccountForecast::WARNING);
  EXPECT_EQ(events[1].account().backend(), "tencent");
  EXPECT_EQ(events[1].orders_size(), 0);
  EXPECT_EQ(events[3].account().state(), provisioning::v1::AccountForecast::CLEARED);
  EXPECT_EQ(Summary(other.Await(2)), (std::vector<std::string>{"SNAPSHOT 1", "ACCOUNT 2"}));
  // The one-order stream gets its order's change and nothing else.
  Touch(a);  // revision 3
  EXPECT_EQ(Summary(single.Await(3)),
            (std::vector<std::string>{"SNAPSHOT 1", "CHANGE 2", "CHANGE 3"}));
}

TEST_F(WatchStreamTest, ANewAllOrdersStreamStartsWithTheWarningsStillStanding) {
  StartServer(/*max_buffered=*/64, absl::ZeroDuration());
  const std::string a = Create("a");  // revision 1
  provisioning::v1::AccountForecast forecast;
  forecast.set_backend("tencent");
  forecast.set_state(provisioning::v1::AccountForecast::WARNING);
  hub_->PublishAccount(forecast, {});
  Touch(a);  // revision 2
  hub_->Flush();
  Stream warned(stub_, WatchRequest());
  WatchRequest resume;
  resume.set_start_revision(1);
  Stream resumed(stub_, resume);
  WatchRequest one;
  one.set_order_id(a);
  Stream single(stub_, one);
  EXPECT_EQ(Summary(warned.Await(2)), (std::vector<std::string>{"SNAPSHOT 2", "ACCOUNT 2"}));
  EXPECT_EQ(warned.events()[1].account().state(), provisioning::v1::AccountForecast::WARNING);
  EXPECT_EQ(Summary(resumed.Await(2)), (std::vector<std::string>{"CHANGE 2", "ACCOUNT 2"}));
  forecast.set_state(provisioning::v1::AccountForecast::CLEARED);
  hub_->PublishAccount(forecast, {});
  hub_->Flush();
  Stream cleared(stub_, WatchRequest());
  ASSERT_EQ(cleared.Await(1).size(), 1u);
  ASSERT_EQ(single.Await(1).size(), 1u);
  Touch(a);  // revision 3
  EXPECT_EQ(Summary(cleared.Await(2)), (std::vector<std::string>{"SNAPSHOT 2", "CHANGE 3"}));
  EXPECT_EQ(Summary(warned.Await(4)),
            (std::vector<std::string>{"SNAPSHOT 2", "ACCOUNT 2", "ACCOUNT 2", "CHANGE 3"}));
  EXPECT_EQ(Summary(single.Await(2)), (std::vector<std::string>{"SNAPSHOT 2", "CHANGE 3"}));
}

TEST_F(WatchStreamTest, InvalidRequestsAreRejected) {
  StartServer(/*max_buffered=*/64, absl::ZeroDuration());
  WatchRequest negative;
  negative.set_start_revision(-1);
  Stream stream(stub_, negative);
  EXPECT_EQ(stream.AwaitEnd().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  WatchRequest unknown;
  unknown.set_order_id("ord-nope");
  Stream missing(stub_, unknown);
  EXPECT_EQ(missing.AwaitEnd().error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace cvm
