// provisionctl: the command-line client of the provisioning service.
// Everything but the terminal check lives in cli/commands.h.
#include <sys/ioctl.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  cvm::cli::Environment environment;
  environment.out = &std::cout;
  environment.err = &std::cerr;
  environment.terminal = isatty(STDOUT_FILENO) == 1;
  winsize size{};
  if (environment.terminal && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0) {
    environment.terminal_width = size.ws_col;
  }
  return cvm::cli::RunProvisionctl(std::vector<std::string>(argv + 1, argv + argc), environment);
}
