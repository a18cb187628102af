"""//deploy:prometheus_rules_test: the alert rules, their unit tests, their
runbooks and the dashboard's queries, checked with Debian's promtool."""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from junit import Cases  # noqa: E402

DEPLOY = os.path.join(os.environ.get("TEST_SRCDIR", ""), "cvm_provisioner", "deploy")
PROM = os.path.join(DEPLOY, "prometheus")
TMP = os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp()


def promtool(*args, cwd=PROM):
    result = subprocess.run(["promtool", *args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def github_anchor(heading):
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")


# Grafana's variables, replaced by something PromQL parses.
def ungrafana(expr):
    expr = expr.replace("$__rate_interval", "5m").replace("$__interval", "1m")
    return re.sub(r"\$\{?(\w+)\}?", r".*", expr)


def main():
    cases = Cases("prometheus_rules")
    alerts_file = os.path.join(PROM, "alerts.yml")
    rules = [r for g in load(alerts_file)["groups"] for r in g["rules"]]
    alerts = [r for r in rules if "alert" in r]
    tests = load(os.path.join(PROM, "alerts_test.yml"))["tests"]
    with open(os.path.join(PROM, "runbooks.md")) as f:
        anchors = {github_anchor(line[3:]) for line in f if line.startswith("## ")}

    cases.run("promtool check rules alerts.yml", lambda: promtool("check", "rules", "alerts.yml"))

    def check_prometheusrule():
        rule = load(os.path.join(DEPLOY, "kubernetes/base/prometheusrule.yaml"))
        path = os.path.join(TMP, "prometheusrule-spec.yml")
        with open(path, "w") as f:
            yaml.safe_dump(rule["spec"], f)
        promtool("check", "rules", path)
    cases.run("promtool check rules on the PrometheusRule's spec", check_prometheusrule)

    cases.run("promtool test rules alerts_test.yml",
              lambda: promtool("test", "rules", "alerts_test.yml"))

    for alert in alerts:
        name = alert["alert"]

        def fires_and_not(name=name):
            runs = [t for test in tests for t in test.get("alert_rule_test", [])
                    if t["alertname"] == name]
            assert any(t.get("exp_alerts") for t in runs), f"no unit test where {name} fires"
            assert any(not t.get("exp_alerts") for t in runs), f"no unit test where {name} stays silent"
        cases.run(f"{name}: a unit test where it fires and one where it stays silent", fires_and_not)

        def documented(alert=alert, name=name):
            assert alert.get("labels", {}).get("severity") in {"critical", "warning", "info"}
            notes = alert.get("annotations", {})
            assert notes.get("summary") and notes.get("description"), "summary and description"
            url = notes.get("runbook_url", "")
            assert url == f"deploy/prometheus/runbooks.md#{name.lower()}", url
            assert name.lower() in anchors, f"runbooks.md has no section '## {name}'"
        cases.run(f"{name}: severity, summary, description and a runbook section", documented)

    with open(os.path.join(DEPLOY, "grafana/provisioner.json")) as f:
        dashboard = json.load(f)
    def dashboard_ids():
        assert dashboard.get("uid") and dashboard.get("title")
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(set(ids)) == len(ids), f"duplicate panel ids {ids}"
    cases.run("grafana: provisioner.json has a uid, a title and unique panel ids", dashboard_ids)
    for panel in dashboard["panels"]:
        exprs = [t["expr"] for t in panel.get("targets", [])]
        if not exprs:
            continue

        def parses(panel=panel, exprs=exprs):
            path = os.path.join(TMP, f"panel-{panel['id']}.yml")
            with open(path, "w") as f:
                yaml.safe_dump({"groups": [{"name": "panel", "rules": [
                    {"record": f"panel:query{i}", "expr": ungrafana(e)} for i, e in enumerate(exprs)]}]}, f)
            promtool("check", "rules", path)
        cases.run(f"grafana panel '{panel['title']}': queries parse", parses)
    cases.finish()


if __name__ == "__main__":
    main()
