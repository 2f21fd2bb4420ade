"""The dashboard's rows and panels: title, chart, SQL, and the columns Infinity reads.

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
DAY_TIME = "day || 'T00:00:00Z' AS time"


def days(col="day"):
    """A daily table's rows inside the picked range."""
    return f"{col} BETWEEN {FROM_DAY} AND {TO_DAY}"


def instants(col="timestamp"):
    """A time series' rows inside the picked range (UTC ISO strings compare as text)."""
    return f"{col} BETWEEN {FROM_ISO} AND {TO_ISO}"


# True when the picked range spans two days or less: minute-level panels
# unroll raw documents only then (SQLite skips a branch whose constant
# condition is false without reading a row).
SHORT_RANGE = f"julianday({TO_ISO}) - julianday({FROM_ISO}) <= 2"


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


def lag_days(table_name, column):
    return (
        f"SELECT COALESCE(CAST(julianday('now') - julianday(MAX({column})) AS INTEGER), 9999)"
        f" AS value FROM {table_name}"
    )


def lag_hours(table_name, column="timestamp"):
    return (
        f"SELECT COALESCE(ROUND((julianday('now') - julianday(MAX({column}))) * 24, 1), 9999)"
        f" AS value FROM {table_name}"
    )


LONG_SLEEP = "type = 'long_sleep'"
ASLEEP = "(deep_duration + rem_duration + light_duration)"
RESILIENCE_LEVEL = (
    "CASE resilience_level WHEN 'limited' THEN 1 WHEN 'adequate' THEN 2 WHEN 'solid' THEN 3"
    " WHEN 'strong' THEN 4 WHEN 'exceptional' THEN 5 END"
)
RESILIENCE_NAMES = [(1, "limited"), (2, "adequate"), (3, "solid"), (4, "strong"), (5, "exceptional")]
WORKOUT_DAY = "substr(start_datetime, 1, 10)"
WORKOUTS = f"type = 'workout' AND {days(WORKOUT_DAY)}"
SESSIONS = f"type = 'session' AND {days(WORKOUT_DAY)}"
HOURS = "(julianday(end_datetime) - julianday(start_datetime)) * 24"
WEEK = f"strftime('%Y-%W', {WORKOUT_DAY})"
LAG = [(1, "yellow"), (3, "red")]
DB_INFO = "/api/db/info"

SNAPSHOT = [
    gauge("Readiness", latest("readiness_score")),
    gauge("Sleep Score", latest("sleep_score")),
    gauge("Activity Score", latest("activity_score")),
    stat(
        "Sleep Hours",
        latest("deep_duration", "sleep_episodes", LONG_SLEEP, f"{ASLEEP} / 3600.0"),
        "h",
        decimals=1,
    ),
    stat("Resting HR", latest("heart_rate_lowest", "sleep_episodes"), "bpm"),
    stat("HRV", latest("hrv_avg", "sleep_episodes"), "ms"),
    stat(
        "High Stress",
        latest("COALESCE(stress_high_seconds, stress_index)", value="COALESCE(stress_high_seconds, stress_index) / 60.0"),
        "m",
        decimals=0,
        description="Minutes of high stress on the newest day in range (stress_index in the original).",
    ),
    stat(
        "Resilience",
        latest("resilience_level", value=RESILIENCE_LEVEL),
        mappings=RESILIENCE_NAMES,
    ),
    stat("SpO2", latest("spo2_percentage"), "percent", decimals=1),
    stat(
        "Cardiovascular Age",
        latest("COALESCE(cardiovascular_age, cv_age_offset)"),
        "y",
        description="Vascular age (the original's cv_age_offset column holds the same value).",
    ),
    stat("VO2 Max", latest("vo2_max"), decimals=1),
    stat(
        "DB Size",
        None,
        "decmbytes",
        get=DB_INFO,
        columns=[("file_size_mb", N)],
        thresholds=[(250, "yellow"), (450, "red")],
        color_mode="thresholds",
    ),
    stat("Total Records", None, "short", get=DB_INFO, columns=[("total_records", N)]),
]

