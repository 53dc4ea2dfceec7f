"""Prints, one a line, the oauth2_* metric names that deploy/'s Grafana dashboard and
Prometheus alerting rules use, after checking that both files parse and have the shape their
tools expect. The integration test compares the names with a live server's /metrics."""

import json
import re
import sys

import yaml

METRIC = re.compile(r"\boauth2_[a-z0-9_]+")


def dashboard_expressions(path):
    with open(path) as file:
        dashboard = json.load(file)
    assert dashboard.get("title"), "the dashboard has a title"
    panels = dashboard.get("panels")
    assert isinstance(panels, list) and panels, "the dashboard has panels"
    expressions = []
    for panel in panels:
        if panel.get("type") == "row":
            continue
        targets = panel.get("targets")
        assert targets, f"panel {panel.get('title')!r} has targets"
        for target in targets:
            assert target.get("expr"), f"panel {panel.get('title')!r} has an expression in every target"
            expressions.append(target["expr"])
    return expressions


def rule_expressions(path):
    with open(path) as file:
        rules = yaml.safe_load(file)
    groups = rules.get("groups")
    assert isinstance(groups, list) and groups, "the rules file has groups"
    expressions = []
    for group in groups:
        assert group.get("name"), "every group has a name"
        for rule in group.get("rules", []):
            assert rule.get("alert"), "every rule is an alert"
            assert rule.get("expr"), f"alert {rule['alert']} has an expression"
            assert rule.get("labels", {}).get("severity"), f"alert {rule['alert']} has a severity"
            assert rule.get("annotations", {}).get("summary"), f"alert {rule['alert']} has a summary"
            expressions.append(str(rule["expr"]))
    return expressions


def main():
    dashboard, rules = sys.argv[1], sys.argv[2]
    names = set()
    for expression in dashboard_expressions(dashboard) + rule_expressions(rules):
        names.update(METRIC.findall(expression))
    for name in sorted(names):
        print(name)


if __name__ == "__main__":
    main()
