// For tests: a real in-process gRPC server that serves only Watch, with the
// production WatchHub, WatchEndpoint and WatchStream on a MemoryOrderStore whose changes
// feed the hub, and a client stub on it.
//
// The caller's tenant is the "tenant" request header ("" without one),
// unless Options::tenant_of says otherwise. Not
// thread-safe to construct or destroy; the store, hub and stub are as
// thread-safe as their own contracts say. The destructor closes the hub
// (open streams end UNAVAILABLE) and shuts the server down.
#ifndef CVM_PROVISIONER_SERVICE_WATCH_TEST_SUPPORT_H_
#define CVM_PROVISIONER_SERVICE_WATCH_TEST_SUPPORT_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "grpcpp/grpcpp.h"
#include "provisioning/v1/provisioning.grpc.pb.h"
#include "service/metrics.h"
#include "service/watch_endpoint.h"
#include "service/watch_hub.h"
#include "store/memory_order_store.h"

namespace cvm {

class WatchTestServer {
 public:
  struct Options {
    size_t max_buffered = 1024;
    absl::Duration progress_interval = absl::ZeroDuration();
    size_t max_events = 100000;  // the store's event log
    int completion_queues = 2;   // the endpoint's
    // The caller's tenant; unset: the "tenant" request header.
    WatchEndpoint::TenantFn tenant_of;
  };
  // `clock` (the store's and the hub's) must outlive the server.
  WatchTestServer(const Options& options, Clock* clock);
  ~WatchTestServer();

  // Shuts the gRPC server down (calls still open after `grace` are
  // cancelled) and stops the Watch endpoint, without closing the hub.
  void StopServing(absl::Duration grace);

  MemoryOrderStore& store() { return *store_; }
  WatchHub& hub() { return *hub_; }
  provisioning::v1::Provisioning::Stub& stub() { return *stub_; }
  // A stub on a connection of its own (`index` tells connections apart).
  std::unique_ptr<provisioning::v1::Provisioning::Stub> NewConnection(int index) const;
  WatchEndpoint& endpoint() { return *watch_; }
  // The Watch method's series, counted by the streams.
  const ServiceMetrics::PerMethod& metrics() const;

  static constexpr char kWatchMethod[] = "/provisioning.v1.Provisioning/Watch";

 private:
  class Service;
  std::unique_ptr<MemoryOrderStore> store_;
  std::unique_ptr<WatchHub> hub_;
  std::unique_ptr<ServiceMetrics> metrics_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<WatchEndpoint> watch_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<provisioning::v1::Provisioning::Stub> stub_;
  bool serving_ = true;
  std::string target_;
};

// Reads one Watch stream on its own thread; tests wait with timeouts (20 s).
class WatchTestReader {
 public:
  // Opens the stream as `tenant` (the "tenant" header; none when empty).
  WatchTestReader(provisioning::v1::Provisioning::Stub* stub,
                  const provisioning::v1::WatchRequest& request, const std::string& tenant = "");
  // Cancels the stream and joins the reader.
  ~WatchTestReader();
  // Stops reading after the event being read now.
  void Pause();
  void Resume();
  // The events once there are at least `n` (fewer once the stream ended or
  // after 20 s).
  std::vector<provisioning::v1::WatchEvent> Await(size_t n);
  std::vector<provisioning::v1::WatchEvent> events();
  // The final status once the stream ended (DEADLINE_EXCEEDED after 20 s).
  grpc::Status AwaitEnd();

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<provisioning::v1::WatchEvent>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<provisioning::v1::WatchEvent> events_ ABSL_GUARDED_BY(mu_);
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_WATCH_TEST_SUPPORT_H_
