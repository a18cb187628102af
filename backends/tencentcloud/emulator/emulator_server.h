// The emulator's HTTP face: Tencent Cloud's API wire format on 127.0.0.1.
//
//   POST /                    a signed API call (headers X-TC-Action,
//                             X-TC-Version, X-TC-Timestamp, X-TC-Region,
//                             Authorization), answered {"Response": {...}}
//   POST /_emulator/advance   {"Seconds": N}: move the emulator's clock
//   GET  /_emulator/books     what each account bought, rate-limit and
//                             fault counts (for tests)
//   POST /_emulator/faults    {"faults": [Fault...]} (emulator_config.proto,
//                             proto JSON): replaces the injected faults
//   POST /_emulator/topup     {"SecretId": "...", "Cents": N}: adds to the
//                             balance; clearing arrears restores isolated
//                             instances -> {"BalanceCents", "Restored": [ids]}
//   POST /_emulator/reclaim   {"InstanceIds": [...]}: spot reclaim notice
//                             -> {"InstanceIds": [...]}
//   POST /_emulator/spot_price {"Zone", "InstanceType", "Price": "0.06"}: the
//                             market price; spot instances whose MaxPrice is
//                             below it get notice -> {"Reclaimed": [ids]}
//   GET  /_emulator/metadata/<id>/spot/termination-time
//                             what the instance's metadata answers: the
//                             reclaim time, "YYYY-MM-DD HH:MM:SS" (UTC+8), or
//                             404
//   GET  /_emulator/metadata/<id>/user-data
//                             the instance's user data (RunInstances'
//                             UserData decoded), or 404 without any
// Control endpoints answer 400 for a bad body, 404 for an unknown account,
// offer or instance, 409 for an instance in the wrong state, with
// {"Error": message}. See CvmEmulator for the semantics.
//
// The version picks the service: 2017-03-12 is CVM, 2018-07-09 billing.
// Signatures are checked against real time; instance lifecycles follow the
// emulator's own (advanceable) clock.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_EMULATOR_SERVER_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_EMULATOR_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "backends/tencentcloud/emulator/cvm_emulator.h"
#include "common/clock.h"

namespace httplib {
class Server;
}

namespace cvm::tencentcloud {

class EmulatorServer {
 public:
  // Serves `config` on host:port (port 0 picks a free one).
  static absl::StatusOr<std::unique_ptr<EmulatorServer>> Start(const EmulatorConfig& config,
                                                               const std::string& host, int port);
  ~EmulatorServer();

  int port() const { return port_; }
  CvmEmulator& emulator() { return *emulator_; }
  // The emulator's books plus "FaultsInjected" (count by kind).
  Json Books();
  // Replaces the injected faults (as POST /_emulator/faults does).
  void SetFaults(const std::vector<provisioning::tencentcloud::emulator::v1::Fault>& faults);
  OffsetClock& clock() { return clock_; }

 private:
  EmulatorServer();
  void Route();
  // The lifecycle control endpoints: topup, reclaim, spot_price, metadata.
  void RouteLifecycle();

  // The fault to inject into one request of `action` (KIND_UNSPECIFIED: none).
  provisioning::tencentcloud::emulator::v1::Fault PickFault(const std::string& action);

  OffsetClock clock_;
  absl::Mutex faults_mu_;
  std::vector<provisioning::tencentcloud::emulator::v1::Fault> faults_ ABSL_GUARDED_BY(faults_mu_);
  absl::BitGen random_ ABSL_GUARDED_BY(faults_mu_);
  std::map<std::string, int> injected_ ABSL_GUARDED_BY(faults_mu_);  // by kind
  std::unique_ptr<CvmEmulator> emulator_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_EMULATOR_SERVER_H_
