// An emulator world for candidates orders, shared by the end-to-end and chaos
// tests: zones A, B, C (ap-guangzhou-3, -4, -6) x types S5.MEDIUM2,
// S5.LARGE8, SA2.MEDIUM2, with spot sold out in A and the spot market above
// the candidates' max (0.10) in B, so spot lands only in C, where the
// cheapest type has few left.
#ifndef CVM_PROVISIONER_TESTS_CANDIDATE_WORLD_H_
#define CVM_PROVISIONER_TESTS_CANDIDATE_WORLD_H_

#include <string>

#include "backends/tencentcloud/emulator/emulator_config.pb.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm::testing {

inline constexpr const char* kZoneA = "ap-guangzhou-3";
inline constexpr const char* kZoneB = "ap-guangzhou-4";
inline constexpr const char* kZoneC = "ap-guangzhou-6";
inline constexpr const char* kCandidateTypes[] = {"S5.MEDIUM2", "S5.LARGE8", "SA2.MEDIUM2"};

// Spot per hour in C: S5.MEDIUM2 0.06 (`cheapest_stock` left), SA2.MEDIUM2
// 0.07 (`second_stock` left), S5.LARGE8 0.09 (`third_stock` left; -1:
// unlimited); in A sold out, in B 0.12-0.14.
// Pay-as-you-go from 0.20 (A) up, unlimited except where the stock above
// binds (stock counts both billings, as the emulator keeps it per zone and
// type). TestWorld()'s accounts, with quotas high enough to never bind.
provisioning::tencentcloud::emulator::v1::EmulatorConfig CandidateWorld(int cheapest_stock,
                                                                int second_stock = -1,
                                                                int third_stock = -1);

// `count` instances (PurchaseOf()'s spec) with candidates: zones A, B, C x
// the three types x spot up to 0.10, then pay-as-you-go; cheapest first.
provisioning::v1::PurchaseRequest CandidatesPurchase(const std::string& request_id, int count);

// A cell as "zone/type/spot|payg".
std::string CellKey(const std::string& zone, const std::string& type, bool spot);

}  // namespace cvm::testing

#endif  // CVM_PROVISIONER_TESTS_CANDIDATE_WORLD_H_
