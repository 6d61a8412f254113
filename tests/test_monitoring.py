"""The monitoring an operator imports (issue 12.4): deploy/'s Prometheus rules and dashboard.

* ``promtool check rules`` accepts the rules (Debian's ``prometheus`` package ships promtool;
  .ci/system-deps installs it);
* every alert links to its own section of docs/operations.md, and every such section exists;
* every ``tracker_bridge_*`` name in the rules and the dashboard is one the daemon exports
  (its real registry, rendered), so a renamed metric cannot leave a silent panel or an alert
  that never fires.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker_bridge.observability.metrics import Metrics
from tracker_bridge.webhook.metrics import WebhookMetrics

ROOT = Path(__file__).parent.parent
RULES = ROOT / "deploy" / "prometheus" / "tracker-bridge.rules.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "tracker-bridge.dashboard.json"
OPERATIONS = ROOT / "docs" / "operations.md"
_METRIC = re.compile(r"\btracker_bridge_[a-z_]+\b")


def exported() -> set[str]:
    """Every metric name the daemon's registry declares (a counter as its ``_total``)."""
    metrics = Metrics()
    WebhookMetrics(metrics.registry)  # as open_bridge registers them, webhooks on or off
    families = metrics.registry.collect()
    return {f"{f.name}_total" if f.type == "counter" else f.name for f in families}


def family_of(name: str) -> str:
    """A histogram's series (``…_bucket``, ``…_sum``, ``…_count``) by its family's name."""
    base = re.sub(r"_(bucket|sum|count)$", "", name)
    return base if base != name and base in exported() else name


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors of the headings: lower case, punctuation dropped, spaces to '-'."""
    out = set()
    for heading in re.findall(r"^#+ (.+)$", markdown, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        out.add(slug)
    return out


def rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in data["groups"] for rule in group["rules"]]


def test_promtool_accepts_the_rules() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail(
            "promtool is missing: run `bash .ci/system-deps` (as root it installs Debian's "
            "`prometheus` package, which ships it)",
            pytrace=False,
        )
    done = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(rules())} rules found" in done.stdout


def test_each_alert_links_to_its_own_section_of_operations_md() -> None:
    sections = anchors(OPERATIONS.read_text(encoding="utf-8"))
    for rule in rules():
        url = rule["annotations"]["runbook_url"]
        page, _, anchor = url.partition("#")
        assert page == "docs/operations.md", url
        assert anchor == rule["alert"].lower(), f"{rule['alert']} links to #{anchor}"
        assert anchor in sections, f"docs/operations.md has no section '### {rule['alert']}'"


def test_every_alert_section_of_operations_md_has_its_alert() -> None:
    text = OPERATIONS.read_text(encoding="utf-8")
    alerts = text.split("## Alerts", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^### (\w+)$", alerts, re.MULTILINE))
    assert documented == {rule["alert"] for rule in rules()}


def test_the_rules_use_only_metrics_the_daemon_exports() -> None:
    names = {family_of(n) for rule in rules() for n in _METRIC.findall(rule["expr"])}
    assert names, "the rules name no tracker_bridge metric"
    assert names <= exported(), f"unknown metrics in {RULES.name}: {sorted(names - exported())}"


def test_the_dashboard_uses_only_metrics_the_daemon_exports() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    names = {family_of(n) for expr in exprs for n in _METRIC.findall(expr)}
    assert names <= exported(), f"unknown metrics in {DASHBOARD.name}: {sorted(names - exported())}"
    # and every metric the daemon exports has a panel
    assert exported() <= names, f"metrics without a panel: {sorted(exported() - names)}"
