// A CvmEmulator on a FakeClock, with the calls its tests repeat.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_CVM_EMULATOR_TEST_UTIL_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_CVM_EMULATOR_TEST_UTIL_H_

#include <memory>
#include <string>

#include "backends/tencentcloud/emulator/cvm_emulator.h"
#include "backends/tencentcloud/emulator/test_world.h"
#include "common/clock.h"
#include "gtest/gtest.h"

namespace cvm::tencentcloud {

// The FakeClock starts at 2023-11-14T22:13:20Z, so the first settlement (a
// whole hour) is 2,800 s after the start.
inline constexpr int64_t kFirstSettlementSeconds = 2800;

class EmulatorTest : public ::testing::Test {
 protected:
  // TestWorld() with `balance_cents` on kTestSecretId.
  static EmulatorConfig WorldWithBalance(int64_t balance_cents) {
    EmulatorConfig config = TestWorld();
    config.mutable_accounts(0)->set_balance_cents(balance_cents);
    return config;
  }

  void Make(const EmulatorConfig& config) {
    auto emulator = CvmEmulator::Create(config, &clock_);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
  }

  Json Call(const std::string& action, const Json& params) {
    return emulator_->Handle(kTestSecretId, "cvm", action, "ap-guangzhou", params);
  }

  // Buys one S5.MEDIUM2 in ap-guangzhou-3 with a public IP; "" on error.
  std::string Buy(const std::string& charge, const Json& extra = Json::object()) {
    Json params = {{"Placement", {{"Zone", "ap-guangzhou-3"}}},
                   {"InstanceType", "S5.MEDIUM2"},
                   {"ImageId", "img-1"},
                   {"InstanceChargeType", charge},
                   {"InternetAccessible", {{"PublicIpAssigned", true}}}};
    params.update(extra);
    Json answer = Call("RunInstances", params);
    last_error_ = answer.value("/Error/Code"_json_pointer, "");
    if (!answer.contains("InstanceIdSet")) return "";
    return answer["InstanceIdSet"][0].get<std::string>();
  }

  std::string BuySpot(const std::string& max_price) {
    return Buy("SPOTPAID",
               {{"InstanceMarketOptions",
                 {{"MarketType", "spot"}, {"SpotOptions", {{"MaxPrice", max_price}}}}}});
  }

  // The instance as DescribeInstances lists it, or null when not listed.
  Json Describe(const std::string& id) {
    Json answer = Call("DescribeInstances", {{"InstanceIds", {id}}});
    const Json set = answer.value("InstanceSet", Json::array());
    return set.empty() ? Json() : set[0];
  }

  // "STATE/RestrictState/IsolatedSource", or "GONE".
  std::string Life(const std::string& id) {
    Json i = Describe(id);
    if (i.is_null()) return "GONE";
    return i["InstanceState"].get<std::string>() + "/" + i["RestrictState"].get<std::string>() +
           "/" + i["IsolatedSource"].get<std::string>();
  }

  Json BalanceAnswer() {
    return emulator_->Handle(kTestSecretId, "billing", "DescribeAccountBalance", "",
                             Json::object());
  }
  int64_t Balance() { return BalanceAnswer()["Balance"].get<int64_t>(); }

  void Advance(absl::Duration d) { clock_.Advance(d); }

  FakeClock clock_;
  std::unique_ptr<CvmEmulator> emulator_;
  std::string last_error_;
};

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_CVM_EMULATOR_TEST_UTIL_H_