SCORES = [
    series(
        "Readiness / Sleep / Activity",
        daily(("readiness_score", "readiness"), ("sleep_score", "sleep"), ("activity_score", "activity")),
        cols("readiness", "sleep", "activity"),
        min=0,
        max=100,
    ),
]
for score in ("readiness", "sleep", "activity"):
    SCORES.append(
        series(
            f"{score.title()} (7-day rolling average)",
            f"WITH d AS (SELECT day, {score}_score AS score FROM daily_summaries"
            f" WHERE {score}_score IS NOT NULL AND {days()})"
            f" SELECT {DAY_TIME}, score, ROUND(AVG(score) OVER (ORDER BY day ROWS BETWEEN 6 PRECEDING"
            " AND CURRENT ROW), 1) AS score_7d FROM d ORDER BY day",
            cols("score", "score_7d"),
            w=8,
            rename={"score_7d": "7-day average"},
        )
    )
SCORES += [
    series(
        "Readiness Contributors",
        daily(
            ("readiness_activity_balance", "activity_balance"),
            ("readiness_body_temperature", "body_temp"),
            ("readiness_hrv_balance", "hrv_balance"),
            ("readiness_previous_day_activity", "prev_day_activity"),
            ("readiness_previous_night_sleep", "prev_night"),
            ("readiness_recovery_index", "recovery_index"),
            ("readiness_resting_heart_rate", "resting_hr"),
            ("readiness_sleep_balance", "sleep_balance"),
            ("readiness_sleep_regularity", "sleep_regularity"),
        ),
        cols(
            "activity_balance",
            "body_temp",
            "hrv_balance",
            "prev_day_activity",
            "prev_night",
            "recovery_index",
            "resting_hr",
            "sleep_balance",
            "sleep_regularity",
        ),
    ),
    series(
        "Sleep Contributors",
        daily(
            ("sleep_deep_sleep", "deep_sleep"),
            ("sleep_efficiency", "efficiency"),
            ("sleep_latency", "latency"),
            ("sleep_rem_sleep", "rem_sleep"),
            ("sleep_restfulness", "restfulness"),
            ("sleep_timing", "timing"),
            ("sleep_total_sleep", "total_sleep"),
        ),
        cols("deep_sleep", "efficiency", "latency", "rem_sleep", "restfulness", "timing", "total_sleep"),
    ),
    bars(
        "Average Scores per Week",
        f"SELECT strftime('%Y-%W', day) AS week, ROUND(AVG(readiness_score), 1) AS readiness,"
        " ROUND(AVG(sleep_score), 1) AS sleep, ROUND(AVG(activity_score), 1) AS activity"
        f" FROM daily_summaries WHERE {days()} GROUP BY week ORDER BY week",
        "week",
        [("week", S), ("readiness", N), ("sleep", N), ("activity", N)],
    ),
    bars(
        "Average Readiness by Sleep Duration",
        "WITH joined AS (SELECT ds.readiness_score AS readiness,"
        " (se.deep_duration + se.rem_duration + se.light_duration) / 3600.0 AS sleep_h"
        " FROM daily_summaries ds JOIN sleep_episodes se ON ds.day = se.day AND se.type = 'long_sleep'"
        f" WHERE {days('ds.day')} AND ds.readiness_score IS NOT NULL)"
        " SELECT CASE WHEN sleep_h < 6 THEN '<6h' WHEN sleep_h < 7 THEN '6-7h'"
        " WHEN sleep_h < 8 THEN '7-8h' ELSE '8h+' END AS bucket,"
        " ROUND(AVG(readiness), 1) AS avg_readiness, COUNT(*) AS nights"
        " FROM joined GROUP BY bucket ORDER BY bucket",
        "bucket",
        [("bucket", S), ("avg_readiness", N), ("nights", N)],
    ),
]

