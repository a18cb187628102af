// google.protobuf.Duration -> absl::Duration, for config fields with defaults.
#ifndef CVM_PROVISIONER_COMMON_PROTO_TIME_H_
#define CVM_PROVISIONER_COMMON_PROTO_TIME_H_

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"

namespace cvm {

// `d` as an absl::Duration when `is_set`, else `fallback`.
inline absl::Duration DurationOr(const google::protobuf::Duration& d, bool is_set,
                                 absl::Duration fallback) {
  return is_set ? absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos()) : fallback;
}

}  // namespace cvm

#endif  // CVM_PROVISIONER_COMMON_PROTO_TIME_H_
