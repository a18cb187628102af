// Authentication and tenant isolation against the real binary over TLS.
//
// A test CA signs the server's certificate and two client certificates
// (CN team-a, team-b); a tokens file gives team-c a bearer token. Without a
// verified identity every RPC is UNAUTHENTICATED; with one everything works;
// one tenant can neither see, watch nor terminate another's orders, nor learn
// that they exist. The audit log records who did what, and no secret shows up
// in it, in /metrics or in the store.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/server_process.h"
#include "tests/test_client.h"

namespace cvm::testing {
namespace {

using provisioning::v1::Order;
using provisioning::v1::Provisioning;
using provisioning::v1::WatchEvent;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "team-c-token-7f3e9a";

// A CA, a server certificate for localhost and client certificates.
void MakeCertificates() {
  const std::string script = absl::StrCat(
      "set -e; cd ", std::getenv("TEST_TMPDIR"), "\n",
      "key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1 2>/dev/null; }\n",
      "key ca.key; openssl req -x509 -new -key ca.key -out ca.crt -days 2 -subj /CN=test-ca\n",
      "key rogue.key; openssl req -x509 -new -key rogue.key -out rogue.crt -days 2 -subj /CN=rogue-ca\n",
      "sign() { key $1.key; openssl req -new -key $1.key -out $1.csr -subj /CN=$2;\n",
      "  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > $1.ext;\n",
      "  openssl x509 -req -in $1.csr -CA $3.crt -CAkey $3.key -CAcreateserial -out $1.crt ",
      "-days 2 -extfile $1.ext 2>/dev/null; }\n",
      "sign server localhost ca; sign team-a team-a ca; sign team-b team-b ca; ",
      "sign intruder team-a rogue\n");
  auto result = RunProcess({"/bin/sh", "-c", script}, absl::Seconds(60));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->exit_code, 0) << result->output;
}

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    MakeCertificates();
    std::ofstream(TmpPath("tokens")) << "# tenant token\nteam-c " << kToken << "\n";
    std::ofstream(TmpPath("auth.textproto"))
        << "backends { name: \"fake\" plugin: \"fake\" config {\n"
        << "  [type.googleapis.com/provisioning.fake.v1.FakeBackendConfig] {\n"
        << "    pending_duration { nanos: 200000000 } public_ip_delay { nanos: 200000000 } } } }\n"
        << "auth { tls_cert_file: \"" << TmpPath("server.crt") << "\" tls_key_file: \""
        << TmpPath("server.key") << "\" client_ca_file: \"" << TmpPath("ca.crt")
        << "\" tokens_file: \"" << TmpPath("tokens") << "\" }\n";
  }

  void SetUp() override {
    auto server = ServerProcess::Start(
        TmpPath("auth.textproto"),
        {absl::StrCat("--audit_log=", TmpPath("audit.jsonl")),
         absl::StrCat("--store=sqlite:", TmpPath("auth.db"))});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override {
    if (server_ != nullptr) EXPECT_EQ(server_->Stop(absl::Seconds(30)).value_or(-1), 0);
  }

  // A TLS channel trusting the test CA, with a client certificate if named.
  std::shared_ptr<grpc::Channel> Channel(const std::string& client = "") {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ReadFile(TmpPath("ca.crt"));
    if (!client.empty()) {
      tls.pem_private_key = ReadFile(TmpPath(client + ".key"));
      tls.pem_cert_chain = ReadFile(TmpPath(client + ".crt"));
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    args.SetInt("test-client", static_cast<int>(std::hash<std::string>()(client)));
    return grpc::CreateCustomChannel(server_->target(), grpc::SslCredentials(tls), args);
  }
  std::unique_ptr<Provisioning::Stub> Stub(const std::string& client = "") {
    return Provisioning::NewStub(Channel(client));
  }
  // A context carrying `token` as a bearer token when not empty.
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "") {
    auto context = ContextWithDeadline(20);
    if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    return context;
  }

  std::unique_ptr<ServerProcess> server_;
};

// Every RPC of the service, called with `context_for()`; their status codes.
std::vector<grpc::StatusCode> CallEveryRpc(
    Provisioning::Stub& stub, const std::function<std::unique_ptr<grpc::ClientContext>()>& context_for,
    const std::string& order_id) {
  std::vector<grpc::StatusCode> codes;
  Order order;
  codes.push_back(stub.Purchase(context_for().get(), PurchaseOf("probe", 1), &order).error_code());
  provisioning::v1::DescribeRequest describe;
  describe.add_order_ids(order_id);
  provisioning::v1::DescribeResponse described;
  codes.push_back(stub.Describe(context_for().get(), describe, &described).error_code());
  provisioning::v1::QuoteRequest quote_request;
  *quote_request.mutable_spec() = PurchaseOf("q", 1).spec();
  quote_request.set_instance_count(1);
  provisioning::v1::Quote quote;
  codes.push_back(stub.Quote(context_for().get(), quote_request, &quote).error_code());
  provisioning::v1::TerminateRequest terminate;
  terminate.set_order_id(order_id);
  codes.push_back(stub.Terminate(context_for().get(), terminate, &order).error_code());
  provisioning::v1::WatchRequest watch;
  watch.set_order_id(order_id);
  auto context = context_for();
  auto reader = stub.Watch(context.get(), watch);
  WatchEvent event;
  while (reader->Read(&event)) {
    context->TryCancel();
  }
  codes.push_back(reader->Finish().error_code());
  return codes;
}

