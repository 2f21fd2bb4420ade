"""Building blocks of the dashboard's panels: time-range SQL and panel builders.

Every query is bounded by Grafana's time picker. Daily tables compare their
`day` with the picker's dates; time series compare their UTC `timestamp`
with the picker's instants and are averaged into buckets of the panel's
interval (never finer than the data), so a long range stays a few hundred
rows. Stats show the latest value inside the range.

Columns are (name, Infinity type): "timestamp", "number" or "string".
"""

FROM_ISO = "'${__from:date:iso}'"
TO_ISO = "'${__to:date:iso}'"
FROM_DAY = f"date({FROM_ISO})"
TO_DAY = f"date({TO_ISO})"
INTERVAL_S = "${__interval_ms} / 1000"

T, N, S = "timestamp", "number", "string"
# A day's point at noon UTC: the same calendar day in every browser time
# zone from UTC-11 to UTC+11 (the dashboard shows the browser's zone).
NOON = "'T12:00:00Z'"
DAY_TIME = f"day || {NOON} AS time"


def days(col="day"):
    """A daily table's rows inside the picked range."""
    return f"{col} BETWEEN {FROM_DAY} AND {TO_DAY}"


def instants(col="timestamp"):
    """A time series' rows inside the picked range (UTC ISO strings compare as text)."""
    return f"{col} BETWEEN {FROM_ISO} AND {TO_ISO}"


def days_near(col="day"):
    """A daily key around the picked range, one day either side: local days
    (sessions) against UTC instants."""
    return f"{col} BETWEEN date({FROM_ISO}, '-1 day') AND date({TO_ISO}, '+1 day')"


def range_at_most(days_):
    """True when the picked range spans `days_` days or less. SQLite skips a
    UNION branch whose constant condition is false without reading a row."""
    return f"julianday({TO_ISO}) - julianday({FROM_ISO}) <= {days_}"


# Minute-level MET unrolls raw documents only for two days or less.
SHORT_RANGE = range_at_most(2)
# Heart rate reads every sample only for three days or less (~860 samples);
# beyond, one heart_rate_daily row per day and source.
HR_SHORT_RANGE = range_at_most(3)
# Sample series (nightly curves, sessions, ring battery) read every sample
# only for three days or less; beyond, one aggregate row per night, session
# or day (series_summaries, ring_battery_daily: migration 0021).
SERIES_SHORT_RANGE = range_at_most(3)


def midpoint(start="start_timestamp", end="end_timestamp"):
    """The middle of an aggregated night or session, where its point is drawn."""
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', (julianday({start}) + julianday({end})) / 2)"


MIDPOINT = midpoint()
# Daily heart rate from heart_rate_daily (one row per day and source): the
# sample-weighted mean equals AVG over the samples.
HR_DAILY_MIN = "MIN(min_bpm)"
HR_DAILY_AVG = "ROUND(SUM(avg_bpm * samples) / SUM(samples), 1)"
HR_DAILY_MAX = "MAX(max_bpm)"


def bucket(col, min_seconds):
    """The start of the panel-interval bucket holding `col`, at least `min_seconds` wide."""
    size = f"MAX({min_seconds}, {INTERVAL_S})"
    return (
        f"strftime('%Y-%m-%dT%H:%M:%SZ', CAST(strftime('%s', {col}) AS INTEGER) / {size} * {size},"
        " 'unixepoch')"
    )


def latest(column, table="daily_summaries", where="", value=None):
    """The newest non-null value of `column` inside the range."""
    value = value or column
    extra = f" AND {where}" if where else ""
    return (
        f"SELECT {value} AS value FROM {table} WHERE {column} IS NOT NULL AND {days()}{extra}"
        " ORDER BY day DESC LIMIT 1"
    )


def daily(*columns, table="daily_summaries", where=""):
    """One point per day: `columns` are (expression, name)."""
    select = ", ".join(f"{expr} AS {name}" for expr, name in columns)
    extra = f" AND {where}" if where else ""
    return f"SELECT {DAY_TIME}, {select} FROM {table} WHERE {days()}{extra} ORDER BY day"


def cols(*names, time=True):
    return ([("time", T)] if time else []) + [(n, N) for n in names]


def stat(title, sql, unit=None, **kw):
    p = {"type": "stat", "title": title, "sql": sql, "columns": [("value", N)], "w": 3, "h": 4}
    if unit:
        p["unit"] = unit
    p.update(kw)
    return p


def gauge(title, sql, **kw):
    p = {
        "type": "gauge",
        "title": title,
        "sql": sql,
        "columns": [("value", N)],
        "w": 3,
        "h": 4,
        "min": 0,
        "max": 100,
        "thresholds": [(60, "orange"), (70, "yellow"), (85, "green")],
        "color_mode": "thresholds",
    }
    p.update(kw)
    p["thresholds"] = [(0, "red")] + p["thresholds"]
    return p


