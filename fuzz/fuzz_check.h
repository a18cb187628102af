// FUZZ_CHECK(condition): a property every input must keep. A violation
// prints the condition and aborts, which libFuzzer reports as a crash with
// the input saved; the replay test (fuzz/replay_main.cc) fails the same way.
#ifndef CVM_PROVISIONER_FUZZ_FUZZ_CHECK_H_
#define CVM_PROVISIONER_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                 \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

#endif  // CVM_PROVISIONER_FUZZ_FUZZ_CHECK_H_
