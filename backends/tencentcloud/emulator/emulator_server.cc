#include "backends/tencentcloud/emulator/emulator_server.h"

#include <algorithm>
#include <atomic>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "backends/tencentcloud/emulator/emulator_api.h"
#include "common/proto_time.h"
#include "google/protobuf/util/json_util.h"
#include "httplib.h"

namespace cvm::tencentcloud {
namespace {

// The furthest /_emulator/advance moves the clock in one call: 100 years.
constexpr double kMaxAdvanceSeconds = 100 * 365.25 * 86400;

std::string NewRequestId() {
  static std::atomic<uint64_t> counter{0};
  const uint64_t n = counter.fetch_add(1) + 1;
  return absl::StrFormat("emu-%08x-%04x-%04x-%012x", n >> 32, (n >> 16) & 0xffff, n & 0xffff,
                         n * 2654435761u & 0xffffffffffffu);
}

void Reply(httplib::Response& response, Json body) {
  response.status = 200;
  response.set_content(ResponseBody(std::move(body), NewRequestId()), "application/json");
}

// A control endpoint's failure: 400, 404 or 409 with {"Error": message}.
void ReplyError(httplib::Response& response, const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      response.status = 404;
      break;
    case absl::StatusCode::kFailedPrecondition:
      response.status = 409;
      break;
    default:
      response.status = 400;
  }
  response.set_content(Json{{"Error", std::string(status.message())}}.dump(), "application/json");
}

// The control endpoint's JSON body, or an error (400) when it is not an
// object with `fields` of the right kinds ('s' string, 'i' integer, 'a'
// array of strings).
absl::StatusOr<Json> ControlBody(const httplib::Request& request,
                                 const std::vector<std::pair<std::string, char>>& fields) {
  Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  bool ok = !body.is_discarded() && body.is_object();
  std::string wanted;
  for (const auto& [name, kind] : fields) {
    wanted += absl::StrCat(wanted.empty() ? "" : ", ", "\"", name, "\"");
    if (!ok || !body.contains(name)) {
      ok = false;
      continue;
    }
    const Json& value = body[name];
    if (kind == 's') ok = value.is_string();
    if (kind == 'i') ok = value.is_number_integer();
    if (kind == 'a') {
      ok = value.is_array() &&
           std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_string(); });
    }
  }
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("the body needs ", wanted));
  return body;
}

}  // namespace

EmulatorServer::EmulatorServer() : clock_(RealClock::Get()) {}

provisioning::tencentcloud::emulator::v1::Fault EmulatorServer::PickFault(
    const std::string& action) {
  absl::MutexLock lock(&faults_mu_);
  for (const auto& fault : faults_) {
    if (!fault.action().empty() && fault.action() != action) continue;
    if (absl::Bernoulli(random_, fault.probability())) {
      ++injected_[provisioning::tencentcloud::emulator::v1::Fault::Kind_Name(fault.kind())];
      return fault;
    }
  }
  return {};
}

absl::StatusOr<std::unique_ptr<EmulatorServer>> EmulatorServer::Start(const EmulatorConfig& config,
                                                                      const std::string& host,
                                                                      int port) {
  std::unique_ptr<EmulatorServer> server(new EmulatorServer);
  auto emulator = CvmEmulator::Create(config, &server->clock_);
  if (!emulator.ok()) return emulator.status();
  server->emulator_ = *std::move(emulator);
  {
    absl::MutexLock lock(&server->faults_mu_);
    server->faults_.assign(config.faults().begin(), config.faults().end());
  }
  server->http_ = std::make_unique<httplib::Server>();
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle
  // holds the body until the client's delayed ACK (~40 ms per request).
  server->http_->set_tcp_nodelay(true);
  server->Route();
  server->port_ = port == 0 ? server->http_->bind_to_any_port(host)
                            : (server->http_->bind_to_port(host, port) ? port : -1);
  if (server->port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("emulator cannot listen on ", host, ":", port));
  }
  server->thread_ = std::thread([s = server.get()] { s->http_->listen_after_bind(); });
  // stop() is a no-op until the loop runs: wait for it, so that a server
  // destroyed right away still shuts down.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!server->http_->is_running() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  if (!server->http_->is_running()) {
    return absl::UnavailableError("emulator HTTP loop did not start");
  }
  return server;
}

EmulatorServer::~EmulatorServer() {
  if (http_ != nullptr) http_->stop();
  if (thread_.joinable()) thread_.join();
}

