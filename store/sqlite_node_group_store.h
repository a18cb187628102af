// A NodeGroupStore in the SQLite file of the orders (store/sqlite_order_store.h):
// one row per (tenant, group_id) in table node_groups, the NodeGroup as
// protobuf bytes beside its revision. Groups survive a restart and a SIGKILL.
//
// Design: the table is the order store's migration 3, so the file has one
// schema history (schema_migrations) and a binary that is too old refuses the
// file in one place. The group store has its own connection to the file, so
// the order store's group commit and lock stay as they are: WAL lets the two
// connections read while the other writes, and both wait for each other's
// write lock (busy_timeout, 5 s) instead of failing. A group write never
// shares an order commit's fsync; group writes are rare (a resize, an order
// placed or finished), so that costs little.
//
// Open: the order store must have opened (so migrated) the file first;
// FAILED_PRECONDITION when the file has no node_groups table, UNAVAILABLE
// when it cannot be opened.
//
// Durability: a write is on disk (synchronous=FULL, fsync) before it
// returns, or, with fsync_each_commit false (the order store's
// "?sync=normal"), survives a process crash but maybe not a power cut.
//
// Update() reads, mutates and writes in one BEGIN IMMEDIATE transaction: the
// write lock is taken first, so no other connection writes in between.
//
// Contract: NodeGroupStore's. Thread-safe: calls are serialized on the one
// connection. Errors: UNAVAILABLE for SQLite's I/O or busy errors; INTERNAL
// for a row that does not parse.
#ifndef CVM_PROVISIONER_STORE_SQLITE_NODE_GROUP_STORE_H_
#define CVM_PROVISIONER_STORE_SQLITE_NODE_GROUP_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "store/node_group_store.h"
#include "store/sqlite_statement.h"

struct sqlite3;

namespace cvm {

class SqliteNodeGroupStore : public NodeGroupStore {
 public:
  struct Options {
    // As SqliteOrderStore::Options::fsync_each_commit: pass the order store's.
    bool fsync_each_commit = true;
  };
  // Opens the database at `path`, which SqliteOrderStore::Open() migrated.
  static absl::StatusOr<std::unique_ptr<SqliteNodeGroupStore>> Open(const std::string& path,
                                                                    Clock* clock, Options options);
  ~SqliteNodeGroupStore() override;

  absl::StatusOr<NodeGroup> Create(NodeGroup group) override;
  absl::StatusOr<NodeGroup> Update(const std::string& tenant, const std::string& group_id,
                                   const Mutation& mutate) override;
  absl::StatusOr<NodeGroup> Get(const std::string& tenant, const std::string& group_id) override;
  absl::StatusOr<std::vector<NodeGroup>> List() override;
  absl::StatusOr<std::vector<NodeGroup>> ListOfTenant(const std::string& tenant) override;

 private:
  SqliteNodeGroupStore(sqlite3* db, Clock* clock) : db_(db), clock_(clock) {}
  absl::StatusOr<NodeGroup> GetLocked(const std::string& tenant, const std::string& group_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Update()'s transaction, begun; the caller rolls back on an error.
  absl::StatusOr<NodeGroup> UpdateLocked(const std::string& tenant, const std::string& group_id,
                                         const Mutation& mutate) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The groups `query` selects (their bodies, in its order).
  absl::StatusOr<std::vector<NodeGroup>> ReadAll(sqlite::Statement& query)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  sqlite3* const db_;
  Clock* const clock_;
  absl::Mutex mu_;
  sqlite::StatementCache statements_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cvm

#endif  // CVM_PROVISIONER_STORE_SQLITE_NODE_GROUP_STORE_H_
