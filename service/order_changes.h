// What one revision of an order changed, as clients read it in
// Order.last_changes (proto/provisioning/v1/provisioning.proto).
//
// ChangesBetween() is a pure function of two versions of one order; the
// ChangeRecordingStore (service/change_recording_store.h) applies it to every
// revision, so the poller, Purchase and Terminate all report their changes
// the same way.
//
// Contract: pure and thread-compatible; no I/O.
#ifndef CVM_PROVISIONER_SERVICE_ORDER_CHANGES_H_
#define CVM_PROVISIONER_SERVICE_ORDER_CHANGES_H_

#include <vector>

#include "provisioning/v1/provisioning.pb.h"

namespace cvm {

// True when the cloud isolated the instance (arrears, expiry or by hand), by
// its restriction or by its isolated source.
bool IsIsolated(const provisioning::v1::Instance& instance);

// The changes from `before` to `after` (the same order), instance by instance
// in the order of after.instances(), then FELL_BACK, then ORDER_FINAL. Per instance:
//   STATE_CHANGED       state differs (a new instance: from STATE_UNSPECIFIED),
//   LAUNCH_FAILED       ... and the new state is LAUNCH_FAILED,
//   RELEASED            ... and the new state is TERMINATED,
//   PUBLIC_IP_ASSIGNED  public IPs differ and are not empty,
//   SPOT_RECLAIMED      restriction became SPOT_RECLAIMED,
//   ISOLATED            the instance became isolated, or its restriction or
//                       isolated source changed while isolated; an unknown
//                       source is inferred from the restriction.
// FELL_BACK per attempt of a candidates order that after has and before
// has not, but the first only when the order passed over (Order.skipped) a
// cell the client listed before it (billing, then zone, then type).
// ORDER_FINAL when after's state is final and differs from before's.
// Fields before and after do not share (last_changes, times, revision) are
// ignored. Empty when nothing listed changed.
std::vector<provisioning::v1::OrderChange> ChangesBetween(const provisioning::v1::Order& before,
                                                          const provisioning::v1::Order& after);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_ORDER_CHANGES_H_
