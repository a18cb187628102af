// Validates deploy/kubernetes against the Kubernetes schemas (npm
// kubernetes-models, and @kubernetes-models/prometheus-operator for the
// ServiceMonitor and PrometheusRule CRDs), each manifest file as written and
// each overlay as rendered, and checks what the service needs of them.
// Run by run_manifests_test.sh (node:test; JUnit to $XML_OUTPUT_FILE).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const deploy = process.env.DEPLOY_DIR;
const modules = process.env.DEPLOY_NODE_MODULES;
const python = "/usr/bin/python3";
const k8s = path.join(deploy, "kubernetes");
const overlays = ["single", "ha"];
// Cluster Autoscaler beside the service (not a variant of it): checked below.
const autoscalerOverlay = "cluster-autoscaler";

const yamlFiles = (dir) =>
  fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).map((f) => path.join(dir, f));
const readYaml = (files) =>
  JSON.parse(execFileSync(python, [path.join(deploy, "tests/yaml2json.py"), ...files]));
const render = (overlay) =>
  JSON.parse(execFileSync(python, [path.join(deploy, "tests/render.py"), path.join(k8s, "overlays", overlay)]));

// The model class of an object, or null when no installed package has one.
const packages = [
  [/^monitoring\.coreos\.com\//, "@kubernetes-models/prometheus-operator"],
  [/^v1$/, "kubernetes-models"],
  [/^[a-z0-9.]*\/v[0-9a-z]+$/, "kubernetes-models"],
];
async function modelOf(obj) {
  const entry = packages.find(([re]) => re.test(obj.apiVersion));
  if (!entry) return null;
  const file = path.join(modules, entry[1], obj.apiVersion, `${obj.kind}.js`);
  if (!fs.existsSync(file)) return null;
  return (await import(pathToFileURL(file)))[obj.kind];
}
async function validate(obj) {
  const Model = await modelOf(obj);
  if (Model === null) return `no schema for ${obj.apiVersion} ${obj.kind} in the installed packages`;
  const model = new Model(obj);
  try {
    model.validate();
  } catch (e) {
    assert.fail(`${obj.kind}/${obj.metadata.name}: ${e.message}`);
  }
  return null;
}

// Every file that holds whole objects (not kustomization.yaml, not patches).
const sourceFiles = [
  ...yamlFiles(path.join(k8s, "base")),
  ...[...overlays, autoscalerOverlay].flatMap((o) => yamlFiles(path.join(k8s, "overlays", o))),
].filter((f) => !/kustomization\.yaml$|-patch\.yaml$/.test(f));
const sources = readYaml(sourceFiles);
for (const [file, docs] of Object.entries(sources)) {
  for (const obj of docs) {
    const name = `schema: ${path.relative(k8s, file)} ${obj.kind}/${obj.metadata.name}`;
    test(name, async (t) => {
      const skipped = await validate(obj);
      if (skipped) t.skip(skipped);
    });
  }
}

const rendered = Object.fromEntries([...overlays, autoscalerOverlay].map((o) => [o, render(o)]));
const key = (o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace ?? ""} ${o.metadata.name}`;
const sorted = (list) => [...list].sort((a, b) => key(a).localeCompare(key(b)));

// The rendered objects of `overlay` and, for its Deployment `name`, the pod,
// its first container, a --flag's value, the mount a file is under and a
// volume by name.
function deploymentOf(overlay, name) {
  const objects = rendered[overlay];
  const find = (kind, n) => objects.find((o) => o.kind === kind && (!n || o.metadata.name === n));
  const deployment = find("Deployment", name);
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const flag = (flagName) => {
    const arg = container.args.find((a) => a.startsWith(`--${flagName}=`));
    return arg === undefined ? undefined : arg.slice(flagName.length + 3);
  };
  const mountFor = (file) =>
    container.volumeMounts
      .filter((m) => file.startsWith(m.mountPath.replace(/\/?$/, "/")))
      .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  const volume = (v) => pod.volumes.find((x) => x.name === v);
  return { objects, find, deployment, pod, container, flag, mountFor, volume };
}

for (const overlay of [...overlays, autoscalerOverlay]) {
  for (const obj of rendered[overlay]) {
    test(`schema: rendered overlays/${overlay} ${obj.kind}/${obj.metadata.name}`, async (t) => {
      const skipped = await validate(obj);
      if (skipped) t.skip(skipped);
    });
  }

  test(`kustomize: kubectl kustomize overlays/${overlay} renders the same objects`, (t) => {
    // A copy without symlinks (runfiles are symlinks, which kustomize skips).
    const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "k8s-")), "kubernetes");
    fs.cpSync(k8s, copy, { recursive: true, dereference: true });
    let out;
    try {
      out = execFileSync("kubectl", ["kustomize", path.join(copy, "overlays", overlay)], {
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      if (e.code === "ENOENT") return t.skip("kubectl is not installed; rendered with render.py only");
      throw e;
    }
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kustomize-")), "out.yaml");
    fs.writeFileSync(tmp, out);
    assert.deepEqual(sorted(readYaml([tmp])[tmp]), sorted(rendered[overlay]));
  });
}

for (const overlay of overlays) {
  const { objects, find, deployment, pod, container, flag, mountFor, volume } =
    deploymentOf(overlay, "cvm-provisioner");

  test(`policy: overlays/${overlay} pod runs restricted (non-root, read-only root, no capabilities, RuntimeDefault seccomp)`, () => {
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
    assert.ok(pod.securityContext.runAsUser > 0);
    for (const c of pod.containers) {
      const sc = c.securityContext;
      assert.equal(sc.readOnlyRootFilesystem, true, c.name);
      assert.equal(sc.allowPrivilegeEscalation, false, c.name);
      assert.equal(sc.runAsNonRoot, true, c.name);
      assert.deepEqual(sc.capabilities.drop, ["ALL"], c.name);
      assert.equal(sc.capabilities.add, undefined, c.name);
      assert.equal(sc.seccompProfile.type, "RuntimeDefault", c.name);
      assert.ok(c.resources.requests.cpu && c.resources.requests.memory, `${c.name} requests`);
      assert.ok(c.resources.limits.memory, `${c.name} memory limit`);
    }
    assert.equal(find("Namespace").metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
  });

  test(`policy: overlays/${overlay} gRPC probes hit the plaintext --health_listen port`, () => {
    const health = Number(flag("health_listen").split(":").pop());
    assert.equal(container.ports.find((p) => p.name === "health").containerPort, health);
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      assert.equal(container[probe].grpc.port, health, probe);
    }
    assert.equal(container.readinessProbe.grpc.service, "provisioning.v1.Provisioning");
    // The API port is TLS (the kubelet's gRPC probes are plaintext only).
    assert.equal(Number(flag("listen").split(":").pop()), container.ports.find((p) => p.name === "grpc").containerPort);
    assert.equal(Number(flag("metrics_listen").split(":").pop()), container.ports.find((p) => p.name === "metrics").containerPort);
  });

  test(`policy: overlays/${overlay} grace period covers the 20 s drain plus a cloud call`, () => {
    // service/server.h: drain_timeout 20 s; then in-flight cloud calls
    // (request_timeout 15 s in the ConfigMap's backend) finish.
    assert.ok(pod.terminationGracePeriodSeconds >= 20 + 15 + 5, String(pod.terminationGracePeriodSeconds));
  });

  test(`policy: overlays/${overlay} config, TLS files and tokens are mounted where the config says`, () => {
    const configPath = flag("config");
    const configMount = mountFor(configPath);
    const configMap = find("ConfigMap", volume(configMount.name).configMap.name);
    const text = configMap.data[path.relative(configMount.mountPath, configPath)];
    assert.ok(text, `ConfigMap ${configMap.metadata.name} has no ${configPath}`);
    assert.doesNotMatch(text, /insecure_plaintext/);
    assert.doesNotMatch(text, /secret_key|secret_id/, "credentials never in the config");
    const files = {};
    for (const field of ["tls_cert_file", "tls_key_file", "client_ca_file", "tokens_file"]) {
      const m = text.match(new RegExp(`${field}:\\s*"([^"]+)"`));
      assert.ok(m, `auth.${field} is set`);
      files[field] = m[1];
    }
    for (const [field, file] of Object.entries(files)) {
      const mount = mountFor(file);
      assert.ok(mount, `${field} ${file} is under a mount`);
      assert.equal(mount.readOnly, true);
      assert.equal(mount.subPath, undefined, "no subPath: rotated Secrets must reach the pod");
      const secret = volume(mount.name).secret;
      assert.ok(secret, `${field} comes from a Secret`);
      const expected = { tls_cert_file: "tls.crt", tls_key_file: "tls.key", client_ca_file: "ca.crt", tokens_file: "tokens" }[field];
      assert.equal(path.basename(file), expected, `${field}: the Secret key`);
    }
    const secretEnv = Object.fromEntries(container.env.filter((e) => e.valueFrom?.secretKeyRef).map((e) => [e.name, e.valueFrom.secretKeyRef]));
    for (const name of ["TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"]) {
      assert.equal(secretEnv[name]?.name, "cvm-provisioner-tencentcloud", name);
    }
  });

  test(`policy: overlays/${overlay} everything the service writes is on a writable volume`, () => {
    const writes = [flag("audit_log"), "/tmp/x"];
    const store = flag("store");
    assert.ok(store, "--store is set");
    if (store.startsWith("sqlite:")) writes.push(store.slice("sqlite:".length));
    for (const file of writes) {
      const mount = mountFor(file);
      assert.ok(mount, `${file} is under a mount`);
      assert.notEqual(mount.readOnly, true, file);
      const v = volume(mount.name);
      assert.ok(v.emptyDir || v.persistentVolumeClaim, `${file}: ${mount.name} is writable storage`);
    }
  });

  test(`policy: overlays/${overlay} Services, ServiceMonitor and PodDisruptionBudget select the pods`, () => {
    const labels = deployment.spec.template.metadata.labels;
    const selects = (selector) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    assert.ok(selects(deployment.spec.selector.matchLabels));
    const services = objects.filter((o) => o.kind === "Service");
    assert.ok(services.length >= 1);
    for (const s of services) {
      assert.ok(selects(s.spec.selector), s.metadata.name);
      for (const p of s.spec.ports) {
        assert.ok(container.ports.some((c) => c.name === p.targetPort), `${s.metadata.name} ${p.targetPort}`);
      }
    }
    const main = services.find((s) => s.metadata.name === "cvm-provisioner");
    assert.deepEqual(main.spec.ports.map((p) => p.name).sort(), ["grpc", "metrics"]);
    const monitor = find("ServiceMonitor");
    assert.ok(Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => main.metadata.labels[k] === v));
    assert.deepEqual(monitor.spec.endpoints.map((e) => e.port), ["metrics"]);
    const pdb = find("PodDisruptionBudget");
    assert.ok(selects(pdb.spec.selector.matchLabels));
    if (pdb.spec.minAvailable !== undefined) assert.ok(pdb.spec.minAvailable < deployment.spec.replicas);
  });

  test(`policy: overlays/${overlay} store, replicas and rollout`, () => {
    const store = flag("store");
    if (overlay === "single") {
      assert.equal(deployment.spec.replicas, 1);
      assert.equal(deployment.spec.strategy.type, "Recreate", "SQLite has one writer");
      assert.match(store, /^sqlite:\/var\/lib\/cvm-provisioner\//);
      const claim = volume(mountFor(store.slice(7)).name).persistentVolumeClaim.claimName;
      assert.ok(find("PersistentVolumeClaim", claim), claim);
    } else {
      assert.equal(deployment.spec.replicas, 3);
      assert.equal(store, "postgres:$(PROVISIONER_PG_CONNINFO)");
      const conninfo = container.env.find((e) => e.name === "PROVISIONER_PG_CONNINFO");
      assert.deepEqual(conninfo.valueFrom.secretKeyRef, { name: "cvm-provisioner-postgres", key: "conninfo" });
      assert.equal(find("PodDisruptionBudget").spec.minAvailable, 2);
      assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 1);
      assert.ok(pod.topologySpreadConstraints.length >= 1);
    }
  });
}

