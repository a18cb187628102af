// SIGTERM / SIGINT handling for the server process: block both in every
// thread at start-up, then wait for one synchronously in main.
#ifndef CVM_PROVISIONER_COMMON_TERMINATION_SIGNALS_H_
#define CVM_PROVISIONER_COMMON_TERMINATION_SIGNALS_H_

namespace cvm {

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts
// afterwards. Call first in main, before any thread exists.
void BlockTerminationSignals();

// Waits until SIGTERM or SIGINT arrives; returns its number.
int WaitForTerminationSignal();

}  // namespace cvm

#endif  // CVM_PROVISIONER_COMMON_TERMINATION_SIGNALS_H_
