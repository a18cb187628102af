// The official Tencent Cloud Node SDK as a client of the CVM emulator: pins
// the emulator (and so our own signer, which the emulator checks) to Tencent's
// real protocol rather than to our reading of it.
//
// Env: EMULATOR_PORT, EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY (run_node_tests.sh).
const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const http = require("node:http");
const path = require("node:path");
const { CommonClient } = require("tencentcloud-sdk-nodejs-common");
const CvmClient = require("tencentcloud-sdk-nodejs-cvm").cvm.v20170312.Client;

const PORT = process.env.EMULATOR_PORT;
const ID = process.env.EMULATOR_SECRET_ID;
const KEY = process.env.EMULATOR_SECRET_KEY;
const profile = { httpProfile: { endpoint: `127.0.0.1:${PORT}`, protocol: "http://" } };

function cvm(secretId = ID, secretKey = KEY) {
  return new CvmClient({ credential: { secretId, secretKey }, region: "ap-guangzhou", profile });
}

function advance(seconds) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: "127.0.0.1", port: PORT, path: "/_emulator/advance", method: "POST" },
      (response) => { response.resume(); response.on("end", resolve); });
    request.on("error", reject);
    request.end(JSON.stringify({ Seconds: seconds }));
  });
}

async function rejectsWith(promise, code) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
    assert.ok(error.requestId, "errors carry the RequestId");
    return true;
  });
}

const purchase = {
  Placement: { Zone: "ap-guangzhou-3" },
  InstanceType: "S5.MEDIUM2",
  ImageId: "img-pi0ii46r",
  InstanceCount: 2,
  InternetAccessible: { PublicIpAssigned: true, InternetMaxBandwidthOut: 10 },
};

test("signed RunInstances buys; the same ClientToken buys nothing more", async () => {
  const client = cvm();
  const first = await client.RunInstances({ ...purchase, ClientToken: "sdk-token-1" });
  assert.equal(first.InstanceIdSet.length, 2);
  assert.match(first.RequestId, /.+/);
  const again = await client.RunInstances({ ...purchase, ClientToken: "sdk-token-1" });
  assert.deepEqual(again.InstanceIdSet, first.InstanceIdSet);
});

test("DescribeInstances follows an instance from PENDING to RUNNING with a public IP", async () => {
  const client = cvm();
  const run = await client.RunInstances({ ...purchase, InstanceCount: 1, ClientToken: "sdk-life" });
  const before = await client.DescribeInstances({ InstanceIds: run.InstanceIdSet });
  assert.equal(before.TotalCount, 1);
  assert.equal(before.InstanceSet[0].InstanceState, "PENDING");
  await advance(600);
  const after = await client.DescribeInstances({ InstanceIds: run.InstanceIdSet });
  const instance = after.InstanceSet[0];
  assert.equal(instance.InstanceState, "RUNNING");
  assert.equal(instance.PublicIpAddresses.length, 1);
  assert.equal(instance.PrivateIpAddresses.length, 1);
  assert.equal(instance.Placement.Zone, "ap-guangzhou-3");
});

test("a wrong SecretKey gets AuthFailure.SignatureFailure", async () => {
  await rejectsWith(cvm(ID, "not-the-key").DescribeInstances({}), "AuthFailure.SignatureFailure");
});

test("an unknown SecretId gets AuthFailure.SecretIdNotFound", async () => {
  await rejectsWith(cvm("AKIDunknown", KEY).DescribeInstances({}), "AuthFailure.SecretIdNotFound");
});

test("a stale timestamp gets AuthFailure.SignatureExpire", async () => {
  // The SDK stamps requests with `new Date()`: run it ten minutes in the past.
  const RealDate = Date;
  const skew = 10 * 60 * 1000;
  global.Date = class extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() - skew); else super(...args);
    }
    static now() { return RealDate.now() - skew; }
  };
  try {
    await rejectsWith(cvm().DescribeInstances({}), "AuthFailure.SignatureExpire");
  } finally {
    global.Date = RealDate;
  }
});

test("a sold-out zone is reported as such and sells nothing", async () => {
  const client = cvm();
  const zones = await client.DescribeZoneInstanceConfigInfos({
    Filters: [{ Name: "zone", Values: ["ap-guangzhou-1"] }],
  });
  assert.ok(zones.InstanceTypeQuotaSet.length > 0);
  assert.ok(zones.InstanceTypeQuotaSet.every((offer) => offer.Status === "SOLD_OUT"));
  await rejectsWith(
    client.RunInstances({ ...purchase, Placement: { Zone: "ap-guangzhou-1" }, ClientToken: "sdk-sold" }),
    "ResourceInsufficient.AvailabilityZoneSoldOut");
});

