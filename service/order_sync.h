// Bringing a stored order in line with what the cloud reports: the pure part
// of a polling round (service/poller.h does the I/O around it).
//
// Contract: pure functions, thread-compatible, no I/O.
#ifndef CVM_PROVISIONER_SERVICE_ORDER_SYNC_H_
#define CVM_PROVISIONER_SERVICE_ORDER_SYNC_H_

#include <map>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "provisioning/v1/provisioning.pb.h"

namespace cvm {

// Ids of the order's instances that may still change: neither TERMINATED nor
// LAUNCH_FAILED, in the order's order.
std::vector<std::string> LiveInstanceIds(const provisioning::v1::Order& order);

// The live instances a release (Terminate, or its retry) still has to ask
// for: LiveInstanceIds less those returned to the cloud's recycle bin, which
// the cloud releases on its own and a second TerminateInstances would
// destroy at once (backends/backend.h rule 8).
std::vector<std::string> IdsToRelease(const provisioning::v1::Order& order);

// Copies what the cloud said (`seen`, by instance id) onto the order's
// instances: state, restriction, isolated source, IPs, zone, create time.
// Instances missing from `seen` are left as they are. An instance that goes
// down (from PENDING, RUNNING or STOPPED) while the order is not TERMINATING
// is marked by the cloud's evidence,
// and stays marked (an instance with release_requested went down because this
// service asked): RELEASED_OUTSIDE when the cloud reports a release request
// (InstanceStatus::release_requested: someone else's TerminateInstances);
// SPOT_RECLAIMED for a spot instance seen SHUTDOWN without one (the cloud
// says a reclaim only by stopping and then dropping it); a spot instance gone
// between two polls without either is only TERMINATED. An isolated instance (ISOLATED_ARREARS, EXPIRED, or returned:
// ISOLATED_MANUALLY) that is then released keeps its restriction and isolated
// source, which the cloud no longer reports once the instance is gone. A
// prepaid instance's expire_time follows the cloud's (renewals move it).
void ApplyObserved(const std::map<std::string, InstanceStatus>& seen,
                   provisioning::v1::Order& order);

// Moves PROVISIONING to ACTIVE (every instance RUNNING, with a public IP when
// one was asked for) or FAILED (none pending, some failed to launch or gone),
// and TERMINATING to TERMINATED once every instance is. Instances released on
// request one by one (Instance.release_requested), and instances taken away
// after launch (SPOT_RECLAIMED, RELEASED_OUTSIDE, isolated, or down after
// they ran: Instance.ran, set here when seen RUNNING; a stopped or
// restarting one, STOPPED or PENDING, is not down), count only while
// the whole order is TERMINATING: the order is ACTIVE once the others run
// (FAILED, INSTANCES_TAKEN_AWAY, when none is left).
void Settle(provisioning::v1::Order& order);

// True while the order is worth polling often: TERMINATING with an instance
// not yet returned to the cloud's recycle bin (returned ones are released by
// the cloud days later), or PROVISIONING / ACTIVE with an instance PENDING,
// RUNNING without the public IP it asked for, or released on its own
// (release_requested) and not yet gone nor returned. False once it is steady.
bool NeedsFastPolling(const provisioning::v1::Order& order);

}  // namespace cvm

#endif  // CVM_PROVISIONER_SERVICE_ORDER_SYNC_H_
