// The emulator's HTTP face: Tencent Cloud's API wire format on 127.0.0.1.
//
//   POST /                    a signed API call (headers X-TC-Action,
//                             X-TC-Version, X-TC-Timestamp, X-TC-Region,
//                             Authorization), answered {"Response": {...}}
//   POST /_emulator/advance   {"Seconds": N}: move the emulator's clock
//   GET  /_emulator/books     what each account bought (for tests)
//
// The version picks the service: 2017-03-12 is CVM, 2018-07-09 billing.
// Signatures are checked against real time; instance lifecycles follow the
// emulator's own (advanceable) clock.
#ifndef CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_EMULATOR_SERVER_H_
#define CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_EMULATOR_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
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
                                                               const std::string& host,
                                                               int port);
  ~EmulatorServer();

  int port() const { return port_; }
  CvmEmulator& emulator() { return *emulator_; }
  OffsetClock& clock() { return clock_; }

 private:
  EmulatorServer();
  void Route();

  OffsetClock clock_;
  std::unique_ptr<CvmEmulator> emulator_;
  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace cvm::tencentcloud

#endif  // CVM_PROVISIONER_BACKENDS_TENCENTCLOUD_EMULATOR_EMULATOR_SERVER_H_
