#include "service/watch_test_support.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "service/watch_reactor.h"

namespace cvm {

using provisioning::v1::Provisioning;

class WatchTestServer::Service
    : public Provisioning::WithRawCallbackMethod_Watch<Provisioning::Service> {
 public:
  explicit Service(const WatchReactor::Deps& deps) : deps_(deps) {}
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Watch(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request) override {
    auto tenant = context->client_metadata().find("tenant");
    return WatchReactor::Start(*request,
                               tenant == context->client_metadata().end()
                                   ? ""
                                   : std::string(tenant->second.data(), tenant->second.size()),
                               deps_);
  }

 private:
  const WatchReactor::Deps deps_;
};

WatchTestServer::WatchTestServer(const Options& options, Clock* clock) {
  store_ = std::make_unique<MemoryOrderStore>(clock, options.max_events);
  WatchHub::Options hub_options;
  hub_options.progress_interval = options.progress_interval;
  hub_options.clock = clock;
  hub_ = std::make_unique<WatchHub>(hub_options);
  store_->SetListener([hub = hub_.get()](const OrderEvent& event) { hub->Publish(event); });
  metrics_ = ServiceMetrics::Create({{kWatchMethod,
                                      grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING,
                                      /*counted_by_handler=*/true}})
                 .value();
  service_ = std::make_unique<Service>(WatchReactor::Deps{
      store_.get(), hub_.get(), options.max_buffered, metrics_->Find(kWatchMethod)});
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) {
    std::fprintf(stderr, "WatchTestServer: cannot serve on 127.0.0.1\n");
    std::abort();
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);  // snapshots of many large orders
  stub_ = Provisioning::NewStub(grpc::CreateCustomChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials(), args));
}

WatchTestServer::~WatchTestServer() {
  hub_->Close(absl::UnavailableError("test over"));
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server_.reset();
  store_->SetListener(nullptr);
}

const ServiceMetrics::PerMethod& WatchTestServer::metrics() const {
  return *metrics_->Find(kWatchMethod);
}

}  // namespace cvm
