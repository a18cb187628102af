// A small Node client of the provisioning API (provisioning.v1.Provisioning),
// with the .proto loaded at runtime by @grpc/proto-loader: no generated code.
//
// Contract:
// - new ProvisionerClient(target, options) connects lazily (as grpc-js does);
//   close() releases the channel. One client may serve many concurrent calls.
// - purchase/describe/quote/terminate return Promises of plain objects: field
//   names as in the .proto (snake_case), enums as their names ("ACTIVE"),
//   int64 as Number (revisions stay far below 2^53), defaults filled in.
//   They reject with grpc-js's error (error.code is a grpc.status number);
//   richStatus(error) decodes the google.rpc.Status of its
//   grpc-status-details-bin trailer (BadRequest, ErrorInfo, ...).
// - watch(request) is an async generator of WatchEvents; leaving the loop
//   (break, return, throw) cancels the call. A status other than OK or
//   CANCELLED is thrown from the loop (e.g. OUT_OF_RANGE for a start_revision
//   ahead of the store).
// - updates(request) yields one { type, revision, order } per order in a
//   SNAPSHOT and per change in a CHANGE, in both shapes of a CHANGE: one order
//   at event.revision, or (WatchRequest.batch_changes) several orders with
//   orders[i] changed at revisions[i], oldest first (flattenEvent).
//   PROGRESS and ACCOUNT events carry no order and yield nothing.
//
// As a command: buys instances and prints every change until the order is
// ACTIVE (exit 0) or FAILED/TERMINATED (exit 1); see docs/node-client.md.
const path = require("node:path");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");
const protobuf = require("protobufjs");

// The repository's proto/ folder (the import root of provisioning.proto), and
// Debian's googleapis protos (golang-github-gogo-googleapis-dev) for google.rpc.
const DEFAULT_PROTO_DIR = path.join(__dirname, "..", "..", "proto");
const DEFAULT_RPC_PROTO_DIR = "/usr/share/gocode/src/github.com/gogo/googleapis";
const LOADER_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };
const FINAL_STATES = new Set(["ACTIVE", "FAILED", "CANCELLED", "TERMINATED"]);

function deadlineIn(seconds) {
  return new Date(Date.now() + seconds * 1000);
}

// The one (revision, order) per order of a SNAPSHOT and per change of a CHANGE.
function flattenEvent(event) {
  const orders = event.orders || [];
  if (event.type === "SNAPSHOT") {
    return orders.map((order) => ({ type: "SNAPSHOT", revision: Number(event.revision), order }));
  }
  if (event.type !== "CHANGE") return [];
  const revisions = event.revisions || [];
  if (revisions.length === 0) {
    if (orders.length !== 1) throw new Error(`a CHANGE at ${event.revision} has ${orders.length} orders`);
    return [{ type: "CHANGE", revision: Number(event.revision), order: orders[0] }];
  }
  if (revisions.length !== orders.length) {
    throw new Error(`a CHANGE has ${revisions.length} revisions for ${orders.length} orders`);
  }
  return revisions.map((revision, i) => ({ type: "CHANGE", revision: Number(revision), order: orders[i] }));
}

// A valid pay-as-you-go purchase of `count` instances with a public IP.
function purchaseRequest(requestId, count, zone = "ap-guangzhou-3") {
  return {
    request_id: requestId,
    instance_count: count,
    spec: {
      region: "ap-guangzhou",
      zone,
      instance_type: "S5.MEDIUM2",
      image_id: "img-pi0ii46r",
      internet: { public_ip: true, max_bandwidth_out_mbps: 10, charge_type: "TRAFFIC_POSTPAID_BY_HOUR" },
      pay_as_you_go: {},
    },
  };
}

// One line per update: revision, type, order, state, instances (or the failure).
function describeUpdate({ type, revision, order }) {
  const instances = order.state === "FAILED"
    ? `${order.failure.reason}: ${order.failure.message}`
    : order.instances.map((i) => `${i.instance_id}:${i.state}:${i.public_ips.join(",") || "-"}`).join(" ");
  return `revision ${String(revision).padEnd(4)} ${type.padEnd(8)} ${order.order_id} ` +
         `${order.state.padEnd(12)} ${instances}`;
}

