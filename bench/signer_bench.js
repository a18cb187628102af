// Signs the same RunInstances body with the official Node SDK's TC3 signer.
// Usage: node signer_bench.js BODY_FILE ITERATIONS (NODE_PATH holds the SDK)
const fs = require("node:fs");
const Sign = require("tencentcloud-sdk-nodejs-common/tencentcloud/common/sign").default;

const body = fs.readFileSync(process.argv[2]);
const iterations = Number(process.argv[3]);
const args = {
  method: "POST",
  url: "https://cvm.tencentcloudapi.com/",
  payload: body,  // a Buffer: signed as these exact bytes
  timestamp: 1700000000,
  service: "cvm",
  secretId: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
  secretKey: "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
  headers: { "Content-Type": "application/json" },
};
let header = "";
for (let i = 0; i < Math.min(iterations, 1000); ++i) header = Sign.sign3(args);  // warm-up
const start = process.hrtime.bigint();
for (let i = 0; i < iterations; ++i) header = Sign.sign3(args);
const ns = Number(process.hrtime.bigint() - start) / iterations;
console.log(`header ${header}\nns_per_signature ${ns.toFixed(1)}`);