test("prometheusrule: base/prometheusrule.yaml is make_prometheusrule.sh's output for alerts.yml", () => {
  const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rule-")), "prometheusrule.yaml");
  execFileSync("bash", [path.join(deploy, "prometheus/make_prometheusrule.sh"), tmp]);
  const checkedIn = path.join(k8s, "base/prometheusrule.yaml");
  assert.equal(fs.readFileSync(checkedIn, "utf8"), fs.readFileSync(tmp, "utf8"),
    "run deploy/prometheus/make_prometheusrule.sh");
  const parsed = readYaml([checkedIn, path.join(deploy, "prometheus/alerts.yml")]);
  assert.deepEqual(parsed[checkedIn][0].spec.groups, parsed[path.join(deploy, "prometheus/alerts.yml")][0].groups);
});

// Cluster Autoscaler (overlays/cluster-autoscaler) against the service as
// overlays/single renders it.
{
  const { objects, find, deployment, pod, container, flag, mountFor, volume } =
    deploymentOf(autoscalerOverlay, "cluster-autoscaler");
  const cloudConfig = () => {
    const file = flag("cloud-config");
    const mount = mountFor(file);
    const configMap = find("ConfigMap", volume(mount.name).configMap.name);
    const text = configMap.data[path.relative(mount.mountPath, file)];
    assert.ok(text, `ConfigMap ${configMap.metadata.name} has no ${file}`);
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cloud-config-")), "c.yaml");
    fs.writeFileSync(tmp, text);
    return readYaml([tmp])[tmp][0];
  };

  test("autoscaler: runs --cloud-provider=externalgrpc with a mounted cloud-config", () => {
    assert.equal(flag("cloud-provider"), "externalgrpc");
    assert.deepEqual(container.command, ["/cluster-autoscaler"], "the image has no entrypoint");
    const config = cloudConfig();
    assert.deepEqual(Object.keys(config).sort(), ["address", "cacert", "cert", "grpc_timeout", "key"]);
    const timeout = config.grpc_timeout.match(/^(\d+)s$/);
    assert.ok(timeout && Number(timeout[1]) >= 5 && Number(timeout[1]) <= 60, config.grpc_timeout);
  });

  test("autoscaler: the cloud-config address is the provisioner's gRPC Service", () => {
    const service = rendered.single.find((o) => o.kind === "Service" && o.metadata.name === "cvm-provisioner");
    const port = service.spec.ports.find((p) => p.name === "grpc").port;
    assert.equal(cloudConfig().address, `${service.metadata.name}.${service.metadata.namespace}.svc:${port}`);
  });

  test("autoscaler: mTLS files come read-only from one Secret, and the service verifies client certificates", () => {
    const config = cloudConfig();
    const expected = { cert: "tls.crt", key: "tls.key", cacert: "ca.crt" };
    const secrets = new Set();
    for (const [field, key] of Object.entries(expected)) {
      const mount = mountFor(config[field]);
      assert.ok(mount, `${field} ${config[field]} is under a mount`);
      assert.equal(mount.readOnly, true, field);
      assert.equal(mount.subPath, undefined, "no subPath: rotated Secrets must reach the pod");
      const secret = volume(mount.name).secret;
      assert.ok(secret, `${field} comes from a Secret`);
      secrets.add(secret.secretName);
      assert.equal(path.basename(config[field]), key, `${field}: the Secret key`);
    }
    assert.equal(secrets.size, 1);
    const serviceConfig = rendered.single.find((o) => o.kind === "ConfigMap" && o.metadata.name === "cvm-provisioner-config");
    assert.match(serviceConfig.data["service.textproto"], /client_ca_file:\s*"[^"]+"/);
  });

  test("autoscaler: its ServiceAccount may watch nodes and pods, drain and hold its lease", () => {
    const account = pod.serviceAccountName;
    assert.ok(find("ServiceAccount", account));
    const allowed = (kind, bindingKind) =>
      objects
        .filter((b) => b.kind === bindingKind && b.subjects.some((s) => s.kind === "ServiceAccount" && s.name === account && s.namespace === deployment.metadata.namespace))
        .flatMap((b) => find(kind, b.roleRef.name).rules);
    const rules = allowed("ClusterRole", "ClusterRoleBinding");
    const can = (group, resource, verb) =>
      rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    for (const [group, resource, verb] of [
      ["", "nodes", "update"], ["", "nodes", "watch"], ["", "pods", "watch"], ["", "pods/eviction", "create"],
      ["", "events", "create"], ["policy", "poddisruptionbudgets", "list"], ["apps", "daemonsets", "list"],
      ["storage.k8s.io", "csinodes", "watch"], ["coordination.k8s.io", "leases", "create"],
    ]) {
      assert.ok(can(group, resource, verb), `${verb} ${group}/${resource}`);
    }
    const local = allowed("Role", "RoleBinding");
    assert.ok(local.some((r) => r.resources.includes("configmaps") && r.verbs.includes("create")));
  });

  test("autoscaler: the pod runs restricted (non-root, read-only root, no capabilities, RuntimeDefault seccomp)", () => {
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok(pod.securityContext.runAsUser > 0);
    assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
    const sc = container.securityContext;
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.deepEqual(sc.capabilities.drop, ["ALL"]);
    assert.ok(container.resources.requests.cpu && container.resources.limits.memory);
    assert.equal(container.livenessProbe.httpGet.port, "metrics");
  });
}
