// google.protobuf.Duration -> absl::Duration, for config fields with defaults;
// google.protobuf.Timestamp -> absl::Time.
#ifndef CVM_PROVISIONER_COMMON_PROTO_TIME_H_
#define CVM_PROVISIONER_COMMON_PROTO_TIME_H_

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/time_util.h"

namespace cvm {

// `d` as an absl::Duration when `is_set`, else `fallback`.
inline absl::Duration DurationOr(const google::protobuf::Duration& d, bool is_set,
                                 absl::Duration fallback) {
  return is_set ? absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos()) : fallback;
}

// `t` as a google.protobuf.Timestamp.
inline google::protobuf::Timestamp ProtoOf(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

// `t` as an absl::Time (the Unix epoch when unset).
inline absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace cvm

#endif  // CVM_PROVISIONER_COMMON_PROTO_TIME_H_