LONG = f"{LONG_SLEEP} AND {ASLEEP} > 0"
SLEEP = [
    stat(
        "Average Sleep",
        f"SELECT ROUND(AVG({ASLEEP} / 3600.0), 2) AS value FROM sleep_episodes WHERE {LONG} AND {days()}",
        "h",
        w=4,
    ),
    stat(
        "Average Deep Sleep",
        f"SELECT ROUND(AVG(deep_duration / 3600.0), 2) AS value FROM sleep_episodes WHERE {LONG} AND {days()}",
        "h",
        w=4,
    ),
    stat(
        "Average Deep Sleep %",
        f"SELECT ROUND(AVG(100.0 * deep_duration / {ASLEEP}), 1) AS value FROM sleep_episodes"
        f" WHERE {LONG} AND {days()}",
        "percent",
        w=4,
    ),
    stat(
        "Average Sleep Efficiency",
        f"SELECT ROUND(AVG(efficiency), 1) AS value FROM sleep_episodes WHERE {LONG} AND {days()}",
        "percent",
        w=4,
    ),
    stat(
        "Average Sleep Latency",
        f"SELECT ROUND(AVG(latency) / 60.0, 1) AS value FROM sleep_episodes WHERE {LONG} AND {days()}",
        "m",
        w=4,
    ),
    stat(
        "Naps",
        f"SELECT COUNT(*) AS value FROM sleep_episodes WHERE type <> 'long_sleep' AND {days()}",
        "short",
        w=4,
        description="Sleep periods other than the main night (type sleep or late_nap).",
    ),
    series(
        "Total Sleep",
        daily((f"{ASLEEP} / 3600.0", "hours"), table="sleep_episodes", where=LONG_SLEEP),
        cols("hours"),
        "h",
    ),
    series(
        "Sleep Stages",
        daily(
            ("deep_duration / 3600.0", "deep"),
            ("rem_duration / 3600.0", "rem"),
            ("light_duration / 3600.0", "light"),
            table="sleep_episodes",
            where=LONG_SLEEP,
        ),
        cols("deep", "rem", "light"),
        "h",
        draw="bars",
        stack=True,
    ),
    series(
        "Deep Sleep % (7- and 28-night averages)",
        f"WITH nightly AS (SELECT day, 100.0 * deep_duration / {ASLEEP} AS pct FROM sleep_episodes"
        f" WHERE {LONG} AND {days()})"
        f" SELECT {DAY_TIME}, ROUND(pct, 1) AS deep_pct,"
        " ROUND(AVG(pct) OVER (ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW), 1) AS deep_7d,"
        " ROUND(AVG(pct) OVER (ORDER BY day ROWS BETWEEN 27 PRECEDING AND CURRENT ROW), 1) AS deep_28d"
        " FROM nightly ORDER BY day",
        cols("deep_pct", "deep_7d", "deep_28d"),
        "percent",
    ),
    series(
        "Sleep Stage Mix",
        f"WITH nightly AS (SELECT day, deep_duration, rem_duration, light_duration,"
        f" COALESCE(awake_duration, 0) AS awake, {ASLEEP} + COALESCE(awake_duration, 0) AS total"
        f" FROM sleep_episodes WHERE {LONG} AND {days()})"
        f" SELECT {DAY_TIME}, ROUND(100.0 * deep_duration / total, 1) AS deep_pct,"
        " ROUND(100.0 * rem_duration / total, 1) AS rem_pct,"
        " ROUND(100.0 * light_duration / total, 1) AS light_pct,"
        " ROUND(100.0 * awake / total, 1) AS awake_pct FROM nightly ORDER BY day",
        cols("deep_pct", "rem_pct", "light_pct", "awake_pct"),
        "percent",
        stack=True,
        max=100,
    ),
    series(
        "Time in Bed vs Asleep",
        daily(
            ("time_in_bed / 3600.0", "in_bed"),
            ("total_sleep_duration / 3600.0", "asleep"),
            table="sleep_episodes",
            where=LONG_SLEEP,
        ),
        cols("in_bed", "asleep"),
        "h",
    ),
    series(
        "Deep Sleep % vs Readiness",
        "SELECT ds.day || 'T00:00:00Z' AS time,"
        f" ROUND(100.0 * se.deep_duration / NULLIF(se.deep_duration + se.rem_duration + se.light_duration, 0), 1)"
        " AS deep_pct, ds.readiness_score AS readiness FROM daily_summaries ds"
        " JOIN sleep_episodes se ON ds.day = se.day AND se.type = 'long_sleep'"
        f" WHERE ds.readiness_score IS NOT NULL AND {days('ds.day')} ORDER BY ds.day",
        cols("deep_pct", "readiness"),
    ),
    series(
        "Sleep Efficiency",
        daily(("efficiency", "efficiency"), table="sleep_episodes", where=LONG_SLEEP),
        cols("efficiency"),
        "percent",
        description="Share of time in bed spent asleep (the sleep score's efficiency contributor is in Sleep Contributors).",
    ),
    series(
        "Sleep Latency",
        daily(("latency / 60.0", "minutes"), table="sleep_episodes", where=LONG_SLEEP),
        cols("minutes"),
        "m",
    ),
    series(
        "Average Heart Rate (sleep)",
        daily(("heart_rate_avg", "avg_hr"), ("heart_rate_lowest", "lowest_hr"), table="sleep_episodes", where=LONG_SLEEP),
        cols("avg_hr", "lowest_hr"),
        "bpm",
    ),
    series(
        "Average HRV (sleep)",
        daily(("hrv_avg", "hrv"), table="sleep_episodes", where=LONG_SLEEP),
        cols("hrv"),
        "ms",
    ),
]

