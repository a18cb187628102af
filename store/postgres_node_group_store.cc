#include "store/postgres_node_group_store.h"

#include <utility>

#include "common/status_macros.h"

namespace cvm {

absl::StatusOr<pg::Result> PostgresNodeGroupStore::ExecLocked(
    absl::string_view what, const std::string& sql, const std::vector<pg::Param>& params) {
  absl::StatusOr<pg::Result> result = connection_.Exec(what, sql, params);
  if (!result.ok()) connection_.Rollback();
  return result;
}

absl::StatusOr<NodeGroupStore::NodeGroup> PostgresNodeGroupStore::Create(NodeGroup group) {
  absl::MutexLock lock(&mu_);
  group = NewGroup(std::move(group), clock_->Now());
  ASSIGN_OR_RETURN(pg::Result inserted,
                   ExecLocked("creating a node group",
                              "INSERT INTO node_groups (tenant, group_id, revision, body)"
                              " VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, group_id) DO NOTHING"
                              " RETURNING revision",
                              {pg::Text(group.tenant()), pg::Text(group.group_id()),
                               pg::Int(group.revision()), pg::Bytes(group.SerializeAsString())}));
  if (inserted.rows() == 0) return GroupAlreadyExists(group.group_id());
  return group;
}

absl::StatusOr<NodeGroupStore::NodeGroup> PostgresNodeGroupStore::Update(
    const std::string& tenant, const std::string& group_id, const Mutation& mutate) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<NodeGroup> updated = UpdateLocked(tenant, group_id, mutate);
  // Nothing written; a lost connection is dropped, the next call reconnects.
  if (!updated.ok()) connection_.Rollback();
  return updated;
}

absl::StatusOr<NodeGroupStore::NodeGroup> PostgresNodeGroupStore::UpdateLocked(
    const std::string& tenant, const std::string& group_id, const Mutation& mutate) {
  RETURN_IF_ERROR(connection_.ExecScript("beginning a transaction", "BEGIN"));
  // The row lock: other replicas' updates of this group wait until COMMIT.
  ASSIGN_OR_RETURN(pg::Result row,
                   connection_.Exec("locking a node group",
                                    "SELECT body FROM node_groups"
                                    " WHERE tenant = $1 AND group_id = $2 FOR UPDATE",
                                    {pg::Text(tenant), pg::Text(group_id)}));
  if (row.rows() == 0) return GroupNotFound(group_id);
  ASSIGN_OR_RETURN(NodeGroup stored, ParseGroup(row.Bytes(0, 0), "postgres"));
  bool changed = false;
  ASSIGN_OR_RETURN(NodeGroup next, MutatedGroup(stored, mutate, clock_->Now(), changed));
  if (changed) {
    RETURN_IF_ERROR(connection_
                        .Exec("writing a node group",
                              "UPDATE node_groups SET revision = $3, body = $4"
                              " WHERE tenant = $1 AND group_id = $2",
                              {pg::Text(tenant), pg::Text(group_id), pg::Int(next.revision()),
                               pg::Bytes(next.SerializeAsString())})
                        .status());
  }
  RETURN_IF_ERROR(connection_.ExecScript("committing", "COMMIT"));
  return next;
}

absl::StatusOr<NodeGroupStore::NodeGroup> PostgresNodeGroupStore::Get(const std::string& tenant,
                                                                      const std::string& group_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(pg::Result row,
                   ExecLocked("reading a node group",
                              "SELECT body FROM node_groups WHERE tenant = $1 AND group_id = $2",
                              {pg::Text(tenant), pg::Text(group_id)}));
  if (row.rows() == 0) return GroupNotFound(group_id);
  return ParseGroup(row.Bytes(0, 0), "postgres");
}

absl::StatusOr<std::vector<NodeGroupStore::NodeGroup>> PostgresNodeGroupStore::ListLocked(
    const std::string& sql, const std::vector<pg::Param>& params) {
  ASSIGN_OR_RETURN(pg::Result rows, ExecLocked("listing node groups", sql, params));
  std::vector<NodeGroup> groups;
  for (int i = 0; i < rows.rows(); ++i) {
    ASSIGN_OR_RETURN(NodeGroup group, ParseGroup(rows.Bytes(i, 0), "postgres"));
    groups.push_back(std::move(group));
  }
  return groups;
}

absl::StatusOr<std::vector<NodeGroupStore::NodeGroup>> PostgresNodeGroupStore::List() {
  absl::MutexLock lock(&mu_);
  // COLLATE "C" columns: bytewise order, as the other stores'.
  return ListLocked("SELECT body FROM node_groups ORDER BY tenant, group_id", {});
}

absl::StatusOr<std::vector<NodeGroupStore::NodeGroup>> PostgresNodeGroupStore::ListOfTenant(
    const std::string& tenant) {
  absl::MutexLock lock(&mu_);
  return ListLocked("SELECT body FROM node_groups WHERE tenant = $1 ORDER BY group_id",
                    {pg::Text(tenant)});
}

}  // namespace cvm
