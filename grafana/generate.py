#!/usr/bin/env python3
"""Writes grafana/dashboards/oura.json, the dashboard users import, and
grafana/provisioning/alerting/oura.json, its staleness alert rule.

The dashboard is described once (rows of panels, each with its SQL, in
grafana/panels/) and rendered here to Grafana's classic JSON model, so ~95
panels stay consistent: the same datasource binding, the same Infinity query
shape, the same time-range filters, a grid laid out without overlaps.

    python3 grafana/generate.py            # rewrite grafana/dashboards/oura.json
    python3 grafana/generate.py --check    # exit 1 if the committed file differs
    python3 grafana/generate.py --stdout   # print the JSON

Standard library only. tests/grafana_dashboard.rs runs `--check`.
"""

import json
import pathlib
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the repository

from panels import NIGHT_OPTIONS, ROWS  # noqa: E402 (after the line above)
from panels.build import lag_hours  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent / "dashboards" / "oura.json"
ALERTS = pathlib.Path(__file__).resolve().parent / "provisioning" / "alerting" / "oura.json"

INFINITY = "yesoreyeram-infinity-datasource"
# Import replaces this with the datasource picked in the import dialog; with
# file provisioning it stays literal and the hidden `DS_INFINITY` datasource
# variable (below) resolves it to the provisioned uid.
DS = {"type": INFINITY, "uid": "${DS_INFINITY}"}
PROVISIONED_UID = "oura-infinity"

# Grafana 10.0's schema; Grafana 11 and 12 migrate it forward on load.
SCHEMA_VERSION = 38
GRID_WIDTH = 24


def flat(sql):
    """One line per query: the SQL is read in the generator, not in the JSON."""
    return " ".join(sql.split())


def infinity_target(query):
    """The Infinity query for one panel: POST /api/sql, or GET of a JSON route."""
    columns = [
        {"selector": name, "text": name, "type": kind} for name, kind in query["columns"]
    ]
    target = {
        "refId": "A",
        "datasource": DS,
        "type": "json",
        "source": "url",
        "parser": "backend",
        "format": "table",
        "columns": columns,
        "filters": [],
        "computed_columns": [],
    }
    if query.get("sql"):
        body = json.dumps({"sql": flat(query["sql"]), "params": []}, ensure_ascii=False)
        target.update(
            {
                "url": "/api/sql",
                "url_options": {
                    "method": "POST",
                    "body_type": "raw",
                    "body_content_type": "application/json",
                    "data": body,
                },
                "root_selector": "results",
            }
        )
    else:
        target.update(
            {
                "url": query["get"],
                "url_options": {"method": "GET", "data": ""},
                "root_selector": "",
            }
        )
    return target


def field_defaults(p):
    defaults = {"color": {"mode": p.get("color_mode", "palette-classic")}}
    if "unit" in p:
        defaults["unit"] = p["unit"]
    if "decimals" in p:
        defaults["decimals"] = p["decimals"]
    if "min" in p:
        defaults["min"] = p["min"]
    if "max" in p:
        defaults["max"] = p["max"]
    if "no_value" in p:
        defaults["noValue"] = p["no_value"]
    if "mappings" in p:
        defaults["mappings"] = [
            {
                "type": "value",
                "options": {
                    str(v): {"text": text, "index": i} for i, (v, text) in enumerate(p["mappings"])
                },
            }
        ]
    steps = [{"color": "green", "value": None}]
    for value, color in p.get("thresholds", []):
        steps.append({"color": color, "value": value})
    defaults["thresholds"] = {"mode": "absolute", "steps": steps}
    if p["type"] == "timeseries":
        custom = {
            "drawStyle": p.get("draw", "line"),
            "lineWidth": 1,
            "fillOpacity": 80 if p.get("draw") == "bars" else 10,
            "pointSize": 4,
            "showPoints": p.get("show_points", "auto"),
            "spanNulls": p.get("span_nulls", True),
            "lineInterpolation": p.get("interpolation", "linear"),
            "axisPlacement": "auto",
        }
        # Infinity returns no rows for a gap, so spanNulls alone has nothing to
        # break on: insertNulls adds a null wherever points are further apart.
        if "insert_nulls" in p:
            custom["insertNulls"] = p["insert_nulls"]
        if p.get("stack"):
            custom["stacking"] = {"mode": "normal", "group": "A"}
        defaults["custom"] = custom
    return defaults