NIGHTLY = [
    series(
        f"Nightly {label}",
        f"SELECT {bucket('timestamp', 300)} AS time, ROUND(AVG(value), 1) AS {name},"
        f" MIN(value) AS min_{name}, MAX(value) AS max_{name} FROM document_series"
        f" WHERE series = '{key}' AND {instants()} GROUP BY 1 ORDER BY 1",
        cols(name, f"min_{name}", f"max_{name}"),
        unit,
        w=24,
        span_nulls=False,
        description=f"The 5-minute {label.lower()} Oura records during sleep (document_series '{key}'),"
        " averaged per panel interval on long ranges.",
    )
    for label, name, key, unit in (
        ("Heart Rate", "bpm", "sleep.heart_rate", "bpm"),
        ("HRV", "hrv", "sleep.hrv", "ms"),
    )
]

PHYSIOLOGY = [
    series(
        "Respiratory Rate",
        daily(("breath_avg", "breaths"), table="sleep_episodes", where=LONG_SLEEP),
        cols("breaths"),
        "short",
        w=8,
    ),
    series(
        "Restless Periods",
        "SELECT ds.day || 'T00:00:00Z' AS time, ds.sleep_restfulness AS restfulness,"
        " se.restless_periods AS restless_periods FROM daily_summaries ds"
        " LEFT JOIN sleep_episodes se ON se.day = ds.day AND se.type = 'long_sleep'"
        f" WHERE {days('ds.day')} ORDER BY ds.day",
        cols("restfulness", "restless_periods"),
        w=8,
        rename={"restfulness": "restfulness contributor"},
    ),
    series(
        "Temperature Deviation",
        "SELECT se.day || 'T00:00:00Z' AS time, se.temperature_deviation AS deviation,"
        " ds.readiness_temperature_trend_deviation AS trend_deviation FROM sleep_episodes se"
        " LEFT JOIN daily_summaries ds ON ds.day = se.day"
        f" WHERE se.type = 'long_sleep' AND {days('se.day')} ORDER BY se.day",
        cols("deviation", "trend_deviation"),
        "celsius",
        w=8,
    ),
    series(
        "Awake Time",
        daily(("awake_duration / 60.0", "minutes"), table="sleep_episodes", where=LONG_SLEEP),
        cols("minutes"),
        "m",
        w=8,
    ),
    stat(
        "Breathing Disturbance",
        latest("spo2_breathing_disturbance_index"),
        "short",
        w=4,
    ),
    series(
        "Breathing Disturbance Index",
        daily(("spo2_breathing_disturbance_index", "value")),
        cols("value"),
        w=12,
    ),
]

ACTIVITY = [
    series(
        "Steps",
        daily(("activity_steps", "steps"), where="activity_steps IS NOT NULL"),
        cols("steps"),
        "short",
        draw="bars",
        w=8,
    ),
    series(
        "Calories",
        daily(
            ("activity_total_calories", "total"),
            ("activity_active_calories", "active"),
            ("activity_target_calories", "target"),
        ),
        cols("total", "active", "target"),
        "kcal",
        w=8,
    ),
    series(
        "Walking Equivalent",
        daily(("activity_equivalent_walking_distance / 1000.0", "km")),
        cols("km"),
        "lengthkm",
        w=8,
    ),
    series(
        "Activity Contributors",
        daily(
            ("activity_meet_daily_targets", "meet_targets"),
            ("activity_move_every_hour", "move_hourly"),
            ("activity_recovery_time", "recovery_time"),
            ("activity_stay_active", "stay_active"),
            ("activity_training_frequency", "train_freq"),
            ("activity_training_volume", "train_vol"),
        ),
        cols("meet_targets", "move_hourly", "recovery_time", "stay_active", "train_freq", "train_vol"),
    ),
    series(
        "Time by Activity Level",
        daily(
            ("activity_high_activity_time / 3600.0", "high"),
            ("activity_medium_activity_time / 3600.0", "medium"),
            ("activity_low_activity_time / 3600.0", "low"),
            ("activity_sedentary_time / 3600.0", "sedentary"),
            ("activity_resting_time / 3600.0", "resting"),
            ("activity_non_wear_time / 3600.0", "non_wear"),
        ),
        cols("high", "medium", "low", "sedentary", "resting", "non_wear"),
        "h",
        draw="bars",
        stack=True,
    ),
    series(
        "Activity MET",
        f"SELECT {bucket('timestamp', 60)} AS time, ROUND(AVG(met), 2) AS met FROM activity_met"
        f" WHERE {SHORT_RANGE} AND {days()} AND {instants()} GROUP BY 1"
        f" UNION ALL SELECT day || 'T12:00:00Z' AS time, activity_average_met_minutes AS met"
        f" FROM daily_summaries WHERE NOT {SHORT_RANGE} AND {days()} AND activity_average_met_minutes IS NOT NULL"
        " ORDER BY 1",
        cols("met"),
        "short",
        w=16,
        description="Metabolic equivalent minute by minute (the activity_met view over the raw"
        " daily_activity documents) when the range is two days or less; the daily average beyond,"
        " since unrolling 1,440 values a day over long ranges costs too many D1 reads.",
    ),
    series(
        "Average MET Minutes & Inactivity Alerts",
        daily(
            ("activity_average_met_minutes", "avg_met_minutes"),
            ("activity_inactivity_alerts", "inactivity_alerts"),
        ),
        cols("avg_met_minutes", "inactivity_alerts"),
        w=8,
    ),
]

