// Node groups for the client's tests (render, group view, commands), in
// protobuf text format: group "workers" of 3 S5.MEDIUM2 pay-as-you-go
// instances in ap-guangzhou-3 (min 1, max 5), created 2024-05-01T10:00:00Z,
// at four moments of its life, and one stuck on sold-out cells.
#ifndef CVM_PROVISIONER_CLI_TEST_GROUPS_H_
#define CVM_PROVISIONER_CLI_TEST_GROUPS_H_

#include <string>

#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "provisioning/v1/node_groups.pb.h"

namespace cvm::cli::testing {

// What every version below shares.
inline constexpr char kGroupBase[] = R"pb(
  group_id: "workers"
  tenant: "t-1"
  state: ACTIVE
  min_size: 1
  max_size: 5
  target_size: 3
  labels { key: "pool" value: "workers" }
  labels { key: "team" value: "infra" }
  create_time { seconds: 1714557600 }
  spec {
    region: "ap-guangzhou"
    zone: "ap-guangzhou-3"
    instance_type: "S5.MEDIUM2"
    image_id: "img-1"
    pay_as_you_go {}
  }
)pb";

// Revision 1, as CreateNodeGroup answers: nothing yet.
inline constexpr char kGroupCreated[] = R"pb(
  revision: 1
  update_time { seconds: 1714557600 }
)pb";

// Revision 3, 0.5 s later: 3 ordered, ins-1 and ins-2 named (CREATING).
inline constexpr char kGroupCreating[] = R"pb(
  revision: 3
  update_time { seconds: 1714557600 nanos: 500000000 }
  status {
    creating: 3
    orders_placed: 1
    order_ids: "ord-1"
    instances { instance_id: "ins-1" phase: CREATING }
    instances { instance_id: "ins-2" phase: CREATING }
    events {
      kind: SCALING_UP
      count: 3
      message: "ordering 3 instance(s)"
      time { seconds: 1714557600 nanos: 200000000 }
    }
  }
)pb";

// Revision 6, 2 s after creation: all 3 RUNNING, at target.
inline constexpr char kGroupAtTarget[] = R"pb(
  revision: 6
  update_time { seconds: 1714557602 }
  status {
    running: 3
    orders_placed: 1
    order_ids: "ord-1"
    instances { instance_id: "ins-1" phase: RUNNING }
    instances { instance_id: "ins-2" phase: RUNNING }
    instances { instance_id: "ins-3" phase: RUNNING }
    events {
      kind: SCALING_UP
      count: 3
      message: "ordering 3 instance(s)"
      time { seconds: 1714557600 nanos: 200000000 }
    }
    events {
      kind: AT_TARGET
      count: 3
      message: "3 running, at target"
      time { seconds: 1714557602 }
    }
  }
)pb";

// Revision 9, 5 s after creation: DELETED (its instances released).
inline constexpr char kGroupDeleted[] = R"pb(
  state: DELETED
  release_on_delete: true
  revision: 9
  update_time { seconds: 1714557605 }
  status { orders_placed: 1 order_ids: "ord-1" }
)pb";

// Revision 4, 3 s after creation: the candidate cells are sold out; second
// failure in a row, next try 20 s later.
inline constexpr char kGroupUnsatisfiable[] = R"pb(
  revision: 4
  update_time { seconds: 1714557603 }
  candidates {
    zones: [ "ap-guangzhou-3", "ap-guangzhou-4" ]
    billing { spot { max_price_per_hour: "0.10" } }
    billing { pay_as_you_go {} }
  }
  status {
    orders_placed: 2
    unsatisfiable {
      reason: "NO_CANDIDATE_CELL"
      message: "no candidate cell has stock"
      out_of_resources: true
      failures: 2
      order_id: "ord-2"
      orders_placed: 2
      retry_time { seconds: 1714557623 }
    }
    events {
      kind: UNSATISFIABLE
      count: 3
      message: "NO_CANDIDATE_CELL: no candidate cell has stock"
      time { seconds: 1714557603 }
    }
  }
)pb";

// kGroupBase with `version` (one of the above) merged on top; each instance
// is of ord-1, in ap-guangzhou-3, S5.MEDIUM2 pay-as-you-go at 0.16/h.
inline provisioning::v1::NodeGroup TestGroup(const char* version) {
  provisioning::v1::NodeGroup group;
  provisioning::v1::NodeGroup on_top;
  if (!google::protobuf::TextFormat::ParseFromString(kGroupBase, &group) ||
      !google::protobuf::TextFormat::ParseFromString(version, &on_top)) {
    ADD_FAILURE() << "not a NodeGroup in text format: " << version;
  }
  group.MergeFrom(on_top);
  for (provisioning::v1::NodeGroupInstance& instance :
       *group.mutable_status()->mutable_instances()) {
    instance.set_order_id("ord-1");
    instance.set_zone("ap-guangzhou-3");
    instance.set_instance_type("S5.MEDIUM2");
    instance.mutable_billing()->mutable_pay_as_you_go();
    instance.set_unit_price_per_hour("0.16");
  }
  return group;
}

}  // namespace cvm::cli::testing

#endif  // CVM_PROVISIONER_CLI_TEST_GROUPS_H_
