// The emulator's HTTP control endpoints: advance, books, topup, reclaim,
// spot_price and the spot metadata path (the signed API itself is covered by
// the backend's tests and the Node SDK).
#include "backends/tencentcloud/emulator/emulator_server.h"

#include "backends/tencentcloud/emulator/test_world.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace cvm::tencentcloud {
namespace {

class EmulatorServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EmulatorConfig config = TestWorld();
    config.mutable_accounts(0)->set_balance_cents(20);
    auto server = EmulatorServer::Start(config, "127.0.0.1", 0);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  // Status and parsed body of a POST (null when the body is not JSON).
  std::pair<int, Json> Post(const std::string& path, const Json& body) {
    auto result = client_->Post(path.c_str(), body.dump(), "application/json");
    if (!result) return {-1, Json()};
    return {result->status, Json::parse(result->body, nullptr, false)};
  }

  std::string Buy(const std::string& charge, const std::string& max_price = "") {
    Json params = {{"Placement", {{"Zone", "ap-guangzhou-3"}}},
                   {"InstanceType", "S5.MEDIUM2"},
                   {"ImageId", "img-1"},
                   {"InstanceChargeType", charge}};
    if (!max_price.empty()) {
      params["InstanceMarketOptions"] = {{"MarketType", "spot"},
                                         {"SpotOptions", {{"MaxPrice", max_price}}}};
    }
    Json answer =
        server_->emulator().Handle(kTestSecretId, "cvm", "RunInstances", "ap-guangzhou", params);
    return answer.value("/InstanceIdSet/0"_json_pointer, "");
  }

  std::unique_ptr<EmulatorServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(EmulatorServerTest, AdvanceMovesTheClockAndBooksShowTheMoney) {
  const absl::Time before = server_->clock().Now();
  auto [status, body] = Post("/_emulator/advance", {{"Seconds", 7200}});
  EXPECT_EQ(status, 200);
  EXPECT_GE(server_->clock().Now() - before, absl::Hours(2));
  EXPECT_EQ(Post("/_emulator/advance", {{"Minutes", 1}}).first, 400);
  EXPECT_EQ(Post("/_emulator/advance", {{"Seconds", -1}}).first, 400);
  EXPECT_EQ(Post("/_emulator/advance", {{"Seconds", 1e300}}).first, 400);
  auto books = client_->Get("/_emulator/books");
  ASSERT_TRUE(books);
  Json account = Json::parse(books->body)[kTestSecretId];
  EXPECT_EQ(account["BalanceCents"], 20);
  EXPECT_EQ(account["InArrears"], false);
  EXPECT_EQ(account["Isolated"], 0);
}

TEST_F(EmulatorServerTest, TopUpAddsToTheBalance) {
  auto [status, body] = Post("/_emulator/topup", {{"SecretId", kTestSecretId}, {"Cents", 500}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["BalanceCents"], 520);
  EXPECT_EQ(body["Restored"], Json::array());
  EXPECT_EQ(Post("/_emulator/topup", {{"SecretId", "AKIDnobody"}, {"Cents", 1}}).first, 404);
  EXPECT_EQ(Post("/_emulator/topup", {{"SecretId", kTestSecretId}}).first, 400);
  EXPECT_EQ(Post("/_emulator/topup", {{"SecretId", kTestSecretId}, {"Cents", -5}}).first, 400);
  EXPECT_EQ(Post("/_emulator/topup", {{"SecretId", kTestSecretId}, {"Cents", "5"}}).first, 400);
}

TEST_F(EmulatorServerTest, TopUpRestoresInstancesIsolatedForArrears) {
  const std::string id = Buy("POSTPAID_BY_HOUR");
  ASSERT_NE(id, "");
  // At most 3 settlements to go negative, then 2 hours of grace.
  server_->clock().Advance(absl::Hours(6));
  ASSERT_EQ(server_->emulator().Books()[kTestSecretId]["Isolated"], 1);
  auto [status, body] = Post("/_emulator/topup", {{"SecretId", kTestSecretId}, {"Cents", 10000}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["Restored"], Json::array({id}));
}

TEST_F(EmulatorServerTest, ReclaimGivesNoticeThatTheMetadataPathReports) {
  const std::string spot = Buy("SPOTPAID", "0.05");
  const std::string payg = Buy("POSTPAID_BY_HOUR");
  ASSERT_NE(spot, "");
  const std::string metadata = "/_emulator/metadata/" + spot + "/spot/termination-time";
  auto before = client_->Get(metadata.c_str());
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 404);  // not being reclaimed
  auto [status, body] = Post("/_emulator/reclaim", {{"InstanceIds", {spot}}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["InstanceIds"], Json::array({spot}));
  auto after = client_->Get(metadata.c_str());
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
  const absl::Time at = server_->emulator().SpotTerminationTime(spot).value();
  EXPECT_EQ(after->body, absl::FormatTime("%Y-%m-%d %H:%M:%S", at, absl::FixedTimeZone(8 * 3600)));
  EXPECT_EQ(Post("/_emulator/reclaim", {{"InstanceIds", {payg}}}).first, 409);
  EXPECT_EQ(Post("/_emulator/reclaim", {{"InstanceIds", {"ins-ffffffff"}}}).first, 404);
  EXPECT_EQ(Post("/_emulator/reclaim", {{"InstanceIds", "ins-1"}}).first, 400);
  auto payg_metadata =
      client_->Get(("/_emulator/metadata/" + payg + "/spot/termination-time").c_str());
  ASSERT_TRUE(payg_metadata);
  EXPECT_EQ(payg_metadata->status, 404);
}

TEST_F(EmulatorServerTest, SpotPriceAboveTheMaxPriceReclaims) {
  const std::string spot = Buy("SPOTPAID", "0.05");
  ASSERT_NE(spot, "");
  auto [status, body] =
      Post("/_emulator/spot_price",
           {{"Zone", "ap-guangzhou-3"}, {"InstanceType", "S5.MEDIUM2"}, {"Price", "0.06"}});
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body["Reclaimed"], Json::array({spot}));
  EXPECT_EQ(Post("/_emulator/spot_price",
                 {{"Zone", "ap-guangzhou-3"}, {"InstanceType", "S5.NOPE"}, {"Price", "0.06"}})
                .first,
            404);
  EXPECT_EQ(Post("/_emulator/spot_price", {{"Zone", "ap-guangzhou-3"}, {"Price", "0.06"}}).first,
            400);
}

}  // namespace
}  // namespace cvm::tencentcloud