WORKOUT = [
    bars(
        "Workouts per Week",
        f"SELECT {WEEK} AS week, COUNT(*) AS workouts FROM activity_logs WHERE {WORKOUTS}"
        " GROUP BY week ORDER BY week",
        "week",
        [("week", S), ("workouts", N)],
        w=8,
    ),
    bars(
        "Workout Hours per Week",
        f"SELECT {WEEK} AS week, ROUND(SUM({HOURS}), 2) AS hours FROM activity_logs WHERE {WORKOUTS}"
        " GROUP BY week ORDER BY week",
        "week",
        [("week", S), ("hours", N)],
        "h",
        w=8,
    ),
    pie(
        "Workout Types",
        f"SELECT COALESCE(activity_label, 'unknown') AS activity, COUNT(*) AS count FROM activity_logs"
        f" WHERE {WORKOUTS} GROUP BY activity ORDER BY count DESC LIMIT 12",
        "activity",
        w=8,
    ),
    stat("Workouts", f"SELECT COUNT(*) AS value FROM activity_logs WHERE {WORKOUTS}", "short", w=4),
    stat(
        "Workout Hours",
        f"SELECT ROUND(COALESCE(SUM({HOURS}), 0), 1) AS value FROM activity_logs WHERE {WORKOUTS}",
        "h",
        w=4,
    ),
    stat(
        "Workout Calories",
        f"SELECT ROUND(COALESCE(SUM(calories), 0)) AS value FROM activity_logs WHERE {WORKOUTS}",
        "kcal",
        w=4,
    ),
    table(
        "Recent Workouts",
        "SELECT start_datetime, COALESCE(activity_label, 'unknown') AS activity, intensity,"
        f" ROUND({HOURS} * 60) AS minutes, ROUND(calories) AS calories, ROUND(distance) AS distance_m,"
        f" source FROM activity_logs WHERE {WORKOUTS} ORDER BY start_datetime DESC LIMIT 50",
        [
            ("start_datetime", T),
            ("activity", S),
            ("intensity", S),
            ("minutes", N),
            ("calories", N),
            ("distance_m", N),
            ("source", S),
        ],
        w=12,
    ),
]

SESSION = [
    pie(
        "Session Types",
        f"SELECT COALESCE(activity_label, 'unknown') AS session, COUNT(*) AS count FROM activity_logs"
        f" WHERE {SESSIONS} GROUP BY session ORDER BY count DESC",
        "session",
        w=8,
    ),
    bars(
        "Session Minutes per Week",
        f"SELECT {WEEK} AS week, ROUND(SUM({HOURS}) * 60) AS minutes FROM activity_logs WHERE {SESSIONS}"
        " GROUP BY week ORDER BY week",
        "week",
        [("week", S), ("minutes", N)],
        "m",
        w=8,
    ),
    table(
        "Recent Sessions",
        f"SELECT start_datetime, COALESCE(activity_label, 'unknown') AS session, ROUND({HOURS} * 60) AS minutes,"
        f" mood, ROUND(hr_avg) AS avg_hr FROM activity_logs WHERE {SESSIONS}"
        " ORDER BY start_datetime DESC LIMIT 50",
        [("start_datetime", T), ("session", S), ("minutes", N), ("mood", S), ("avg_hr", N)],
        w=8,
    ),
    series(
        "Session Heart Rate & HRV",
        f"SELECT {bucket('timestamp', 5)} AS time,"
        " ROUND(AVG(CASE WHEN series = 'session.heart_rate' THEN value END), 1) AS bpm,"
        " ROUND(AVG(CASE WHEN series = 'session.hrv' THEN value END), 1) AS hrv"
        f" FROM document_series WHERE series IN ('session.heart_rate', 'session.hrv') AND {instants()}"
        " GROUP BY 1 ORDER BY 1",
        cols("bpm", "hrv"),
        w=24,
        span_nulls=False,
        field_units={"bpm": "bpm", "hrv": "ms"},
        description="5-second samples from meditation and breathing sessions (document_series).",
    ),
]