def series(title, sql, columns, unit=None, **kw):
    p = {"type": "timeseries", "title": title, "sql": sql, "columns": columns}
    if unit:
        p["unit"] = unit
    p.update(kw)
    return p


def bars(title, sql, x, columns, unit=None, **kw):
    p = {"type": "barchart", "title": title, "sql": sql, "x": x, "columns": columns}
    if unit:
        p["unit"] = unit
    p.update(kw)
    return p


def pie(title, sql, label, value="count", **kw):
    p = {"type": "piechart", "title": title, "sql": sql, "columns": [(label, S), (value, N)]}
    p.update(kw)
    return p


def table(title, sql, columns, **kw):
    p = {"type": "table", "title": title, "sql": sql, "columns": columns}
    p.update(kw)
    return p


# Lags of an empty table are NULL, shown as NO_DATA_YET (a sentinel such as
# 9999 days would read as 27 years).
def lag_days(table_name, column):
    return (
        f"SELECT CAST(julianday('now') - julianday(MAX({column})) AS INTEGER)"
        f" AS value FROM {table_name}"
    )


def lag_hours(table_name, column="timestamp"):
    return (
        f"SELECT ROUND((julianday('now') - julianday(MAX({column}))) * 24, 1)"
        f" AS value FROM {table_name}"
    )


NO_DATA_YET = "none stored"


def lag_stat(title, sql, unit, **kw):
    return stat(title, sql, unit, no_value=NO_DATA_YET, **kw)


LONG_SLEEP = "type = 'long_sleep'"
# Naps: Oura's short sleeps; `rest` (rest mode) and `deleted` periods are not sleep.
NAPS = "type IN ('sleep', 'late_nap')"
MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
# Hours as hours: Grafana's "h" unit turns 24 h and more into days.
HOURS_UNIT = "suffix: h"
ASLEEP = "(deep_duration + rem_duration + light_duration)"
RESILIENCE_LEVEL = (
    "CASE resilience_level WHEN 'limited' THEN 1 WHEN 'adequate' THEN 2 WHEN 'solid' THEN 3"
    " WHEN 'strong' THEN 4 WHEN 'exceptional' THEN 5 END"
)
RESILIENCE_NAMES = [(1, "limited"), (2, "adequate"), (3, "solid"), (4, "strong"), (5, "exceptional")]
WORKOUT_DAY = "substr(start_datetime, 1, 10)"
# The local start day inside the range, said as a range of start_datetime
# (it begins with that day) so idx_activity_logs_type_start serves it: as
# substr(…) it read every workout ever stored.
LOGS_IN_RANGE = f"start_datetime >= {FROM_DAY} AND start_datetime < date({TO_ISO}, '+1 day')"
WORKOUTS = f"type = 'workout' AND {LOGS_IN_RANGE}"
SESSIONS = f"type = 'session' AND {LOGS_IN_RANGE}"
HOURS = "(julianday(end_datetime) - julianday(start_datetime)) * 24"
WEEK = f"strftime('%Y-%W', {WORKOUT_DAY})"
LAG = [(1, "yellow"), (3, "red")]
# Seconds of high stress; the original stored them as stress_index.
STRESS_HIGH = "COALESCE(stress_high_seconds, stress_index)"
DB_INFO = "/api/db/info"

# The night the `$night` variable picks (a long_sleep id); with none picked,
# the newest night in range. `sqlstring` quotes and escapes the value.
NIGHT_ID = (
    "COALESCE(NULLIF(${night:sqlstring}, ''), (SELECT id FROM sleep_episodes"
    f" WHERE {LONG_SLEEP} AND {days()} ORDER BY day DESC LIMIT 1))"
)


def night(column):
    """One column of the picked night (a scalar subquery)."""
    return f"(SELECT {column} FROM sleep_episodes WHERE id = {NIGHT_ID})"


# UTC instants of the picked night's bedtime and wake-up (stored with offsets).
NIGHT_START = night("strftime('%Y-%m-%dT%H:%M:%SZ', start_datetime)")
NIGHT_END = night("strftime('%Y-%m-%dT%H:%M:%SZ', end_datetime)")
# The daily step target: the `steps_target` dashboard variable.
STEPS_TARGET = "CAST('${steps_target}' AS INTEGER)"
# sleep_time's optimal bedtime window: seconds from the local midnight
# ending the night, as local clock times.
BEDTIME = "ds.sleep_time_optimal_bedtime"


def bedtime_clock(offset):
    return f"strftime('%H:%M', 86400 + json_extract({BEDTIME}, '$.{offset}'), 'unixepoch')"


def bedtime_hours(offset):
    return f"ROUND(json_extract({BEDTIME}, '$.{offset}') / 3600.0, 2)"