test("the catalogue describes each type as InstanceTypeQuotaItem does", async () => {
  const client = cvm();
  const all = await client.DescribeZoneInstanceConfigInfos({
    Filters: [{ Name: "instance-family", Values: ["S5"] }],
  });
  assert.ok(all.InstanceTypeQuotaSet.length > 0);
  for (const item of all.InstanceTypeQuotaSet) {
    assert.equal(item.InstanceFamily, "S5");
    assert.equal(typeof item.Cpu, "number");
    assert.equal(typeof item.Memory, "number");
    assert.equal(typeof item.Gpu, "number");
    assert.ok(item.Zone.startsWith("ap-guangzhou-"));
  }
});

test("InquiryPriceRunInstances and DescribeAccountQuota answer", async () => {
  const client = cvm();
  const price = await client.InquiryPriceRunInstances({ ...purchase, InstanceCount: 1 });
  assert.ok(price.Price.InstancePrice.UnitPrice > 0);
  const quota = await client.DescribeAccountQuota({});
  const zone = quota.AccountQuotaOverview.AccountQuota.PostPaidQuotaSet.find(
    (q) => q.Zone === "ap-guangzhou-3");
  assert.ok(zone.UsedQuota >= 3);
  assert.equal(zone.UsedQuota + zone.RemainingQuota, zone.TotalQuota);
});

test("billing DescribeAccountBalance through the SDK's CommonClient", async () => {
  const billing = new CommonClient("billing.tencentcloudapi.com", "2018-07-09", {
    credential: { secretId: ID, secretKey: KEY }, region: "", profile,
  });
  const balance = await billing.request("DescribeAccountBalance", {});
  assert.equal(typeof balance.Balance, "number");
  assert.ok(balance.Balance > 0);
});

test("TerminateInstances releases; the instance then vanishes", async () => {
  const client = cvm();
  const run = await client.RunInstances({ ...purchase, InstanceCount: 1, ClientToken: "sdk-term" });
  await client.TerminateInstances({ InstanceIds: run.InstanceIdSet });
  const terminating = await client.DescribeInstances({ InstanceIds: run.InstanceIdSet });
  assert.equal(terminating.InstanceSet[0].InstanceState, "TERMINATING");
  await advance(60);
  const gone = await client.DescribeInstances({ InstanceIds: run.InstanceIdSet });
  assert.equal(gone.TotalCount, 0);
  await rejectsWith(client.TerminateInstances({ InstanceIds: run.InstanceIdSet }),
                    "InvalidInstanceId.NotFound");
});

test("StopInstances (STOP_CHARGING) and StartInstances walk an instance to STOPPED and back", async () => {
  const client = cvm();
  const run = await client.RunInstances({ ...purchase, InstanceCount: 1, ClientToken: "sdk-power" });
  const ids = { InstanceIds: run.InstanceIdSet };
  const state = async () => (await client.DescribeInstances(ids)).InstanceSet[0];
  await advance(600);
  const stop = await client.StopInstances({ ...ids, StopType: "SOFT_FIRST", StoppedMode: "STOP_CHARGING" });
  assert.match(stop.RequestId, /.+/);
  assert.equal((await state()).InstanceState, "STOPPING");
  await advance(60);
  const stopped = await state();
  assert.equal(stopped.InstanceState, "STOPPED");
  assert.equal(stopped.StopChargingMode, "STOP_CHARGING");
  assert.equal(stopped.LatestOperation, "StopInstances");
  await rejectsWith(client.StopInstances(ids), "UnsupportedOperation.InstanceStateStopped");
  await client.StartInstances(ids);
  assert.equal((await state()).InstanceState, "STARTING");
  await advance(60);
  const running = await state();
  assert.equal(running.InstanceState, "RUNNING");
  assert.equal(running.StopChargingMode, "NOT_APPLICABLE");
  await rejectsWith(client.StartInstances(ids), "UnsupportedOperation.InstanceStateRunning");
});