def overrides(p):
    """Per-field display names, matched by the column names the query returns."""
    out = []
    for field, name in p.get("rename", {}).items():
        out.append(
            {
                "matcher": {"id": "byName", "options": field},
                "properties": [{"id": "displayName", "value": name}],
            }
        )
    for field, unit in p.get("field_units", {}).items():
        out.append(
            {
                "matcher": {"id": "byName", "options": field},
                "properties": [{"id": "unit", "value": unit}],
            }
        )
    for field, placement in p.get("field_axes", {}).items():
        out.append(
            {
                "matcher": {"id": "byName", "options": field},
                "properties": [{"id": "custom.axisPlacement", "value": placement}],
            }
        )
    return out


def transformations(p):
    """Tables keep the query's column order: Infinity's frame does not."""
    if p["type"] != "table":
        return []
    order = {name: i for i, (name, _) in enumerate(p["columns"])}
    return [
        {
            "id": "organize",
            "options": {"indexByName": order, "excludeByName": {}, "renameByName": {}},
        }
    ]


def options(p):
    kind = p["type"]
    reduce = {"calcs": ["lastNotNull"], "fields": "", "values": False}
    if kind == "stat":
        return {
            "reduceOptions": reduce,
            "colorMode": "value",
            "graphMode": "none",
            "justifyMode": "auto",
            "orientation": "auto",
            "textMode": "auto",
        }
    if kind == "gauge":
        return {"reduceOptions": reduce, "showThresholdLabels": False, "showThresholdMarkers": True}
    if kind == "timeseries":
        return {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "none"},
        }
    if kind == "barchart":
        return {
            "xField": p["x"],
            "orientation": "auto",
            "stacking": "normal" if p.get("stack") else "none",
            "showValue": "auto",
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "none"},
        }
    if kind == "piechart":
        return {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": True},
            "pieType": "pie",
            "displayLabels": ["name", "percent"],
            "legend": {"displayMode": "list", "placement": "right", "showLegend": True},
        }
    if kind == "table":
        return {"showHeader": True, "cellHeight": "sm", "footer": {"show": False}}
    raise ValueError(f"unknown panel type {kind}")


def panel(p, panel_id, pos):
    out = {
        "id": panel_id,
        "type": p["type"],
        "title": p["title"],
        "datasource": DS,
        "gridPos": pos,
        "targets": [infinity_target(p)],
        "fieldConfig": {"defaults": field_defaults(p), "overrides": overrides(p)},
        "options": options(p),
    }
    if transformations(p):
        out["transformations"] = transformations(p)
    if "description" in p:
        out["description"] = p["description"]
    if "interval" in p:
        out["interval"] = p["interval"]
    return out


class Grid:
    """Places panels left to right, wrapping at 24 columns."""

    def __init__(self):
        self.x = 0
        self.y = 0
        self.line_height = 0

    def newline(self):
        self.y += self.line_height
        self.x = 0
        self.line_height = 0

    def row(self):
        self.newline()
        pos = {"h": 1, "w": GRID_WIDTH, "x": 0, "y": self.y}
        self.y += 1
        return pos

    def place(self, w, h):
        if self.x + w > GRID_WIDTH:
            self.newline()
        pos = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.line_height = max(self.line_height, h)
        return pos


def default_size(kind):
    if kind in ("stat", "gauge"):
        return 4, 4
    return 12, 8


def dashboard():
    grid = Grid()
    top = []
    for r, row in enumerate(ROWS, start=1):
        row_panel = {
            "id": r * 100,
            "type": "row",
            "title": row["title"],
            "collapsed": row["collapsed"],
            "gridPos": grid.row(),
            "panels": [],
        }
        children = []
        for i, p in enumerate(row["panels"], start=1):
            w, h = default_size(p["type"])
            pos = grid.place(p.get("w", w), p.get("h", h))
            children.append(panel(p, r * 100 + i, pos))
        grid.newline()
        if row["collapsed"]:
            row_panel["panels"] = children
            top.append(row_panel)
        else:
            top.append(row_panel)
            top.extend(children)

    kinds = sorted({p["type"] for row in ROWS for p in row["panels"]})
    names = {
        "barchart": "Bar chart",
        "gauge": "Gauge",
        "piechart": "Pie chart",
        "stat": "Stat",
        "table": "Table",
        "timeseries": "Time series",
    }
    return {
        "__inputs": [
            {
                "name": "DS_INFINITY",
                "label": "Oura worker (Infinity)",
                "description": "An Infinity datasource whose URL is the oura-edge worker, "
                "with the GRAFANA_SECRET bearer token",
                "type": "datasource",
                "pluginId": INFINITY,
                "pluginName": "Infinity",
            }
        ],
        "__elements": {},
        "__requires": [
            {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.0.0"},
            {"type": "datasource", "id": INFINITY, "name": "Infinity", "version": "2.0.0"},
        ]
        + [{"type": "panel", "id": k, "name": names[k], "version": ""} for k in kinds],
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                }
            ]
        },
        "description": "Oura Ring data stored by oura-edge, read through POST /api/sql. "
        "Every query follows the time picker.",
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "links": [],
        "liveNow": False,
        "panels": top,
        "refresh": "",
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["oura", "health"],
        "templating": {
            "list": [
                {
                    "name": "DS_INFINITY",
                    "label": "Oura datasource",
                    "type": "datasource",
                    "query": INFINITY,
                    "current": {"selected": True, "text": "Oura", "value": PROVISIONED_UID},
                    "hide": 2,
                    "includeAll": False,
                    "multi": False,
                    "options": [],
                    "refresh": 1,
                    "regex": "",
                    "skipUrlSync": False,
                },
                night_variable(),
                {
                    "name": "steps_target",
                    "label": "Step target",
                    "type": "textbox",
                    "query": "10000",
                    "current": {"text": "10000", "value": "10000"},
                    "options": [{"selected": True, "text": "10000", "value": "10000"}],
                    "hide": 0,
                    "skipUrlSync": False,
                },
            ]
        },
        "time": {"from": "now-90d", "to": "now"},
        "timepicker": {"refresh_intervals": ["15m", "30m", "1h", "2h", "1d"]},
        # Intraday panels in the viewer's own time zone; daily points sit at
        # noon UTC, so they keep their calendar day in it.
        "timezone": "browser",
        "title": "Oura (oura-edge)",
        "uid": "oura-edge",
        "version": 1,
        "weekStart": "",
    }


