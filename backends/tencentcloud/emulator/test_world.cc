#include "backends/tencentcloud/emulator/test_world.h"

namespace cvm::tencentcloud {
namespace {

using provisioning::tencentcloud::emulator::v1::Account;
using provisioning::tencentcloud::emulator::v1::InstanceTypeOffer;

void AddAccount(EmulatorConfig& config, const std::string& id, const std::string& key,
                int64_t cents, int quota) {
  Account* account = config.add_accounts();
  account->set_secret_id(id);
  account->set_secret_key(key);
  account->set_uin("1000" + std::to_string(config.accounts_size()));
  account->set_balance_cents(cents);
  account->set_postpaid_quota_per_zone(quota);
  account->set_spot_vcpu_quota_per_zone(2 * quota);
}

void AddTemplate(EmulatorConfig& config, int64_t version, bool default_version,
                 const std::string& type, const std::string& image) {
  auto* launch_template = config.add_launch_templates();
  launch_template->set_launch_template_id(kTestLaunchTemplateId);
  launch_template->set_launch_template_version(version);
  launch_template->set_default_version(default_version);
  launch_template->set_instance_type(type);
  launch_template->set_image_id(image);
}

void AddType(InstanceTypeOffer* type, const std::string& name, int cpu, const std::string& price,
             const std::string& spot, int stock) {
  type->set_instance_type(name);
  type->set_cpu(cpu);
  type->set_memory_gb(2 * cpu);
  type->set_price_per_hour(price);
  type->set_spot_price_per_hour(spot);
  type->set_stock(stock);
}

}  // namespace

EmulatorConfig TestWorld() {
  EmulatorConfig config;
  AddAccount(config, kTestSecretId, kTestSecretKey, 10000000, 500);
  AddAccount(config, "AKIDpoor", "poor-key", 1, 500);
  AddAccount(config, "AKIDcramped", "cramped-key", 10000000, 1);
  auto* gz3 = config.add_zones();
  gz3->set_zone("ap-guangzhou-3");
  gz3->set_region("ap-guangzhou");
  AddType(gz3->add_types(), "S5.MEDIUM2", 2, "0.16", "0.04", -1);
  AddType(gz3->add_types(), "S5.LARGE8", 4, "0.44", "0.11", 3);
  auto* gz1 = config.add_zones();
  gz1->set_zone("ap-guangzhou-1");
  gz1->set_region("ap-guangzhou");
  AddType(gz1->add_types(), "S5.MEDIUM2", 2, "0.16", "0.04", 0);
  AddTemplate(config, 1, true, "S5.MEDIUM2", "img-template1");
  AddTemplate(config, 2, false, "S5.LARGE8", "img-template2");
  config.mutable_pending_duration()->set_seconds(5);
  config.mutable_public_ip_delay()->set_seconds(5);
  return config;
}

void AddFault(EmulatorConfig& config, const std::string& action,
              provisioning::tencentcloud::emulator::v1::Fault::Kind kind, double probability) {
  auto* fault = config.add_faults();
  fault->set_action(action);
  fault->set_kind(kind);
  fault->set_probability(probability);
  fault->mutable_delay()->set_nanos(600000000);
}

}  // namespace cvm::tencentcloud
