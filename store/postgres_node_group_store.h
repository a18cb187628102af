// A NodeGroupStore in PostgreSQL, for replicas that share one database: every
// replica sees the same groups, and their writes of one group serialize.
//
// Table node_groups(tenant, group_id, revision, body: the NodeGroup as
// protobuf bytes), primary key (tenant, group_id), created by the PostgreSQL
// order store's migration 4 (open the order store first).
//
// Update() runs in one transaction: SELECT ... FOR UPDATE locks the group's
// row, the mutation runs on what it read, the new version is written and
// committed. A second replica's Update() of the same group waits for that
// lock and then reads the first one's write (READ COMMITTED re-reads a row
// locked FOR UPDATE once it is released), so no read-modify-write is lost.
// Create() is one INSERT ... ON CONFLICT DO NOTHING; Get() and List() one
// read each.
//
// Contract: NodeGroupStore's. Thread-safe: calls are serialized on one
// dedicated connection, which connects on first use. UNAVAILABLE when the
// server cannot be reached or the connection is lost (also mid-call; the
// transaction is then rolled back by the server); the next call reconnects.
// A connection lost during COMMIT leaves the update's outcome unknown: read
// the group again. Errors never carry the conninfo (it may hold a password).
#ifndef CVM_PROVISIONER_STORE_POSTGRES_NODE_GROUP_STORE_H_
#define CVM_PROVISIONER_STORE_POSTGRES_NODE_GROUP_STORE_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "store/node_group_store.h"
#include "store/pg_connection.h"

namespace cvm {

class PostgresNodeGroupStore : public NodeGroupStore {
 public:
  // `conninfo`: as for PostgresOrderStore. Connects on first use.
  explicit PostgresNodeGroupStore(std::string conninfo, Clock* clock = RealClock::Get())
      : clock_(clock), connection_(std::move(conninfo)) {}

  absl::StatusOr<NodeGroup> Create(NodeGroup group) override;
  absl::StatusOr<NodeGroup> Update(const std::string& tenant, const std::string& group_id,
                                   const Mutation& mutate) override;
  absl::StatusOr<NodeGroup> Get(const std::string& tenant, const std::string& group_id) override;
  absl::StatusOr<std::vector<NodeGroup>> List() override;
  absl::StatusOr<std::vector<NodeGroup>> ListOfTenant(const std::string& tenant) override;

 private:
  // Update()'s transaction; the caller rolls back on an error.
  absl::StatusOr<NodeGroup> UpdateLocked(const std::string& tenant, const std::string& group_id,
                                         const Mutation& mutate) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One statement outside a transaction; a failure ends what it left open.
  absl::StatusOr<pg::Result> ExecLocked(absl::string_view what, const std::string& sql,
                                        const std::vector<pg::Param>& params)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The groups `sql` selects (their bodies, in its order).
  absl::StatusOr<std::vector<NodeGroup>> ListLocked(const std::string& sql,
                                                    const std::vector<pg::Param>& params)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  absl::Mutex mu_;
  pg::Connection connection_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_POSTGRES_NODE_GROUP_STORE_H_