STRESS_HIGH = "COALESCE(stress_high_seconds, stress_index)"
STRESS = [
    series(
        "High Stress vs High Recovery",
        daily((f"{STRESS_HIGH} / 60.0", "stress_min"), ("recovery_high_seconds / 60.0", "recovery_min")),
        cols("stress_min", "recovery_min"),
        "m",
        description="Minutes of high stress and of high recovery per day (stress_index in the original).",
    ),
    pie(
        "Day Summaries",
        "SELECT stress_day_summary AS summary, COUNT(*) AS count FROM daily_summaries"
        f" WHERE {days()} AND stress_day_summary IS NOT NULL GROUP BY summary ORDER BY count DESC",
        "summary",
        w=6,
    ),
    stat(
        "Rest Mode Activations",
        "SELECT COUNT(*) AS value FROM rest_mode_periods"
        f" WHERE start_day <= {TO_DAY} AND (end_day IS NULL OR end_day >= {FROM_DAY})",
        "short",
        w=6,
    ),
    series(
        "Resilience Level",
        daily((RESILIENCE_LEVEL, "level"), where="resilience_level IS NOT NULL"),
        cols("level"),
        min=1,
        max=5,
        mappings=RESILIENCE_NAMES,
        draw="line",
    ),
    series(
        "Resilience Contributors",
        daily(
            ("COALESCE(resilience_sleep_recovery, resilience_contributors_sleep)", "sleep_recovery"),
            ("COALESCE(resilience_daytime_recovery, resilience_contributors_stress)", "daytime_recovery"),
            ("resilience_stress", "stress"),
        ),
        cols("sleep_recovery", "daytime_recovery", "stress"),
    ),
    table(
        "Rest Mode Periods",
        "SELECT start_day, end_day, CASE WHEN end_day IS NOT NULL THEN"
        " CAST(julianday(end_day) - julianday(start_day) + 1 AS INTEGER) END AS days"
        f" FROM rest_mode_periods WHERE start_day <= {TO_DAY} AND (end_day IS NULL OR end_day >= {FROM_DAY})"
        " ORDER BY start_day DESC LIMIT 20",
        [("start_day", S), ("end_day", S), ("days", N)],
        w=12,
        h=6,
    ),
]

HEART_HEALTH = [
    series("SpO2", daily(("spo2_percentage", "spo2")), cols("spo2"), "percent", w=8),
    series(
        "Cardiovascular Age",
        daily(
            ("COALESCE(cardiovascular_age, cv_age_offset)", "vascular_age"),
            ("pulse_wave_velocity", "pulse_wave_velocity"),
        ),
        cols("vascular_age", "pulse_wave_velocity"),
        w=8,
        field_units={"vascular_age": "y", "pulse_wave_velocity": "velocityms"},
    ),
    series(
        "VO2 Max",
        daily(("vo2_max", "vo2_max"), where="vo2_max IS NOT NULL"),
        cols("vo2_max"),
        w=8,
        draw="points",
    ),
]

