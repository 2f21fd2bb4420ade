"""Sleep, nightly heart-rate and HRV curves, sleep physiology."""

from .build import *  # noqa: F401,F403 (the SQL vocabulary every panel module uses)

LONG = f"{LONG_SLEEP} AND {ASLEEP} > 0"
# The nightly deep-sleep share, windowed over the table itself.
DEEP_PCT = f"100.0 * deep_duration / {ASLEEP}"
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
        f"SELECT COUNT(*) AS value FROM sleep_episodes WHERE {NAPS} AND {days()}",
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
        f"SELECT {DAY_TIME}, ROUND({DEEP_PCT}, 1) AS deep_pct,"
        f" ROUND(AVG({DEEP_PCT}) OVER (ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW), 1) AS deep_7d,"
        f" ROUND(AVG({DEEP_PCT}) OVER (ORDER BY day ROWS BETWEEN 27 PRECEDING AND CURRENT ROW), 1) AS deep_28d"
        f" FROM sleep_episodes WHERE {LONG} AND {days()} ORDER BY day",
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
        "SELECT ds.day || 'T12:00:00Z' AS time,"
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
    table(
        "Bedtime Guidance",
        f"SELECT ds.day, {bedtime_clock('start_offset')} || '–' || {bedtime_clock('end_offset')} AS optimal_window,"
        " substr(se.start_datetime, 12, 5) AS bedtime, ds.sleep_time_recommendation AS recommendation,"
        " ds.sleep_time_status AS status FROM daily_summaries ds"
        " LEFT JOIN sleep_episodes se ON se.day = ds.day AND se.type = 'long_sleep'"
        f" WHERE ds.sleep_time_id IS NOT NULL AND {days('ds.day')} ORDER BY ds.day DESC LIMIT 14",
        [("day", S), ("optimal_window", S), ("bedtime", S), ("recommendation", S), ("status", S)],
        description="Oura's bedtime guidance (sleep_time): the optimal window in local time beside the"
        " night's actual bedtime, newest first.",
    ),
    series(
        "Bedtime vs Optimal Window",
        f"SELECT ds.day || {NOON} AS time, {bedtime_hours('start_offset')} AS window_start,"
        f" {bedtime_hours('end_offset')} AS window_end,"
        " ROUND((julianday(substr(se.start_datetime, 1, 19)) - julianday(ds.day)) * 24, 2) AS bedtime"
        " FROM daily_summaries ds LEFT JOIN sleep_episodes se ON se.day = ds.day AND se.type = 'long_sleep'"
        f" WHERE ds.sleep_time_id IS NOT NULL AND {days('ds.day')} ORDER BY ds.day",
        cols("window_start", "window_end", "bedtime"),
        HOURS_UNIT,
        description="Hours from the local midnight that ends the night (-1.5 is 22:30): Oura's optimal"
        " bedtime window and the actual bedtime.",
    ),
]

NIGHTLY = [
    series(
        f"Nightly {label}",
        f"SELECT {bucket('timestamp', 300)} AS time, ROUND(AVG(value), 1) AS {name},"
        f" MIN(value) AS min_{name}, MAX(value) AS max_{name} FROM document_series"
        f" WHERE series = '{key}' AND {SERIES_SHORT_RANGE} AND {instants()} GROUP BY 1"
        f" UNION ALL SELECT {MIDPOINT} AS time, ROUND(avg_value, 1) AS {name}, min_value AS min_{name},"
        f" max_value AS max_{name} FROM series_summaries"
        f" WHERE series = '{key}' AND NOT {SERIES_SHORT_RANGE} AND {instants('start_timestamp')}"
        " ORDER BY 1",
        cols(name, f"min_{name}", f"max_{name}"),
        unit,
        w=24,
        span_nulls=False,
        # Nights are 12 h or more apart; buckets within one are at most a few hours.
        insert_nulls=6 * HOUR_MS,
        show_points="always",
        description=f"The 5-minute {label.lower()} Oura records during sleep (document_series '{key}'),"
        " averaged per panel interval when the range is three days or less; beyond, one point per night"
        " (its average, lowest and highest, from series_summaries).",
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
        "SELECT ds.day || 'T12:00:00Z' AS time, ds.sleep_restfulness AS restfulness,"
        " se.restless_periods AS restless_periods FROM daily_summaries ds"
        " LEFT JOIN sleep_episodes se ON se.day = ds.day AND se.type = 'long_sleep'"
        f" WHERE {days('ds.day')} ORDER BY ds.day",
        cols("restfulness", "restless_periods"),
        w=8,
        rename={"restfulness": "restfulness contributor"},
    ),
    series(
        "Temperature Deviation",
        "SELECT se.day || 'T12:00:00Z' AS time, se.temperature_deviation AS deviation,"
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
