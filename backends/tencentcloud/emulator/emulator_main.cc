// cvm-emulator: a local stand-in for Tencent Cloud's CVM and billing APIs.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "backends/tencentcloud/emulator/emulator_server.h"
#include "common/termination_signals.h"
#include "google/protobuf/text_format.h"

ABSL_FLAG(std::string, listen_host, "127.0.0.1", "address to listen on");
ABSL_FLAG(int, port, 9000, "port to listen on (0: any free port)");
ABSL_FLAG(std::string, config, "", "emulator config (text proto); required");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  cvm::BlockTerminationSignals();
  std::ifstream in(absl::GetFlag(FLAGS_config));
  std::stringstream text;
  text << in.rdbuf();
  cvm::tencentcloud::EmulatorConfig config;
  if (!in || !google::protobuf::TextFormat::ParseFromString(text.str(), &config)) {
    std::fprintf(stderr, "cvm-emulator: cannot read --config=%s\n",
                 absl::GetFlag(FLAGS_config).c_str());
    return 1;
  }
  auto server = cvm::tencentcloud::EmulatorServer::Start(
      config, absl::GetFlag(FLAGS_listen_host), absl::GetFlag(FLAGS_port));
  if (!server.ok()) {
    std::fprintf(stderr, "cvm-emulator: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  std::printf("cvm-emulator: listening on port %d\n", (*server)->port());
  std::fflush(stdout);
  cvm::WaitForTerminationSignal();
  return 0;
}
