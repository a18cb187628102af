// The provisioner from Node: the real binary (fake backend with short delays)
// over gRPC through provisioner_client.js, the .proto loaded at runtime from
// the test's runfiles. Mirrors tests/python/e2e_test.py.
//
// Env: PROVISIONER (the binary), CONFIG (tests/testdata/fast_fake.textproto),
// PROTO_DIR, RPC_PROTO_DIR from run_provisioner_client_test.sh; TEST_TMPDIR
// for the store.
const test = require("node:test");
const assert = require("node:assert");
const { spawn, execFile } = require("node:child_process");
const path = require("node:path");
const readline = require("node:readline");
const { ProvisionerClient, flattenEvent, purchaseRequest, describeUpdate, grpc } =
  require("./provisioner_client.js");

const LIFE = ["ACCEPTED", "CHECKING", "SUBMITTED", "PROVISIONING", "ACTIVE"];
let server;
let target;
let client;

test.before(async () => {
  server = spawn(process.env.PROVISIONER, [
    "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0", `--config=${process.env.CONFIG}`,
    `--store=sqlite:${path.join(process.env.TEST_TMPDIR, "provisioner.db")}`,
  ], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = await Promise.race([
    require("node:events").once(readline.createInterface({ input: server.stdout }), "line"),
    require("node:events").once(server, "exit").then(([code]) => [`exited ${code}`]),
  ]);
  const port = /serving gRPC on port (\d+)/.exec(line);
  if (!port) throw new Error(`server did not start: ${line}`);
  target = `127.0.0.1:${port[1]}`;
  client = new ProvisionerClient(target,
    { protoDir: process.env.PROTO_DIR, rpcProtoDir: process.env.RPC_PROTO_DIR });
});

test.after(async () => {
  if (client) client.close();
  if (!server || server.exitCode !== null) return;
  const exited = require("node:events").once(server, "exit");
  server.kill("SIGTERM");
  const [code] = await exited;
  assert.equal(code, 0, "the server exits 0 after SIGTERM");
});

async function rejectsWith(promise, code) {
  let caught;
  await assert.rejects(promise, (error) => {
    assert.equal(error.code, code, `expected ${grpc.status[code]}, got ${error.code}: ${error.details}`);
    caught = error;
    return true;
  });
  return caught;
}

function log(updates) {
  for (const update of updates) console.error(describeUpdate(update));
}

// Each key: the revision, the order and its state, to compare streams.
const keys = (updates) => updates.map((u) => `${u.revision} ${u.order.order_id} ${u.order.state}`);

test("flattenEvent: a CHANGE without revisions is orders[0] at event.revision", () => {
  const order = { order_id: "ord-1", state: "ACTIVE" };
  assert.deepEqual(flattenEvent({ type: "CHANGE", revision: 7, orders: [order], revisions: [] }),
                   [{ type: "CHANGE", revision: 7, order }]);
  // As the server sends it before batch_changes exists: no revisions field.
  assert.deepEqual(flattenEvent({ type: "CHANGE", revision: 8, orders: [order] }),
                   [{ type: "CHANGE", revision: 8, order }]);
});

test("flattenEvent: a batched CHANGE is orders[i] at revisions[i], oldest first", () => {
  const orders = [{ order_id: "ord-1", state: "CHECKING" }, { order_id: "ord-2", state: "ACCEPTED" },
                  { order_id: "ord-1", state: "SUBMITTED" }];
  const flat = flattenEvent({ type: "CHANGE", revision: 12, orders, revisions: [10, 11, 12] });
  assert.deepEqual(flat.map((u) => [u.revision, u.order]), [[10, orders[0]], [11, orders[1]],
                                                             [12, orders[2]]]);
  assert.ok(flat.every((u) => u.type === "CHANGE"));
  assert.throws(() => flattenEvent({ type: "CHANGE", revision: 12, orders, revisions: [11, 12] }),
                /2 revisions for 3 orders/);
});

test("flattenEvent: a SNAPSHOT is each order at its revision; PROGRESS and ACCOUNT nothing", () => {
  const orders = [{ order_id: "ord-2" }, { order_id: "ord-1" }];
  assert.deepEqual(flattenEvent({ type: "SNAPSHOT", revision: 5, orders, revisions: [] }),
                   orders.map((order) => ({ type: "SNAPSHOT", revision: 5, order })));
  assert.deepEqual(flattenEvent({ type: "SNAPSHOT", revision: 5, orders: [] }), []);
  assert.deepEqual(flattenEvent({ type: "PROGRESS", revision: 9, orders: [], revisions: [] }), []);
  assert.deepEqual(flattenEvent({ type: "ACCOUNT", revision: 9, orders: [] }), []);
});

test("Purchase is ACCEPTED; Watch goes from a SNAPSHOT through CHANGEs to ACTIVE with IPs", async () => {
  const started = Date.now();
  const order = await client.purchase(purchaseRequest("node-buy-3", 3));
  assert.equal(order.state, "ACCEPTED");  // durably accepted; the cloud call follows
  assert.equal(order.instance_count, 3);
  assert.equal(order.spec.billing, "pay_as_you_go");

  const updates = await client.watchUntil(order.order_id, ["ACTIVE"]);
  log(updates);
  assert.equal(updates[0].type, "SNAPSHOT");
  assert.ok(updates.slice(1).every((u) => u.type === "CHANGE"));
  const revisions = updates.map((u) => u.revision);
  assert.deepEqual(revisions, [...new Set(revisions)].sort((a, b) => a - b));
  const states = updates.map((u) => u.order.state);
  const distinct = states.filter((s, i) => i === 0 || states[i - 1] !== s);
  assert.deepEqual(distinct, LIFE.slice(LIFE.indexOf(distinct[0])));
  const last = updates[updates.length - 1].order;
  assert.equal(last.instances.length, 3);
  for (const instance of last.instances) {
    assert.equal(instance.state, "RUNNING");
    assert.equal(instance.public_ips.length, 1);
    assert.equal(instance.private_ips.length, 1);
  }
  console.log(`node client: 3 instances ACTIVE in ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
              `${updates.length} updates (${distinct.join(" > ")})`);
});

test("an invalid Purchase is INVALID_ARGUMENT naming each bad field in BadRequest", async () => {
  const request = purchaseRequest("", 0);
  request.spec.region = "";
  const error = await rejectsWith(client.purchase(request), grpc.status.INVALID_ARGUMENT);
  const status = client.richStatus(error);
  assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
  const bad = client.detail(error, "google.rpc.BadRequest");
  assert.deepEqual(bad.field_violations.map((v) => v.field), ["request_id", "spec.region", "instance_count"]);
  assert.ok(bad.field_violations.every((v) => v.description.length > 0));
  assert.equal(client.detail(error, "google.rpc.ErrorInfo").reason, "INVALID_ARGUMENT");
});

test("the same request_id returns the same order; another spec is ALREADY_EXISTS", async () => {
  const first = await client.purchase(purchaseRequest("node-idem", 1));
  await client.watchUntil(first.order_id, ["ACTIVE"]);
  const again = await client.purchase(purchaseRequest("node-idem", 1));
  assert.equal(again.order_id, first.order_id);
  assert.equal(again.state, "ACTIVE");
  const error = await rejectsWith(client.purchase(purchaseRequest("node-idem", 2)),
                                  grpc.status.ALREADY_EXISTS);
  const info = client.detail(error, "google.rpc.ErrorInfo");
  assert.equal(info.reason, "REQUEST_ID_REUSED");
  assert.equal(info.metadata.order_id, first.order_id);
});

test("Describe by order id, by instance id and as a paginated list", async () => {
  const orders = [];
  for (let i = 0; i < 3; i += 1) orders.push(await client.purchase(purchaseRequest(`node-page-${i}`, 1)));
  // Instance ids are known once the cloud accepted the order.
  const updates = await client.watchUntil(orders[1].order_id, ["PROVISIONING", "ACTIVE"]);
  const bought = updates[updates.length - 1].order;
  const byId = await client.describe({ order_ids: [orders[2].order_id] });
  assert.deepEqual(byId.orders.map((o) => o.order_id), [orders[2].order_id]);
  const byInstance = await client.describe({ instance_ids: [bought.instances[0].instance_id] });
  assert.deepEqual(byInstance.orders.map((o) => o.order_id), [bought.order_id]);

  const listed = [];
  let token = "";
  do {
    const page = await client.describe({ page_size: 2, page_token: token });
    assert.ok(page.orders.length <= 2);
    listed.push(...page.orders.map((o) => o.order_id));
    token = page.next_page_token;
  } while (token);
  assert.equal(new Set(listed).size, listed.length);
  assert.deepEqual(listed, [...listed].sort().reverse());  // newest first
  for (const order of orders) assert.ok(listed.includes(order.order_id));

  await rejectsWith(client.describe({ page_token: "not-a-token" }), grpc.status.INVALID_ARGUMENT);
  await rejectsWith(client.describe({ order_ids: ["ord-unknown"] }), grpc.status.NOT_FOUND);
});

test("a Watch resumed from a revision replays exactly the changes after it", async () => {
  const stream = client.watch({});
  const { value: snapshot } = await stream.next();
  assert.equal(snapshot.type, "SNAPSHOT");
  const order = await client.purchase(purchaseRequest("node-resume", 1));
  const live = [];
  for await (const event of stream) {
    live.push(...flattenEvent(event));
    const last = live[live.length - 1];
    if (last && last.order.order_id === order.order_id && last.order.state === "ACTIVE") break;
  }
  assert.ok(live.every((u) => u.type === "CHANGE" && u.revision > snapshot.revision));
  assert.ok(live.length >= 2, "the order changed more than once");

  // Replays up to the last live revision (the stream then waits for more).
  const replay = async (startRevision) => {
    const seen = [];
    for await (const update of client.updates({ start_revision: startRevision })) {
      seen.push(update);
      if (update.revision >= live[live.length - 1].revision) return seen;
    }
    return seen;
  };
  assert.deepEqual(keys(await replay(snapshot.revision)), keys(live));
  const middle = Math.floor(live.length / 2);
  const tail = await replay(live[middle].revision);
  assert.deepEqual(keys(tail), keys(live.slice(middle + 1)), "no gap and no duplicate");
  assert.ok(tail.every((u) => u.type === "CHANGE"));

  // Watched from before the Purchase: every state of the order's life.
  const own = live.filter((u) => u.order.order_id === order.order_id);
  const states = own.map((u) => u.order.state);
  assert.deepEqual(states.filter((s, i) => i === 0 || states[i - 1] !== s), LIFE);

  // The same for one order: its changes after a revision, none before.
  const resumed = await client.watchUntil(order.order_id, ["ACTIVE"], own[0].revision);
  assert.deepEqual(keys(resumed), keys(own.slice(1)));

  await rejectsWith((async () => { for await (const e of client.watch({ start_revision: 1e12 })) void e; })(),
                    grpc.status.OUT_OF_RANGE);
  console.log(`node client: ${live.length} live changes after revision ${snapshot.revision}, ` +
              `${live.length} replayed from it, ${tail.length} from revision ${live[middle].revision}, ` +
              `${resumed.length} of one order from ${own[0].revision}`);
});

test("Terminate releases every instance and is idempotent", async () => {
  const order = await client.purchase(purchaseRequest("node-terminate", 2));
  await client.watchUntil(order.order_id, ["ACTIVE"]);
  const terminating = await client.terminate({ order_id: order.order_id });
  assert.equal(terminating.state, "TERMINATING");
  const updates = await client.watchUntil(order.order_id, ["TERMINATED"]);
  const final = updates[updates.length - 1].order;
  assert.equal(final.instances.length, 2);
  assert.ok(final.instances.every((i) => i.state === "TERMINATED"));
  const again = await client.terminate({ order_id: order.order_id });
  assert.equal(again.state, "TERMINATED");
  assert.equal(again.revision, final.revision);
  await rejectsWith(client.terminate({ order_id: "ord-unknown" }), grpc.status.NOT_FOUND);
});

test("as a command: buys, prints each update to ACTIVE, exits 0; a bad request exits 1", async () => {
  const run = (...args) => new Promise((resolve) => {
    execFile(process.execPath, [require.resolve("./provisioner_client.js"), `--target=${target}`,
                                `--proto-dir=${process.env.PROTO_DIR}`,
                                `--rpc-proto-dir=${process.env.RPC_PROTO_DIR}`, ...args],
             { timeout: 60000 }, (error, stdout, stderr) =>
               resolve({ code: error ? error.code : 0, stdout, stderr }));
  });
  const bought = await run("--count=2", "--request-id=node-command");
  assert.equal(bought.code, 0, bought.stderr);
  const lines = bought.stdout.trim().split("\n");
  assert.match(lines[0], /^order orders\/ord-\S+ ACCEPTED: 2 pay_as_you_go instances ordered from backend fake$/);
  assert.match(lines[1], /^revision \d+ +SNAPSHOT /);
  assert.match(lines[lines.length - 1], /CHANGE +ord-\S+ ACTIVE +ins-\S+:RUNNING:[0-9.]+ ins-\S+:RUNNING:[0-9.]+$/);
  const refused = await run("--count=0", "--request-id=");
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^failed: INVALID_ARGUMENT: /);
  assert.match(refused.stderr, /\n  field request_id: .+\n  field instance_count: .+/);
});
