"""Buys 3 instances and prints every Watch event until the order is ACTIVE.

Usage (with the service running, see README):
  PYTHONPATH=bazel-bin/proto /usr/bin/python3 tests/python/client_example.py \
      --target 127.0.0.1:50051
"""
import argparse
import sys
import time

import grpc

from provisioning.v1 import provisioning_pb2 as pb
from provisioning.v1 import provisioning_pb2_grpc as pb_grpc
from provisioner_client import describe_event, purchase_request


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--request-id", default=f"example-{int(time.time())}")
    parser.add_argument("--spot-max-price", help="buy spot instances at most this price/hour")
    args = parser.parse_args()

    stub = pb_grpc.ProvisioningStub(grpc.insecure_channel(args.target))
    try:
        request = purchase_request(args.request_id, args.count)
        if args.spot_max_price:
            request.spec.spot.max_price_per_hour = args.spot_max_price
        order = stub.Purchase(request, timeout=60)
    except grpc.RpcError as error:
        print(f"purchase failed: {error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    billing = order.spec.WhichOneof("billing")
    print(f"order {order.name} {pb.Order.State.Name(order.state)}: "
          f"{order.instance_count} {billing} instances ordered from backend {order.backend}")
    for event in stub.Watch(pb.WatchRequest(order_id=order.order_id), timeout=300):
        print(describe_event(event), flush=True)
        if not event.orders:  # PROGRESS: nothing changed for a while
            continue
        state = event.orders[0].state
        if state in (pb.Order.ACTIVE, pb.Order.FAILED, pb.Order.TERMINATED):
            return 0 if state == pb.Order.ACTIVE else 1
    return 1


if __name__ == "__main__":
    sys.exit(main())