void EmulatorServer::Route() {
  http_->Post("/", [this](const httplib::Request& request, httplib::Response& response) {
    SignedRequest signed_request;
    for (const auto& [name, value] : request.headers) {
      signed_request.headers[absl::AsciiStrToLower(name)] = value;
    }
    signed_request.body = request.body;
    std::variant<EmulatorCall, Json> parsed =
        ParseEmulatorCall(*emulator_, signed_request, absl::Now());
    if (Json* error = std::get_if<Json>(&parsed)) return Reply(response, std::move(*error));
    EmulatorCall& call = std::get<EmulatorCall>(parsed);
    using provisioning::tencentcloud::emulator::v1::Fault;
    const Fault fault = PickFault(call.action);
    const absl::Duration delay = DurationOr(fault.delay(), fault.has_delay(), absl::Seconds(2));
    switch (fault.kind()) {
      case Fault::SERVER_ERROR:
        response.status = 503;
        return;
      case Fault::TIMEOUT:
        absl::SleepFor(delay);
        response.status = 504;
        return;
      case Fault::LATENCY:
        absl::SleepFor(delay);
        break;
      default:
        break;
    }
    Json answer =
        emulator_->Handle(call.secret_id, call.service, call.action, call.region, call.params);
    if (fault.kind() == Fault::LOST_RESPONSE) {
      response.status = 502;  // done, but the caller never hears of it
      return;
    }
    Reply(response, std::move(answer));
  });
  http_->Post("/_emulator/faults",
              [this](const httplib::Request& request, httplib::Response& response) {
                provisioning::tencentcloud::emulator::v1::FaultList list;
                if (!google::protobuf::util::JsonStringToMessage(request.body, &list).ok()) {
                  response.status = 400;
                  response.set_content(R"({"Error":"body must be a FaultList in proto JSON"})",
                                       "application/json");
                  return;
                }
                SetFaults({list.faults().begin(), list.faults().end()});
                response.set_content(R"({"Faults":"replaced"})", "application/json");
              });
  http_->Post("/_emulator/advance", [this](const httplib::Request& request,
                                           httplib::Response& response) {
    Json body = Json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.contains("Seconds") || !body["Seconds"].is_number()) {
      response.status = 400;
      response.set_content(R"({"Error":"body must be {\"Seconds\": N}"})", "application/json");
      return;
    }
    const double seconds = body["Seconds"].get<double>();
    if (!(seconds >= 0 && seconds <= kMaxAdvanceSeconds)) {
      response.status = 400;
      response.set_content(R"({"Error":"Seconds must be between 0 and 3155760000, 100 years"})",
                           "application/json");
      return;
    }
    clock_.Advance(absl::Seconds(seconds));
    response.set_content(Json{{"Now", absl::FormatTime(clock_.Now())}}.dump(), "application/json");
  });
  http_->Get("/_emulator/books", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(JsonBody(Books()), "application/json");
  });
  RouteLifecycle();
}

void EmulatorServer::RouteLifecycle() {
  http_->Post(
      "/_emulator/topup", [this](const httplib::Request& request, httplib::Response& response) {
        absl::StatusOr<Json> body = ControlBody(request, {{"SecretId", 's'}, {"Cents", 'i'}});
        if (!body.ok()) return ReplyError(response, body.status());
        auto done = emulator_->TopUp((*body)["SecretId"], (*body)["Cents"].get<int64_t>());
        if (!done.ok()) return ReplyError(response, done.status());
        response.set_content(
            Json{{"BalanceCents", done->balance_cents}, {"Restored", done->restored}}.dump(),
            "application/json");
      });
  http_->Post("/_emulator/reclaim",
              [this](const httplib::Request& request, httplib::Response& response) {
                absl::StatusOr<Json> body = ControlBody(request, {{"InstanceIds", 'a'}});
                if (!body.ok()) return ReplyError(response, body.status());
                auto ids = (*body)["InstanceIds"].get<std::vector<std::string>>();
                auto done = emulator_->Reclaim(ids);
                if (!done.ok()) return ReplyError(response, done.status());
                response.set_content(Json{{"InstanceIds", *done}}.dump(), "application/json");
              });
  http_->Post("/_emulator/spot_price", [this](const httplib::Request& request,
                                              httplib::Response& response) {
    absl::StatusOr<Json> body =
        ControlBody(request, {{"Zone", 's'}, {"InstanceType", 's'}, {"Price", 's'}});
    if (!body.ok()) return ReplyError(response, body.status());
    auto done = emulator_->SetSpotPrice((*body)["Zone"], (*body)["InstanceType"], (*body)["Price"]);
    if (!done.ok()) return ReplyError(response, done.status());
    response.set_content(Json{{"Reclaimed", *done}}.dump(), "application/json");
  });
  // What an instance's metadata service answers at `path` (404 when
  // `answer` fails).
  using Answer = std::function<absl::StatusOr<std::string>(const std::string& id)>;
  auto metadata = [this](const std::string& path, Answer answer) {
    http_->Get("/_emulator/metadata/([^/]+)/" + path,
               [answer](const httplib::Request& request, httplib::Response& response) {
                 absl::StatusOr<std::string> text = answer(request.matches[1]);
                 if (!text.ok()) {
                   response.status = 404;
                   return;
                 }
                 response.set_content(*text, "text/plain");
               });
  };
  metadata("spot/termination-time", [this](const std::string& id) -> absl::StatusOr<std::string> {
    absl::StatusOr<absl::Time> at = emulator_->SpotTerminationTime(id);
    if (!at.ok()) return at.status();
    // Tencent: "2018-08-18 12:05:33", the instance's time, UTC+8.
    return absl::FormatTime("%Y-%m-%d %H:%M:%S", *at, absl::FixedTimeZone(8 * 3600));
  });
  // The RunInstances UserData, decoded.
  metadata("user-data", [this](const std::string& id) { return emulator_->UserData(id); });
}

void EmulatorServer::SetFaults(
    const std::vector<provisioning::tencentcloud::emulator::v1::Fault>& faults) {
  absl::MutexLock lock(&faults_mu_);
  faults_ = faults;
}

Json EmulatorServer::Books() {
  Json books = emulator_->Books();
  absl::MutexLock lock(&faults_mu_);
  books["FaultsInjected"] = injected_;
  return books;
}

}  // namespace cvm::tencentcloud
