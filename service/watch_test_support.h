// For tests: a real in-process gRPC server that serves only Watch, with the
// production WatchHub and WatchReactor on a MemoryOrderStore whose changes
// feed the hub, and a client stub on it.
//
// The caller's tenant is the "tenant" request header ("" without one). Not
// thread-safe to construct or destroy; the store, hub and stub are as
// thread-safe as their own contracts say. The destructor closes the hub
// (open streams end UNAVAILABLE) and shuts the server down.
#ifndef CVM_PROVISIONER_SERVICE_WATCH_TEST_SUPPORT_H_
#define CVM_PROVISIONER_SERVICE_WATCH_TEST_SUPPORT_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/clock.h"
#include "grpcpp/grpcpp.h"
#include "provisioning/v1/provisioning.grpc.pb.h"
#include "service/metrics.h"
#include "service/watch_hub.h"
#include "store/memory_order_store.h"

namespace cvm {

class WatchTestServer {
 public:
  struct Options {
    size_t max_buffered = 1024;
    absl::Duration progress_interval = absl::ZeroDuration();
    size_t max_events = 100000;  // the store's event log
  };
  // `clock` (the store's and the hub's) must outlive the server.
  WatchTestServer(const Options& options, Clock* clock);
  ~WatchTestServer();

  MemoryOrderStore& store() { return *store_; }
  WatchHub& hub() { return *hub_; }
  provisioning::v1::Provisioning::Stub& stub() { return *stub_; }
  // The Watch method's series, counted by the reactors.
  const ServiceMetrics::PerMethod& metrics() const;

  static constexpr char kWatchMethod[] = "/provisioning.v1.Provisioning/Watch";

 private:
  class Service;
  std::unique_ptr<MemoryOrderStore> store_;
  std::unique_ptr<WatchHub> hub_;
  std::unique_ptr<ServiceMetrics> metrics_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<provisioning::v1::Provisioning::Stub> stub_;
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_WATCH_TEST_SUPPORT_H_