class ProvisionerClient {
  // options: protoDir, rpcProtoDir (see above), credentials (default
  // insecure), metadata (a grpc.Metadata sent with every call, e.g. a token).
  constructor(target, options = {}) {
    const protoDir = options.protoDir || DEFAULT_PROTO_DIR;
    const definition = protoLoader.loadSync("provisioning/v1/provisioning.proto",
                                            { ...LOADER_OPTIONS, includeDirs: [protoDir] });
    const { Provisioning } = grpc.loadPackageDefinition(definition).provisioning.v1;
    this.stub = new Provisioning(target, options.credentials || grpc.credentials.createInsecure());
    this.metadata = options.metadata || new grpc.Metadata();
    this.rpcRoot = new protobuf.Root();
    this.rpcRoot.resolvePath = (origin, target) =>
      path.isAbsolute(target) ? target : path.join(options.rpcProtoDir || DEFAULT_RPC_PROTO_DIR, target);
    this.rpcRoot.loadSync(["google/rpc/status.proto", "google/rpc/error_details.proto"],
                         { keepCase: true });
  }

  close() {
    this.stub.close();
  }

  unary(method, request, seconds) {
    return new Promise((resolve, reject) => {
      this.stub[method](request, this.metadata, { deadline: deadlineIn(seconds) },
                        (error, response) => (error ? reject(error) : resolve(response)));
    });
  }

  purchase(request, seconds = 30) { return this.unary("Purchase", request, seconds); }
  describe(request, seconds = 10) { return this.unary("Describe", request, seconds); }
  quote(request, seconds = 10) { return this.unary("Quote", request, seconds); }
  terminate(request, seconds = 30) { return this.unary("Terminate", request, seconds); }

  async *watch(request, seconds = 60) {
    const call = this.stub.Watch(request, this.metadata, { deadline: deadlineIn(seconds) });
    // The iterator below reports errors; after cancel() grpc-js still emits
    // CANCELLED, which must not be an unhandled 'error' event.
    call.on("error", () => {});
    try {
      for await (const event of call) yield event;
    } finally {
      call.cancel();
    }
  }

  async *updates(request, seconds = 60) {
    for await (const event of this.watch(request, seconds)) yield* flattenEvent(event);
  }

  // The updates of one order until its state is in `states` (the last one).
  async watchUntil(orderId, states, startRevision = 0, seconds = 60) {
    const seen = [];
    for await (const update of this.updates({ order_id: orderId, start_revision: startRevision }, seconds)) {
      seen.push(update);
      if (states.includes(update.order.state)) return seen;
    }
    throw new Error(`the watch of ${orderId} ended before ${states.join("/")}`);
  }

  // The google.rpc.Status of a failed call: { code, message, details }, each
  // detail decoded as a plain object with its type name in `@type` (or left
  // as bytes when its type is not in google/rpc/error_details.proto).
  richStatus(error) {
    const [bytes] = (error.metadata && error.metadata.get("grpc-status-details-bin")) || [];
    if (!bytes) return { code: error.code, message: error.details, details: [] };
    const status = this.rpcRoot.lookupType("google.rpc.Status").decode(bytes);
    const details = status.details.map((any) => {
      const name = any.type_url.slice(any.type_url.lastIndexOf("/") + 1);
      const type = this.rpcRoot.lookup(name);
      if (!(type instanceof protobuf.Type)) return { "@type": name, value: any.value };
      return { "@type": name, ...type.toObject(type.decode(any.value), { defaults: true }) };
    });
    return { code: status.code, message: status.message, details };
  }

  // The first detail of a type ("google.rpc.BadRequest"), or undefined.
  detail(error, typeName) {
    return this.richStatus(error).details.find((d) => d["@type"] === typeName);
  }
}

async function main(argv) {
  const { values } = require("node:util").parseArgs({
    args: argv,
    options: {
      target: { type: "string", default: "127.0.0.1:50051" },
      count: { type: "string", default: "3" },
      "request-id": { type: "string", default: `node-example-${Math.floor(Date.now() / 1000)}` },
      "proto-dir": { type: "string" },
      "rpc-proto-dir": { type: "string" },
    },
  });
  const client = new ProvisionerClient(values.target,
    { protoDir: values["proto-dir"], rpcProtoDir: values["rpc-proto-dir"] });
  try {
    const order = await client.purchase(purchaseRequest(values["request-id"], Number(values.count)));
    console.log(`order ${order.name} ${order.state}: ${order.instance_count} ${order.spec.billing} ` +
                `instances ordered from backend ${order.backend}`);
    for await (const update of client.updates({ order_id: order.order_id }, 300)) {
      console.log(describeUpdate(update));
      if (FINAL_STATES.has(update.order.state)) return update.order.state === "ACTIVE" ? 0 : 1;
    }
    return 1;
  } catch (error) {
    console.error(`failed: ${grpc.status[error.code] || error.code}: ${error.details || error.message}`);
    const bad = client.detail(error, "google.rpc.BadRequest");
    for (const v of bad ? bad.field_violations : []) console.error(`  field ${v.field}: ${v.description}`);
    return 1;
  } finally {
    client.close();
  }
}

module.exports = { ProvisionerClient, flattenEvent, purchaseRequest, describeUpdate, grpc };

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
