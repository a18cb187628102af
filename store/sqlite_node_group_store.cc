#include "store/sqlite_node_group_store.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace cvm {

using sqlite::Error;
using sqlite::Exec;
using sqlite::Statement;

absl::StatusOr<std::unique_ptr<SqliteNodeGroupStore>> SqliteNodeGroupStore::Open(
    const std::string& path, Clock* clock, Options options) {
  // No SQLITE_OPEN_CREATE: the order store made and migrated the file.
  ASSIGN_OR_RETURN(sqlite3* db, sqlite::Open(path, SQLITE_OPEN_READWRITE));
  std::unique_ptr<SqliteNodeGroupStore> store(new SqliteNodeGroupStore(db, clock));
  // Per connection: the order store's journal_mode=WAL is the file's, these
  // are not. busy_timeout: wait for the order store's write lock.
  RETURN_IF_ERROR(
      Exec(db, absl::StrCat("PRAGMA synchronous=", options.fsync_each_commit ? "FULL" : "NORMAL",
                            "; PRAGMA busy_timeout=5000;")));
  Statement table(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'node_groups'");
  const int rc = table.Step();
  if (rc == SQLITE_DONE) {
    return absl::FailedPreconditionError(
        absl::StrCat("sqlite: ", path,
                     " has no node_groups table: open the order store on it first (its "
                     "migrations create the table)"));
  }
  if (rc != SQLITE_ROW) return Error(db, "reading the schema");
  return store;
}

// close_v2: the connection closes once the cached statements are finalized
// (the members are destroyed after this body).
SqliteNodeGroupStore::~SqliteNodeGroupStore() { sqlite3_close_v2(db_); }

absl::StatusOr<NodeGroupStore::NodeGroup> SqliteNodeGroupStore::Create(NodeGroup group) {
  absl::MutexLock lock(&mu_);
  group = NewGroup(std::move(group), clock_->Now());
  Statement insert(db_,
                   "INSERT INTO node_groups (tenant, group_id, revision, body)"
                   " VALUES (?1, ?2, ?3, ?4)",
                   statements_);
  insert.Text(1, group.tenant())
      .Text(2, group.group_id())
      .Int(3, group.revision())
      .Blob(4, group.SerializeAsString());
  const int rc = insert.Step();
  if (rc == SQLITE_CONSTRAINT && sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return GroupAlreadyExists(group.group_id());
  }
  if (rc != SQLITE_DONE) return Error(db_, "creating a node group");
  return group;
}

absl::StatusOr<NodeGroupStore::NodeGroup> SqliteNodeGroupStore::Update(const std::string& tenant,
                                                                       const std::string& group_id,
                                                                       const Mutation& mutate) {
  absl::MutexLock lock(&mu_);
  // IMMEDIATE: the write lock before the read, so no other connection (the
  // order store's) writes between them, and no upgrade can fail as busy.
  RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
  absl::StatusOr<NodeGroup> updated = UpdateLocked(tenant, group_id, mutate);
  if (!updated.ok()) Exec(db_, "ROLLBACK").IgnoreError();  // nothing written
  return updated;
}

absl::StatusOr<NodeGroupStore::NodeGroup> SqliteNodeGroupStore::UpdateLocked(
    const std::string& tenant, const std::string& group_id, const Mutation& mutate) {
  ASSIGN_OR_RETURN(NodeGroup stored, GetLocked(tenant, group_id));
  bool changed = false;
  ASSIGN_OR_RETURN(NodeGroup next, MutatedGroup(stored, mutate, clock_->Now(), changed));
  if (changed) {
    RETURN_IF_ERROR(Statement(db_,
                              "UPDATE node_groups SET revision = ?3, body = ?4"
                              " WHERE tenant = ?1 AND group_id = ?2",
                              statements_)
                        .Text(1, tenant)
                        .Text(2, group_id)
                        .Int(3, next.revision())
                        .Blob(4, next.SerializeAsString())
                        .Run("writing a node group"));
  }
  RETURN_IF_ERROR(Exec(db_, "COMMIT"));
  return next;
}

absl::StatusOr<NodeGroupStore::NodeGroup> SqliteNodeGroupStore::GetLocked(
    const std::string& tenant, const std::string& group_id) {
  Statement query(db_, "SELECT body FROM node_groups WHERE tenant = ?1 AND group_id = ?2",
                  statements_);
  query.Text(1, tenant).Text(2, group_id);
  const int rc = query.Step();
  if (rc == SQLITE_DONE) return GroupNotFound(group_id);
  if (rc != SQLITE_ROW) return Error(db_, "reading a node group");
  return ParseGroup(query.ColumnBlob(0), "sqlite");
}

absl::StatusOr<NodeGroupStore::NodeGroup> SqliteNodeGroupStore::Get(const std::string& tenant,
                                                                    const std::string& group_id) {
  absl::MutexLock lock(&mu_);
  return GetLocked(tenant, group_id);
}

absl::StatusOr<std::vector<NodeGroupStore::NodeGroup>> SqliteNodeGroupStore::ReadAll(
    Statement& query) {
  std::vector<NodeGroup> groups;
  int rc;
  while ((rc = query.Step()) == SQLITE_ROW) {
    ASSIGN_OR_RETURN(NodeGroup group, ParseGroup(query.ColumnBlob(0), "sqlite"));
    groups.push_back(std::move(group));
  }
  if (rc != SQLITE_DONE) return Error(db_, "listing node groups");
  return groups;
}

absl::StatusOr<std::vector<NodeGroupStore::NodeGroup>> SqliteNodeGroupStore::List() {
  absl::MutexLock lock(&mu_);
  // BINARY collation: bytewise, as the memory store's std::map.
  Statement query(db_, "SELECT body FROM node_groups ORDER BY tenant, group_id", statements_);
  return ReadAll(query);
}

absl::StatusOr<std::vector<NodeGroupStore::NodeGroup>> SqliteNodeGroupStore::ListOfTenant(
    const std::string& tenant) {
  absl::MutexLock lock(&mu_);
  Statement query(db_, "SELECT body FROM node_groups WHERE tenant = ?1 ORDER BY group_id",
                  statements_);
  query.Text(1, tenant);
  return ReadAll(query);
}

}  // namespace cvm
