"""//deploy:metric_names_test: every metric and label that the alert rules,
their unit tests and the Grafana dashboard use is one the service exports,
read from a live scrape of the real binary; and every flag the Deployments
pass is one the binary has.

The scrape comes from a provisioner with the tencentcloud backend in front of
the CVM emulator that bought one instance on one store and was restarted on
an empty one, so the orphan sweep found that instance: every metric family,
the orphan counters included, then has series (the arrears guard's too: the
emulator's account reports its balance).
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from junit import Cases  # noqa: E402

SRCDIR = os.environ.get("TEST_SRCDIR", ".")
ROOT = os.path.join(SRCDIR, "cvm_provisioner")
DEPLOY = os.path.join(ROOT, "deploy")
TMP = os.environ.get("TEST_TMPDIR", "/tmp")
BINARY = os.path.join(ROOT, "service/provisioner")

# Added by Prometheus and the Prometheus Operator, not by the service.
GENERATED_METRICS = {"up"}
TARGET_LABELS = {"job", "instance", "namespace", "pod", "service", "endpoint", "container"}
# Labels whose every value the service creates up front: matchers on them must
# name real values (outcome holds open-ended cloud error codes, so it is not here).
CLOSED_LABELS = {"state", "grpc_service", "grpc_method", "grpc_type", "grpc_code", "action"}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
                "bottomk", "topk", "quantile", "limitk", "limit_ratio"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "inf", "nan"}

TOKEN = re.compile(r'\s+|"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`|[A-Za-z_:][A-Za-z0-9_:]*'
                   r'|\d+(?:\.\d+)?[a-z]*|=~|!~|!=|==|>=|<=|[{}()\[\],=<>+\-*/%^@]')


def selectors(expr):
    """(metric, [(label, op, value)]) for each vector selector in a PromQL expression."""
    expr = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
    tokens = [t for t in TOKEN.findall(expr) if not t.isspace()]
    joined = "".join(TOKEN.findall(expr))
    assert joined.replace(" ", "").replace("\n", "") == expr.replace(" ", "").replace("\n", ""), \
        f"cannot tokenize: {expr}"
    found, i = [], 0
    while i < len(tokens):
        t = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if t == "[":  # a range or subquery: skip to its end
            i = tokens.index("]", i) + 1
            continue
        if t in KEYWORDS and nxt == "(":  # a label list
            i = tokens.index(")", i) + 1
            continue
        if t in AGGREGATIONS:  # "sum by (x) (...)" or "sum(...) by (x)"
            i += 1
            continue
        if re.fullmatch(r"[A-Za-z_:][A-Za-z0-9_:]*", t) and t.lower() not in KEYWORDS and nxt != "(":
            matchers = []
            i += 1
            if nxt == "{":
                end = tokens.index("}", i)
                body = tokens[i + 1:end]
                for j in range(0, len(body), 4):
                    label, op, value = body[j:j + 3]
                    matchers.append((label, op, value[1:-1]))
                i = end + 1
            found.append((t, matchers))
            continue
        i += 1
    return found


def scrape_families(text):
    """{series name: {label: set(values)}} from a /metrics page."""
    series = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            names = [name + s for s in ("_bucket", "_sum", "_count")] if kind == "histogram" else [name]
            for n in names:
                series.setdefault(n, {})
        elif line and not line.startswith("#"):
            m = re.match(r'([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s', line)
            labels = series.setdefault(m.group(1), {})
            for label, value in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""):
                labels.setdefault(label, set()).add(value)
    return series


def check_expr(expr, exported):
    used = selectors(expr)
    assert used, f"no metric in {expr!r}"
    for metric, matchers in used:
        if metric in GENERATED_METRICS:
            continue
        assert metric in exported, f"{metric} is not exported (scrape has {sorted(exported)})"
        labels = exported[metric]
        for label, op, value in matchers:
            assert label in labels or label in TARGET_LABELS, \
                f"{metric} has no label {label} (it has {sorted(labels)})"
            if label in CLOSED_LABELS and op in ("=", "=~") and re.fullmatch(r"[\w.|]+", value):
                for v in value.split("|"):
                    assert v in labels[label], f"{metric}{{{label}=\"{v}\"}}: no such value ({sorted(labels[label])})"


class Process:
    def __init__(self, args, marker):
        self.log = open(os.path.join(TMP, f"proc-{time.monotonic_ns()}.log"), "w+")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            self.log.seek(0)
            self.text = self.log.read()
            if re.search(marker, self.text):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"{args[0]} did not start: {self.text}")

    def port(self, pattern):
        return int(re.search(pattern, self.text).group(1))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=40)


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def live_scrape():
    """The /metrics text of a provisioner that bought, lost its store and found an orphan."""
    emulator = Process([os.path.join(ROOT, "backends/tencentcloud/emulator/cvm_emulator_server"), "--port=0",
                        "--config=" + os.path.join(ROOT, "backends/tencentcloud/emulator/default_config.textproto")],
                       r"listening on port \d+")
    try:
        port = emulator.port(r"listening on port (\d+)")
        config = os.path.join(TMP, "scrape.textproto")
        with open(config, "w") as f:
            f.write(f'''backends {{ name: "tencent" plugin: "tencentcloud" config {{
  [type.googleapis.com/provisioning.tencentcloud.v1.TencentCloudConfig] {{
    endpoint_override: "http://127.0.0.1:{port}"
    currency: "CNY"
    credentials {{ secret_id: "AKIDEMULATOR0000000000000000000000" secret_key: "emulator-secret-key-0000000000000" }}
  }} }} }}
orphans {{ action: REPORT regions: "ap-guangzhou" }}
auth {{ insecure_plaintext: true }}
''')
        common = [BINARY, "--config=" + config, "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
                  "--poll_fast_interval=200ms", "--poll_slow_interval=1s"]
        buyer = Process(common + ["--store=sqlite:" + os.path.join(TMP, "buyer.db")], r"serving gRPC")
        import grpc  # Debian's python3-grpcio
        from provisioning.v1 import provisioning_pb2 as pb
        from provisioning.v1 import provisioning_pb2_grpc as pb_grpc
        from provisioner_client import purchase_request
        api_port = buyer.port(r"serving gRPC on port (\d+)")
        with grpc.insecure_channel(f"127.0.0.1:{api_port}") as channel:
            stub = pb_grpc.ProvisioningStub(channel)
            order = stub.Purchase(purchase_request("scrape-1", 1), timeout=30)
            deadline = time.time() + 30
            while time.time() < deadline:
                described = stub.Describe(pb.DescribeRequest(order_ids=[order.order_id]), timeout=10)
                if described.orders[0].instances:
                    break
                time.sleep(0.2)
            else:
                raise RuntimeError(f"order never reached the cloud: {described}")
        assert buyer.stop() == 0
        # A new, empty store: the instance bought above is an orphan now.
        finder = Process(common + ["--store=memory", "--health_listen=127.0.0.1:0"], r"serving gRPC")
        try:
            metrics_port = finder.port(r"metrics on port (\d+)")
            metrics = f"http://127.0.0.1:{metrics_port}/metrics"
            deadline = time.time() + 30
            while time.time() < deadline:
                text = get(metrics)
                # The orphan sweep and the arrears guard's first check are done.
                if ("provisioner_orphans_handled_total{" in text
                        and "provisioner_arrears_forecast_seconds{" in text):
                    return text
                time.sleep(0.2)
            raise RuntimeError("the orphan sweep or the arrears guard did not report:\n" + text)
        finally:
            assert finder.stop() == 0
    finally:
        emulator.stop()


def main():
    cases = Cases("metric_names")
    text = live_scrape()
    with open(os.path.join(TMP, "scrape.txt"), "w") as f:
        f.write(text)
    exported = scrape_families(text)

    def families():
        for name in ("grpc_server_handled_total", "grpc_server_handling_seconds_bucket",
                     "provisioner_orders", "provisioner_purchases_total", "provisioner_cloud_calls_total",
                     "provisioner_cloud_call_duration_seconds_bucket", "provisioner_cloud_call_retries_total",
                     "provisioner_cloud_rate_limit_wait_seconds_total", "provisioner_orphan_instances",
                     "provisioner_orphans_handled_total", "provisioner_account_balance",
                     "provisioner_arrears_forecast_seconds"):
            assert exported.get(name), f"{name}: no series on the scrape"
    cases.run("scrape: every family the deploy files rely on has series", families)

    def load(path):
        with open(os.path.join(DEPLOY, path)) as f:
            return yaml.safe_load(f)

    for group in load("prometheus/alerts.yml")["groups"]:
        for rule in group["rules"]:
            cases.run(f"alert {rule['alert']}: its metrics and labels are exported",
                      lambda rule=rule: check_expr(rule["expr"], exported))

    for test in load("prometheus/alerts_test.yml")["tests"]:
        def series_exported(test=test):
            for s in test["input_series"]:
                check_expr(s["series"], exported)
        cases.run(f"unit test '{test['name']}': its input series are exported", series_exported)

    with open(os.path.join(DEPLOY, "grafana/provisioner.json")) as f:
        dashboard = json.load(f)
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            cases.run(f"grafana panel '{panel['title']}' {target['refId']}: its metrics and labels are exported",
                      lambda target=target: check_expr(target["expr"], exported))
    for var in dashboard["templating"]["list"]:
        if var["type"] != "query":
            continue

        def variable(var=var):
            m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", var["definition"])
            assert m, var["definition"]
            check_expr(m.group(1), exported)
            assert m.group(2) in TARGET_LABELS or any(m.group(2) in exported.get(n, {}) for n, _ in selectors(m.group(1)))
        cases.run(f"grafana variable '{var['name']}': its query uses exported metrics", variable)

    helpfull = subprocess.run([BINARY, "--helpfull"], capture_output=True, text=True).stdout
    flags = set(re.findall(r"^\s+--(\w+) ", helpfull, re.M))
    for overlay in ("single", "ha"):
        def flags_known(overlay=overlay):
            objects = json.loads(subprocess.check_output(
                [sys.executable, os.path.join(DEPLOY, "tests/render.py"),
                 os.path.join(DEPLOY, "kubernetes/overlays", overlay)]))
            deployment = next(o for o in objects if o["kind"] == "Deployment")
            args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
            for arg in args:
                name = re.match(r"--(\w+)=", arg).group(1)
                assert name in flags, f"the binary has no flag --{name} (it has {sorted(flags)})"
        cases.run(f"overlays/{overlay}: every Deployment argument is a flag of the binary", flags_known)
    cases.finish()


if __name__ == "__main__":
    main()