TEST_F(AuthTest, WithoutAValidCertificateOrTokenEveryRpcIsUnauthenticated) {
  auto anonymous = Stub();
  const std::vector<grpc::StatusCode> unauthenticated(5, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(CallEveryRpc(*anonymous, [] { return Context(); }, "ord-x"), unauthenticated);
  EXPECT_EQ(CallEveryRpc(*anonymous, [] { return Context("guessed-token"); }, "ord-x"),
            unauthenticated);
  // A certificate from another CA does not even get a connection.
  Order order;
  grpc::Status intruder =
      Stub("intruder")->Purchase(Context().get(), PurchaseOf("intrusion", 1), &order);
  EXPECT_FALSE(intruder.ok());
  EXPECT_NE(intruder.error_code(), grpc::StatusCode::OK);
  // Health stays open for probes.
  auto health = grpc::health::v1::Health::NewStub(Channel());
  grpc::health::v1::HealthCheckResponse serving;
  ASSERT_TRUE(health->Check(Context().get(), {}, &serving).ok());
  EXPECT_EQ(serving.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

// The kubelet's gRPC probes speak plaintext only: --health_listen serves the
// health service (and nothing of the API) on a plaintext port beside the TLS one.
TEST_F(AuthTest, PlaintextHealthPortAnswersProbesAndServesNoApi) {
  EXPECT_EQ(server_->health_port(), 0);  // off unless asked for
  auto probed = ServerProcess::Start(
      TmpPath("auth.textproto"),
      {"--health_listen=127.0.0.1:0", absl::StrCat("--store=sqlite:", TmpPath("probed.db"))});
  ASSERT_TRUE(probed.ok()) << probed.status();
  ASSERT_GT((*probed)->health_port(), 0);
  auto plaintext = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*probed)->health_port()),
                                       grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(plaintext);
  for (const std::string service : {"", "provisioning.v1.Provisioning"}) {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health->Check(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
  Order order;
  EXPECT_EQ(Provisioning::NewStub(plaintext)
                ->Purchase(Context(kToken).get(), PurchaseOf("plaintext", 1), &order)
                .error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  // The TLS port itself cannot be probed in plaintext.
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_FALSE(grpc::health::v1::Health::NewStub(
                   grpc::CreateChannel((*probed)->target(), grpc::InsecureChannelCredentials()))
                   ->Check(Context().get(), {}, &response)
                   .ok());
  EXPECT_EQ((*probed)->Stop(absl::Seconds(30)).value_or(-1), 0);
}

TEST_F(AuthTest, WithACertificateOrATokenEverythingWorksOverTls) {
  for (const auto& [client, token] :
       {std::pair<std::string, std::string>{"team-a", ""}, {"", kToken}}) {
    auto stub = Stub(client);
    auto context_for = [token = token] { return Context(token); };
    Order order;
    ASSERT_TRUE(stub->Purchase(context_for().get(), PurchaseOf("works-" + client, 1), &order).ok());
    EXPECT_EQ(order.tenant(), client.empty() ? "team-c" : "team-a");
    std::vector<grpc::StatusCode> codes = CallEveryRpc(*stub, context_for, order.order_id());
    EXPECT_EQ(codes[1], grpc::StatusCode::OK);  // Describe
    EXPECT_EQ(codes[2], grpc::StatusCode::OK);  // Quote
    EXPECT_EQ(codes[3], grpc::StatusCode::OK);  // Terminate
    EXPECT_EQ(codes[4], grpc::StatusCode::CANCELLED);  // Watch: streamed until we cancelled
  }
}

TEST_F(AuthTest, ATenantCanNeitherSeeWatchNorTerminateAnothersOrders) {
  auto team_a = Stub("team-a");
  auto team_b = Stub("team-b");
  Order mine;
  ASSERT_TRUE(team_a->Purchase(Context().get(), PurchaseOf("shared-id", 1), &mine).ok());
  // team-b watches everything it may see from now on.
  auto watch_context = Context();
  auto all = team_b->Watch(watch_context.get(), provisioning::v1::WatchRequest());
  WatchEvent snapshot;
  ASSERT_TRUE(all->Read(&snapshot));
  EXPECT_EQ(snapshot.orders_size(), 0);

  // Another tenant's order answers exactly like an order that does not exist.
  auto answer = [&](const std::string& id) {
    std::vector<grpc::StatusCode> codes = CallEveryRpc(*team_b, [] { return Context(); }, id);
    codes.erase(codes.begin() + 2);  // Quote names no order
    codes.erase(codes.begin());      // Purchase names no order
    return codes;
  };
  const std::vector<grpc::StatusCode> not_found(3, grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(answer(mine.order_id()), not_found);
  EXPECT_EQ(answer("ord-00000000000000ff"), not_found);
  provisioning::v1::DescribeRequest by_id;
  by_id.add_order_ids(mine.order_id());
  provisioning::v1::DescribeResponse response;
  grpc::Status hidden = team_b->Describe(Context().get(), by_id, &response);
  EXPECT_EQ(hidden.error_message(), absl::StrCat("order ", mine.order_id(), " not found"));
  provisioning::v1::DescribeResponse listed;
  ASSERT_TRUE(team_b->Describe(Context().get(), {}, &listed).ok());
  for (const Order& order : listed.orders()) EXPECT_NE(order.order_id(), mine.order_id());

  // The same request id is team-b's own, distinct order.
  Order theirs;
  ASSERT_TRUE(team_b->Purchase(Context().get(), PurchaseOf("shared-id", 1), &theirs).ok());
  EXPECT_NE(theirs.order_id(), mine.order_id());
  EXPECT_EQ(theirs.tenant(), "team-b");
  // team-b's stream carries only team-b's order.
  WatchEvent event;
  int seen = 0;
  while (all->Read(&event)) {
    for (const Order& order : event.orders()) {
      EXPECT_EQ(order.tenant(), "team-b");
      EXPECT_NE(order.order_id(), mine.order_id());
      ++seen;
      if (order.state() == Order::ACTIVE) watch_context->TryCancel();
    }
  }
  EXPECT_GT(seen, 0);
  // team-a's order was untouched by team-b's Terminate and is still its own.
  provisioning::v1::DescribeResponse own;
  ASSERT_TRUE(team_a->Describe(Context().get(), by_id, &own).ok());
  EXPECT_NE(own.orders(0).state(), Order::TERMINATING);
  EXPECT_NE(own.orders(0).state(), Order::CANCELLED);
  EXPECT_EQ(own.orders(0).tenant(), "team-a");

  // The audit log names who did what; no secret is anywhere.
  const std::string audit = ReadFile(TmpPath("audit.jsonl"));
  EXPECT_THAT(audit, HasSubstr("\"tenant\":\"team-a\""));
  EXPECT_THAT(audit, HasSubstr(absl::StrCat("\"action\":\"Terminate\",\"code\":\"NOT_FOUND\"")));
  auto metrics = HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  for (const std::string& place : {audit, *metrics, ReadFile(TmpPath("auth.db")), ReadFile(TmpPath("auth.db-wal"))}) {
    EXPECT_THAT(place, Not(HasSubstr(kToken)));
    EXPECT_THAT(place, Not(HasSubstr("PRIVATE KEY")));
  }
}

TEST_F(AuthTest, TheCliBuysOverMutualTlsAndIsRefusedWithoutIdentity) {
  const std::string cli = RunfilePath("cli/provisionctl");
  const std::vector<std::string> tls = {
      absl::StrCat("--server=", server_->target()), absl::StrCat("--tls_ca_file=", TmpPath("ca.crt")),
      "--tls_server_name=localhost"};
  std::vector<std::string> buy = {cli, "purchase", "--region=ap-guangzhou",
                                  "--zone=ap-guangzhou-3", "--instance_type=S5.MEDIUM2",
                                  "--image=img-1", "--count=1", "--request_id=cli-tls"};
  buy.insert(buy.end(), tls.begin(), tls.end());
  std::vector<std::string> with_certificate = buy;
  with_certificate.push_back(absl::StrCat("--tls_cert_file=", TmpPath("team-a.crt")));
  with_certificate.push_back(absl::StrCat("--tls_key_file=", TmpPath("team-a.key")));
  auto bought = RunProcess(with_certificate, absl::Seconds(60));
  ASSERT_TRUE(bought.ok()) << bought.status();
  EXPECT_EQ(bought->exit_code, 0) << bought->output;
  EXPECT_THAT(bought->output, HasSubstr("PROVISIONING"));

  std::ofstream(TmpPath("cli-token")) << kToken << "\n";
  std::vector<std::string> with_token = buy;
  with_token.push_back(absl::StrCat("--token_file=", TmpPath("cli-token")));
  auto by_token = RunProcess(with_token, absl::Seconds(60));
  ASSERT_TRUE(by_token.ok()) << by_token.status();
  EXPECT_EQ(by_token->exit_code, 0) << by_token->output;

  auto refused = RunProcess(buy, absl::Seconds(60));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_NE(refused->exit_code, 0);
  EXPECT_THAT(refused->output, HasSubstr("UNAUTHENTICATED"));
}

}  // namespace
}  // namespace cvm::testing