// The fields of a request model in the installed SDK's cvm_models.d.ts.
function modelFields(name) {
  const dir = path.dirname(require.resolve("tencentcloud-sdk-nodejs-cvm/package.json"));
  const models = fs.readFileSync(
    path.join(dir, "tencentcloud/services/cvm/v20170312/cvm_models.d.ts"), "utf8");
  const body = models.match(new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`))[1];
  return [...body.matchAll(/^\s+(\w+)\??:/gm)].map((match) => match[1]);
}

test("the emulator takes every field of the SDK's request models and refuses others", async () => {
  const client = cvm();
  // The error code ("" for none), waiting out Tencent's 10 calls a second.
  const code = async (call) => {
    for (;;) {
      const got = await call().then(() => "", (error) => error.code);
      if (got !== "RequestLimitExceeded") return got;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  // Each field, with a value of no particular type, where its model sits.
  const where = {
    RunInstancesRequest: (f) => ({ RunInstances: { ...purchase, DryRun: true, [f]: "x" } }),
    InquiryPriceRunInstancesRequest: (f) => ({ InquiryPriceRunInstances: { ...purchase, [f]: "x" } }),
    DataDisk: (f) => ({ RunInstances: { ...purchase, DryRun: true,
                                        DataDisks: [{ DiskSize: 50, [f]: "x" }] } }),
    Placement: (f) => ({ RunInstances: { ...purchase, DryRun: true,
                                         Placement: { Zone: "ap-guangzhou-3", [f]: "x" } } }),
    VirtualPrivateCloud: (f) => ({ RunInstances: { ...purchase, DryRun: true,
      VirtualPrivateCloud: { VpcId: "vpc-1", SubnetId: "subnet-1", [f]: "x" } } }),
    LaunchTemplate: (f) => ({ RunInstances: { ...purchase, DryRun: true,
                                              LaunchTemplate: { LaunchTemplateId: "lt-x", [f]: "x" } } }),
    StopInstancesRequest: (f) => ({ StopInstances: { InstanceIds: ["ins-ffffffff"], [f]: "x" } }),
    StartInstancesRequest: (f) => ({ StartInstances: { InstanceIds: ["ins-ffffffff"], [f]: "x" } }),
  };
  let checked = 0;
  for (const [model, place] of Object.entries(where)) {
    const fields = modelFields(model);
    assert.ok(fields.length >= 1, `${model} has fields`);
    for (const field of [...fields, "NotInTheModel"]) {
      const [[action, params]] = Object.entries(place(field));
      const got = await code(() => client[action](params));
      if (field === "NotInTheModel") {
        assert.equal(got, "UnknownParameter", `${model}: an unknown field is refused`);
      } else {
        assert.notEqual(got, "UnknownParameter", `${model}.${field} is in the SDK's model`);
      }
      checked += 1;
    }
  }
  console.log(`request model fields checked against the emulator: ${checked}`);
});

test("the node-bootstrap fields round-trip RunInstances -> DescribeInstances", async () => {
  const client = cvm();
  await new Promise((resolve) => setTimeout(resolve, 1000));  // a fresh second's calls
  const run = await client.RunInstances({
    ...purchase, InstanceCount: 1, ClientToken: "sdk-bootstrap",
    Placement: { Zone: "ap-guangzhou-3", ProjectId: 7 },
    VirtualPrivateCloud: { VpcId: "vpc-1", SubnetId: "subnet-1", PrivateIpAddresses: ["10.1.0.5"] },
    DataDisks: [{ DiskSize: 100, Encrypt: true, KmsKeyId: "kms-1", DeleteWithInstance: false }],
    HostName: "sdk-node", CamRoleName: "NodeRole", DisasterRecoverGroupIds: ["ps-sdk"],
    UserData: Buffer.from("#!/bin/sh\necho sdk\n").toString("base64"),
  });
  const [instance] = (await client.DescribeInstances({ InstanceIds: run.InstanceIdSet })).InstanceSet;
  assert.equal(instance.Placement.ProjectId, 7);
  assert.deepEqual(instance.PrivateIpAddresses, ["10.1.0.5"]);
  assert.equal(instance.HostName, "sdk-node");
  assert.equal(instance.CamRoleName, "NodeRole");
  assert.equal(instance.DisasterRecoverGroupId, "ps-sdk");
  assert.equal(instance.DataDisks[0].Encrypt, true);
  assert.equal(instance.DataDisks[0].KmsKeyId, "kms-1");
  assert.equal(instance.DataDisks[0].DeleteWithInstance, false);
});