def night_variable():
    """`$night`: the main nights in range, from an Infinity query (its
    variable editor keeps the query under `infinityQuery`)."""
    query = {"sql": NIGHT_OPTIONS, "columns": [("__text", "string"), ("__value", "string")]}
    return {
        "name": "night",
        "label": "Night",
        "type": "query",
        "datasource": DS,
        "query": {"queryType": "infinity", "infinityQuery": infinity_target(query), "query": "", "refId": "night"},
        "definition": "Infinity: main nights in range",
        # Re-read when the time range changes: the newest night is the default.
        "refresh": 2,
        "current": {},
        "options": [],
        "hide": 0,
        "includeAll": False,
        "multi": False,
        "sort": 0,
        "regex": "",
        "skipUrlSync": False,
    }


# The staleness alert: hours since the newest heart-rate sample, which the
# ring uploads whenever the phone syncs and the cron stores every 2 hours.
STALE_HOURS = 24


def alert_rules():
    query = {"sql": lag_hours("heart_rate_samples").replace(" AS value", " AS hours"),
             "columns": [("hours", "number")]}
    target = infinity_target(query)
    target["datasource"] = {"type": INFINITY, "uid": PROVISIONED_UID}
    return {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": 1,
                "name": "oura-edge",
                "folder": "Oura",
                "interval": "1h",
                "rules": [
                    {
                        "uid": "oura-data-stale",
                        "title": "Oura data is stale",
                        "condition": "C",
                        "data": [
                            {
                                "refId": "A",
                                "relativeTimeRange": {"from": 3600, "to": 0},
                                "datasourceUid": PROVISIONED_UID,
                                "model": target,
                            },
                            {
                                "refId": "B",
                                "datasourceUid": "__expr__",
                                "model": {"refId": "B", "type": "reduce", "expression": "A", "reducer": "last"},
                            },
                            {
                                "refId": "C",
                                "datasourceUid": "__expr__",
                                "model": {
                                    "refId": "C",
                                    "type": "threshold",
                                    "expression": "B",
                                    "conditions": [{"evaluator": {"type": "gt", "params": [STALE_HOURS]}}],
                                },
                            },
                        ],
                        # An empty table or an unreachable worker is stale too.
                        "noDataState": "Alerting",
                        "execErrState": "Alerting",
                        "for": "1h",
                        "annotations": {
                            "summary": f"No new Oura heart rate for more than {STALE_HOURS} hours",
                            "description": "The ring has not synced, or the worker's cron cannot reach Oura:"
                            " see /status and docs/runbook.md.",
                        },
                        "labels": {"service": "oura-edge"},
                        "isPaused": False,
                    }
                ],
            }
        ],
    }


def render():
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"


def render_alerts():
    return json.dumps(alert_rules(), indent=2, ensure_ascii=False) + "\n"


def main(args):
    outputs = [(OUT, render()), (ALERTS, render_alerts())]
    if "--stdout" in args:
        sys.stdout.write(outputs[0][1])
        return 0
    if "--check" in args:
        for path, text in outputs:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                sys.stderr.write(f"{path} is stale: run python3 grafana/generate.py\n")
                return 1
        return 0
    for path, text in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
