#include "store/node_group_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "google/protobuf/util/message_differencer.h"

namespace cvm {

using provisioning::v1::NodeGroup;

absl::StatusOr<NodeGroup> MutatedGroup(const NodeGroup& stored,
                                       const NodeGroupStore::Mutation& mutate, absl::Time now,
                                       bool& changed) {
  NodeGroup next = stored;
  RETURN_IF_ERROR(mutate(next));
  changed = !google::protobuf::util::MessageDifferencer::Equals(next, stored);
  if (!changed) return stored;
  // Identity is the store's, not the mutation's.
  next.set_tenant(stored.tenant());
  next.set_group_id(stored.group_id());
  *next.mutable_create_time() = stored.create_time();
  next.set_revision(stored.revision() + 1);
  *next.mutable_update_time() = ProtoOf(now);
  return next;
}

NodeGroup NewGroup(NodeGroup group, absl::Time now) {
  group.set_revision(1);
  *group.mutable_create_time() = ProtoOf(now);
  *group.mutable_update_time() = group.create_time();
  return group;
}

absl::Status GroupNotFound(const std::string& group_id) {
  return absl::NotFoundError(absl::StrCat("node group \"", group_id, "\" not found"));
}

absl::Status GroupAlreadyExists(const std::string& group_id) {
  return absl::AlreadyExistsError(absl::StrCat("node group \"", group_id, "\" already exists"));
}

absl::StatusOr<NodeGroup> ParseGroup(const std::string& bytes, const char* store) {
  NodeGroup group;
  if (!group.ParseFromString(bytes)) {
    return absl::InternalError(absl::StrCat(store, ": unparsable node group row"));
  }
  return group;
}

absl::StatusOr<NodeGroup> MemoryNodeGroupStore::Create(NodeGroup group) {
  absl::MutexLock lock(&mu_);
  auto key = std::make_pair(group.tenant(), group.group_id());
  if (groups_.count(key) > 0) return GroupAlreadyExists(group.group_id());
  group = NewGroup(std::move(group), clock_->Now());
  groups_[key] = group;
  return group;
}

absl::StatusOr<NodeGroup> MemoryNodeGroupStore::Update(const std::string& tenant,
                                                       const std::string& group_id,
                                                       const Mutation& mutate) {
  absl::MutexLock lock(&mu_);
  auto it = groups_.find({tenant, group_id});
  if (it == groups_.end()) return GroupNotFound(group_id);
  bool changed = false;
  ASSIGN_OR_RETURN(NodeGroup next, MutatedGroup(it->second, mutate, clock_->Now(), changed));
  if (changed) it->second = next;
  return next;
}

absl::StatusOr<NodeGroup> MemoryNodeGroupStore::Get(const std::string& tenant,
                                                    const std::string& group_id) {
  absl::MutexLock lock(&mu_);
  auto it = groups_.find({tenant, group_id});
  if (it == groups_.end()) return GroupNotFound(group_id);
  return it->second;
}

absl::StatusOr<std::vector<NodeGroup>> MemoryNodeGroupStore::List() {
  absl::MutexLock lock(&mu_);
  std::vector<NodeGroup> all;
  for (const auto& [key, group] : groups_) all.push_back(group);
  return all;
}

absl::StatusOr<std::vector<NodeGroup>> MemoryNodeGroupStore::ListOfTenant(
    const std::string& tenant) {
  absl::MutexLock lock(&mu_);
  std::vector<NodeGroup> mine;
  for (auto it = groups_.lower_bound({tenant, ""});
       it != groups_.end() && it->first.first == tenant; ++it) {
    mine.push_back(it->second);
  }
  return mine;
}

}  // namespace cvm