HR_SOURCES = ("awake", "rest", "sleep", "session", "workout", "live")
HEART_RATE = [
    series(
        "Heart Rate",
        f"SELECT {bucket('timestamp', 300)} AS time, MIN(bpm) AS min_bpm, ROUND(AVG(bpm), 1) AS avg_bpm,"
        f" MAX(bpm) AS max_bpm FROM heart_rate_samples WHERE {instants()} GROUP BY 1 ORDER BY 1",
        cols("min_bpm", "avg_bpm", "max_bpm"),
        "bpm",
        w=24,
        span_nulls=False,
        description="Every sample Oura recorded, averaged per panel interval (at least 5 minutes).",
    ),
    series(
        "Daily Heart Rate Range",
        "SELECT substr(timestamp, 1, 10) || 'T00:00:00Z' AS time, MIN(bpm) AS min_bpm,"
        f" ROUND(AVG(bpm), 1) AS avg_bpm, MAX(bpm) AS max_bpm FROM heart_rate_samples WHERE {instants()}"
        " GROUP BY substr(timestamp, 1, 10) ORDER BY time",
        cols("min_bpm", "avg_bpm", "max_bpm"),
        "bpm",
    ),
    series(
        "Heart Rate by Source (daily average)",
        "SELECT substr(timestamp, 1, 10) || 'T00:00:00Z' AS time, "
        + ", ".join(f"ROUND(AVG(CASE WHEN source = '{s}' THEN bpm END), 1) AS {s}" for s in HR_SOURCES)
        + f" FROM heart_rate_samples WHERE {instants()} GROUP BY substr(timestamp, 1, 10) ORDER BY time",
        cols(*HR_SOURCES),
        "bpm",
    ),
]

RING = [
    series(
        "Ring Battery",
        f"SELECT {bucket('timestamp', 1800)} AS time, ROUND(AVG(level)) AS level,"
        f" MAX(charging) AS charging FROM ring_battery_levels WHERE {instants()} GROUP BY 1 ORDER BY 1",
        cols("level", "charging"),
        w=16,
        field_units={"level": "percent"},
        description="Battery level every 30 minutes; charging is 1 while the ring charges.",
    ),
    stat(
        "Low Battery Alerts (nights)",
        f"SELECT COUNT(*) AS value FROM sleep_episodes WHERE low_battery_alert = 1 AND {days()}",
        "short",
        w=8,
    ),
    table(
        "Rings",
        "SELECT hardware_type, color, design, size, firmware_version, set_up_at FROM ring_configurations"
        " ORDER BY set_up_at DESC",
        [
            ("hardware_type", S),
            ("color", S),
            ("design", S),
            ("size", N),
            ("firmware_version", S),
            ("set_up_at", S),
        ],
        w=24,
        h=5,
    ),
]

CORRELATIONS = [
    series(
        "Stress vs HRV Balance",
        daily((f"{STRESS_HIGH} / 60.0", "stress_min"), ("readiness_hrv_balance", "hrv_balance")),
        cols("stress_min", "hrv_balance"),
        w=8,
    ),
    series(
        "Training Volume vs Readiness",
        daily(("activity_training_volume", "training"), ("readiness_score", "readiness")),
        cols("training", "readiness"),
        w=8,
    ),
    series(
        "Sleep Hours vs Sleep Balance",
        "SELECT ds.day || 'T00:00:00Z' AS time,"
        " (se.deep_duration + se.rem_duration + se.light_duration) / 3600.0 AS hours,"
        " ds.readiness_sleep_balance AS balance FROM daily_summaries ds"
        " LEFT JOIN sleep_episodes se ON ds.day = se.day AND se.type = 'long_sleep'"
        f" WHERE {days('ds.day')} ORDER BY ds.day",
        cols("hours", "balance"),
        w=8,
    ),
]

TAGS = [
    table(
        "Recent Tags",
        "SELECT start_day, end_day, start_time, COALESCE(custom_name, tag_type_code) AS tag, comment"
        f" FROM enhanced_tags WHERE {days('start_day')} ORDER BY start_day DESC LIMIT 50",
        [("start_day", S), ("end_day", S), ("start_time", S), ("tag", S), ("comment", S)],
    ),
    pie(
        "Tag Types",
        "SELECT COALESCE(custom_name, tag_type_code, 'text-only') AS tag, COUNT(*) AS count"
        f" FROM enhanced_tags WHERE {days('start_day')} GROUP BY tag ORDER BY count DESC LIMIT 15",
        "tag",
        w=6,
    ),
    series(
        "Tags per Week",
        "SELECT date(start_day, '-6 days', 'weekday 1') || 'T00:00:00Z' AS time, COUNT(*) AS tags"
        f" FROM enhanced_tags WHERE {days('start_day')} GROUP BY time ORDER BY time",
        cols("tags"),
        "short",
        w=6,
        draw="bars",
    ),
    table(
        "Legacy Tags",
        f"SELECT day, timestamp, text, tags_json AS tags FROM tags WHERE {days()} ORDER BY timestamp DESC LIMIT 50",
        [("day", S), ("timestamp", S), ("text", S), ("tags", S)],
        w=24,
        h=6,
        description="Oura's deprecated tag collection (enhanced tags supersede it).",
    ),
]

