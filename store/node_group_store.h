// Where node groups live (proto/provisioning/v1/node_groups.proto): one
// record per (tenant, group_id), written whole, each write bumping the
// group's revision. Memory here; SQLite and PostgreSQL beside the order
// stores, so a group survives a SIGKILL and is shared by replicas.
//
// Update() is a read-modify-write that no other write of the same group
// interleaves with (PostgreSQL: a row lock), so two replicas that both see a
// gap cannot both record an order for it: the second sees the first's write.
//
// Contract: thread-safe. Errors: NOT_FOUND for an unknown group,
// ALREADY_EXISTS for a taken id, UNAVAILABLE when the store cannot be
// reached, INTERNAL for a record that does not parse; a mutation's own error
// is returned as is and nothing is written.
#ifndef CVM_PROVISIONER_STORE_NODE_GROUP_STORE_H_
#define CVM_PROVISIONER_STORE_NODE_GROUP_STORE_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "provisioning/v1/node_groups.pb.h"

namespace cvm {

class NodeGroupStore {
 public:
  using NodeGroup = provisioning::v1::NodeGroup;
  // Changes the group in place; an error aborts the write.
  using Mutation = std::function<absl::Status(NodeGroup&)>;

  virtual ~NodeGroupStore() = default;

  // Stores `group` (its tenant and group_id name it) at revision 1, with
  // create_time and update_time now. ALREADY_EXISTS when the tenant has a
  // group of that id, DELETED ones included.
  virtual absl::StatusOr<NodeGroup> Create(NodeGroup group) = 0;
  // Applies `mutate` to the stored group and stores the result with the
  // revision bumped and update_time now; when `mutate` changed nothing,
  // nothing is written and the stored group is returned.
  virtual absl::StatusOr<NodeGroup> Update(const std::string& tenant, const std::string& group_id,
                                           const Mutation& mutate) = 0;
  virtual absl::StatusOr<NodeGroup> Get(const std::string& tenant,
                                        const std::string& group_id) = 0;
  // Every group of every tenant (DELETED ones too), by tenant then group_id.
  virtual absl::StatusOr<std::vector<NodeGroup>> List() = 0;
  // The groups of `tenant` (DELETED ones too), by group_id: the store reads
  // only that tenant's (its primary key starts with the tenant).
  virtual absl::StatusOr<std::vector<NodeGroup>> ListOfTenant(const std::string& tenant) = 0;
};

// Groups in process memory (tests; the memory order store's companion).
class MemoryNodeGroupStore : public NodeGroupStore {
 public:
  explicit MemoryNodeGroupStore(Clock* clock = RealClock::Get()) : clock_(clock) {}

  absl::StatusOr<NodeGroup> Create(NodeGroup group) override;
  absl::StatusOr<NodeGroup> Update(const std::string& tenant, const std::string& group_id,
                                   const Mutation& mutate) override;
  absl::StatusOr<NodeGroup> Get(const std::string& tenant, const std::string& group_id) override;
  absl::StatusOr<std::vector<NodeGroup>> List() override;
  absl::StatusOr<std::vector<NodeGroup>> ListOfTenant(const std::string& tenant) override;

 private:
  Clock* const clock_;
  absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, NodeGroup> groups_ ABSL_GUARDED_BY(mu_);
};

// The write every store does around a mutation: applies `mutate` to a copy
// of `stored`; `changed` false (and `stored` returned) when it changed nothing, else
// the new version with the revision bumped and update_time `now`.
absl::StatusOr<provisioning::v1::NodeGroup> MutatedGroup(
    const provisioning::v1::NodeGroup& stored, const NodeGroupStore::Mutation& mutate,
    absl::Time now, bool& changed);

// What every store's Create() stores: `group` at revision 1, created and
// updated `now`.
provisioning::v1::NodeGroup NewGroup(provisioning::v1::NodeGroup group, absl::Time now);
// The errors every store returns: NOT_FOUND and ALREADY_EXISTS naming the group.
absl::Status GroupNotFound(const std::string& group_id);
absl::Status GroupAlreadyExists(const std::string& group_id);
// A stored record; INTERNAL "<store>: unparsable node group row" when it
// does not parse.
absl::StatusOr<provisioning::v1::NodeGroup> ParseGroup(const std::string& bytes,
                                                       const char* store);

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_NODE_GROUP_STORE_H_
