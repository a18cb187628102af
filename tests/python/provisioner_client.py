"""Small helpers shared by the Python client example and the Python e2e test.

Needs the generated modules on sys.path: provisioning/v1/provisioning_pb2*.py
(Bazel target //proto:provisioning_py) and, for error details,
google/rpc/*_pb2.py (@googleapis_rpc//:rpc_py).
"""
from provisioning.v1 import provisioning_pb2 as pb

ORDER_STATE = pb.Order.State.Name
INSTANCE_STATE = pb.Instance.State.Name


def purchase_request(request_id, count, zone="ap-guangzhou-3"):
    """A valid pay-as-you-go purchase of `count` instances with a public IP."""
    spec = pb.InstanceSpec(
        region="ap-guangzhou",
        zone=zone,
        instance_type="S5.MEDIUM2",
        image_id="img-pi0ii46r",
        internet=pb.InternetAccess(
            public_ip=True,
            max_bandwidth_out_mbps=10,
            charge_type=pb.InternetAccess.TRAFFIC_POSTPAID_BY_HOUR,
        ),
    )
    spec.pay_as_you_go.SetInParent()
    return pb.PurchaseRequest(request_id=request_id, spec=spec, instance_count=count)


def changes_of(event):
    """(revision, order) for each change a CHANGE event carries, oldest first.

    With WatchRequest.batch_changes one event may carry several changes
    (orders[i] changed at revisions[i]); without it, exactly one.
    """
    if event.type != pb.WatchEvent.CHANGE:
        return []
    if len(event.revisions) == len(event.orders):
        return list(zip(event.revisions, event.orders))
    return [(event.revision, order) for order in event.orders]


def describe_event(event):
    """One line per watch event: revision, type, order state, instances."""
    lines = []
    revisions = [r for r, _ in changes_of(event)] or [event.revision] * len(event.orders)
    for revision, order in zip(revisions, event.orders):
        instances = " ".join(
            f"{i.instance_id}:{INSTANCE_STATE(i.state)}:{','.join(i.public_ips) or '-'}"
            for i in order.instances
        )
        if order.state == pb.Order.FAILED:
            instances = f"{order.failure.reason}: {order.failure.message}"
        lines.append(
            f"revision {revision:<4} {pb.WatchEvent.Type.Name(event.type):<8} "
            f"{order.order_id} {ORDER_STATE(order.state):<12} {instances}"
        )
    return "\n".join(lines) or f"revision {event.revision} {pb.WatchEvent.Type.Name(event.type)}"
