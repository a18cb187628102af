// A small emulator world for tests, and a backend config pointing at it.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_TEST_WORLD_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_TEST_WORLD_H_

#include <string>

#include "backends/tencentcloud/emulator/emulator_config.pb.h"

namespace cvm::tencentcloud {

using provisioning::tencentcloud::emulator::v1::EmulatorConfig;

inline constexpr char kTestSecretId[] = "AKIDtest000000000000000000000000";
inline constexpr char kTestSecretKey[] = "test-secret-key-000000000000000";

inline constexpr char kTestLaunchTemplateId[] = "lt-testnode";

// One rich account (kTestSecretId) and, for pre-flight tests, accounts that
// are poor ("AKIDpoor", 1 cent) and cramped ("AKIDcramped", quota 1).
// ap-guangzhou-3 sells S5.MEDIUM2 (2 vCPU, 0.16/h, spot 0.04) and S5.LARGE8;
// ap-guangzhou-1 is sold out. Launch template kTestLaunchTemplateId: version
// 1 (the default) is S5.MEDIUM2 with img-template1, version 2 S5.LARGE8 with
// img-template2.
EmulatorConfig TestWorld();

// Adds a fault to `config`: `kind` on a `probability` share of `action`'s
// requests; timeouts and latency hold 600 ms (past a 500 ms client timeout).
void AddFault(EmulatorConfig& config, const std::string& action,
              provisioning::tencentcloud::emulator::v1::Fault::Kind kind, double probability);

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_TEST_WORLD_H_
