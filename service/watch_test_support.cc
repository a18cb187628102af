#include "service/watch_test_support.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/watch_endpoint.h"

namespace cvm {

using provisioning::v1::Provisioning;

class WatchTestServer::Service : public Provisioning::WithRawMethod_Watch<Provisioning::Service> {
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
  service_ = std::make_unique<Service>();
  WatchEndpoint::Options watch;
  watch.request = [service = service_.get()](grpc::ServerContext* context,
                                             grpc::ByteBuffer* request,
                                             grpc::ServerAsyncWriter<grpc::ByteBuffer>* writer,
                                             grpc::ServerCompletionQueue* queue, void* tag) {
    service->RequestWatch(context, request, writer, queue, queue, tag);
  };
  watch.tenant_of = options.tenant_of;
  if (!watch.tenant_of) {
    watch.tenant_of = [](const grpc::ServerContextBase& context) -> absl::StatusOr<std::string> {
      auto tenant = context.client_metadata().find("tenant");
      if (tenant == context.client_metadata().end()) return std::string();
      return std::string(tenant->second.data(), tenant->second.size());
    };
  }
  watch.streams = {store_.get(), hub_.get(), options.max_buffered, metrics_->Find(kWatchMethod)};
  watch.completion_queues = options.completion_queues;
  watch_ = std::make_unique<WatchEndpoint>(std::move(watch));
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service_.get());
  watch_->AddTo(builder);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) {
    std::fprintf(stderr, "WatchTestServer: cannot serve on 127.0.0.1\n");
    std::abort();
  }
  watch_->Start();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);  // snapshots of many large orders
  target_ = absl::StrCat("127.0.0.1:", port);
  stub_ = Provisioning::NewStub(
      grpc::CreateCustomChannel(target_, grpc::InsecureChannelCredentials(), args));
}

std::unique_ptr<Provisioning::Stub> WatchTestServer::NewConnection(int index) const {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("cvm.test.connection", index);  // distinct args: a connection of its own
  return Provisioning::NewStub(
      grpc::CreateCustomChannel(target_, grpc::InsecureChannelCredentials(), args));
}

void WatchTestServer::StopServing(absl::Duration grace) {
  if (!serving_) return;
  serving_ = false;
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  watch_->Stop();
}

WatchTestServer::~WatchTestServer() {
  hub_->Close(absl::UnavailableError("test over"));
  StopServing(absl::Seconds(5));
  server_.reset();
  store_->SetListener(nullptr);
}

const ServiceMetrics::PerMethod& WatchTestServer::metrics() const {
  return *metrics_->Find(kWatchMethod);
}

WatchTestReader::WatchTestReader(Provisioning::Stub* stub,
                                 const provisioning::v1::WatchRequest& request,
                                 const std::string& tenant) {
  if (!tenant.empty()) context_.AddMetadata("tenant", tenant);
  reader_ = stub->Watch(&context_, request);
  thread_ = std::thread([this] {
    provisioning::v1::WatchEvent event;
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        auto go = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !paused_; };
        mu_.Await(absl::Condition(&go));
      }
      if (!reader_->Read(&event)) break;
      absl::MutexLock lock(&mu_);
      events_.push_back(event);
    }
    grpc::Status status = reader_->Finish();
    absl::MutexLock lock(&mu_);
    status_ = status;
    done_ = true;
  });
}

WatchTestReader::~WatchTestReader() {
  context_.TryCancel();
  Resume();
  thread_.join();
}

void WatchTestReader::Pause() {
  absl::MutexLock lock(&mu_);
  paused_ = true;
}

void WatchTestReader::Resume() {
  absl::MutexLock lock(&mu_);
  paused_ = false;
}

std::vector<provisioning::v1::WatchEvent> WatchTestReader::Await(size_t n) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return events_.size() >= n || done_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(20));
  return events_;
}

std::vector<provisioning::v1::WatchEvent> WatchTestReader::events() {
  absl::MutexLock lock(&mu_);
  return events_;
}

grpc::Status WatchTestReader::AwaitEnd() {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_; };
  if (!mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(20))) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "stream still open");
  }
  return status_;
}

}  // namespace cvm