INGESTION = [
    table(
        "Coverage by Collection",
        "SELECT resource, min_day, max_day, record_count, updated_at FROM table_stats ORDER BY resource",
        [("resource", S), ("min_day", S), ("max_day", S), ("record_count", N), ("updated_at", T)],
        rename={"record_count": "records"},
        h=9,
        description="Every stored table: first and last day and exact row count (table_stats).",
    ),
    bars(
        "Records by Collection",
        "SELECT resource, record_count FROM table_stats WHERE record_count > 0 ORDER BY record_count DESC",
        "resource",
        [("resource", S), ("record_count", N)],
        "short",
        h=9,
    ),
    stat("Daily Summary Lag", lag_days("daily_summaries", "day"), "d", thresholds=LAG, color_mode="thresholds", w=4),
    stat(
        "Sleep Lag",
        lag_days("sleep_episodes", "day"),
        "d",
        thresholds=LAG,
        color_mode="thresholds",
        w=4,
    ),
    stat(
        "Heart Rate Lag",
        lag_hours("heart_rate_samples"),
        "h",
        thresholds=[(6, "yellow"), (24, "red")],
        color_mode="thresholds",
        w=4,
    ),
    stat(
        "Battery Lag",
        lag_hours("ring_battery_levels"),
        "h",
        thresholds=[(6, "yellow"), (24, "red")],
        color_mode="thresholds",
        w=4,
    ),
    stat("Tag Lag", lag_days("enhanced_tags", "start_day"), "d", w=4),
    stat(
        "DB Growth",
        None,
        "decbytes",
        get=DB_INFO,
        columns=[("growth_bytes_per_day", N)],
        w=4,
        description="Database growth per day (from /api/db/info).",
    ),
    table(
        "Rows in the Last 24 Hours",
        "WITH recent(table_name, rows_24h) AS (VALUES"
        " ('daily_summaries', (SELECT COUNT(*) FROM daily_summaries WHERE day >= date('now', '-1 day'))),"
        " ('sleep_episodes', (SELECT COUNT(*) FROM sleep_episodes WHERE day >= date('now', '-1 day'))),"
        " ('activity_logs', (SELECT COUNT(*) FROM activity_logs"
        " WHERE start_datetime >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day'))),"
        " ('heart_rate_samples', (SELECT COUNT(*) FROM heart_rate_samples"
        " WHERE timestamp >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day'))),"
        " ('ring_battery_levels', (SELECT COUNT(*) FROM ring_battery_levels"
        " WHERE timestamp >= strftime('%Y-%m-%dT%H:%M:%S', 'now', '-1 day'))))"
        " SELECT table_name, rows_24h FROM recent",
        [("table_name", S), ("rows_24h", N)],
        h=7,
    ),
    series(
        "Documents Stored per Day",
        "SELECT day || 'T00:00:00Z' AS time, COUNT(*) AS documents FROM oura_documents"
        f" WHERE collection IN ('daily_activity', 'daily_readiness', 'daily_sleep', 'sleep', 'workout')"
        f" AND {days()} GROUP BY day ORDER BY day",
        cols("documents"),
        "short",
        h=7,
        draw="bars",
        description="Raw documents per day for the main collections (oura_documents): gaps show missed days.",
    ),
]

ROWS = [
    {"title": "Snapshot", "collapsed": False, "panels": SNAPSHOT},
    {"title": "Scores", "collapsed": False, "panels": SCORES},
    {"title": "Sleep", "collapsed": False, "panels": SLEEP},
    {"title": "Nightly Heart Rate & HRV", "collapsed": True, "panels": NIGHTLY},
    {"title": "Sleep Physiology", "collapsed": True, "panels": PHYSIOLOGY},
    {"title": "Activity", "collapsed": False, "panels": ACTIVITY},
    {"title": "Workouts", "collapsed": False, "panels": WORKOUT},
    {"title": "Sessions", "collapsed": True, "panels": SESSION},
    {"title": "Stress & Resilience", "collapsed": False, "panels": STRESS},
    {"title": "SpO2, Cardiovascular Age & VO2 Max", "collapsed": False, "panels": HEART_HEALTH},
    {"title": "Heart Rate", "collapsed": True, "panels": HEART_RATE},
    {"title": "Ring", "collapsed": True, "panels": RING},
    {"title": "Correlations", "collapsed": True, "panels": CORRELATIONS},
    {"title": "Tags", "collapsed": True, "panels": TAGS},
    {"title": "Data Coverage & Ingestion", "collapsed": True, "panels": INGESTION},
]
