"""Stress and resilience, SpO2 / cardiovascular age / VO2 max, heart rate, the ring."""

from .build import *  # noqa: F401,F403 (the SQL vocabulary every panel module uses)

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
        f" MAX(bpm) AS max_bpm FROM heart_rate_samples WHERE {HR_SHORT_RANGE} AND {instants()} GROUP BY 1"
        f" UNION ALL SELECT day || 'T12:00:00Z' AS time, {HR_DAILY_MIN} AS min_bpm, {HR_DAILY_AVG} AS avg_bpm,"
        f" {HR_DAILY_MAX} AS max_bpm FROM heart_rate_daily WHERE NOT {HR_SHORT_RANGE} AND {days()}"
        " GROUP BY day ORDER BY 1",
        cols("min_bpm", "avg_bpm", "max_bpm"),
        "bpm",
        w=24,
        span_nulls=False,
        # Beyond three days one point a day: a missing day breaks the line.
        insert_nulls=36 * HOUR_MS,
        description="Every sample Oura recorded, averaged per panel interval (at least 5 minutes), when the"
        " range is three days or less; beyond, the daily minimum, average and maximum (heart_rate_daily).",
    ),
    series(
        "Daily Heart Rate Range",
        f"SELECT {DAY_TIME}, {HR_DAILY_MIN} AS min_bpm, {HR_DAILY_AVG} AS avg_bpm, {HR_DAILY_MAX} AS max_bpm"
        f" FROM heart_rate_daily WHERE {days()} GROUP BY day ORDER BY day",
        cols("min_bpm", "avg_bpm", "max_bpm"),
        "bpm",
        description="Per UTC day, over every source (heart_rate_daily: one row per day and source).",
    ),
    series(
        "Heart Rate by Source (daily average)",
        f"SELECT {DAY_TIME}, "
        + ", ".join(f"ROUND(MAX(CASE WHEN source = '{s}' THEN avg_bpm END), 1) AS {s}" for s in HR_SOURCES)
        + f" FROM heart_rate_daily WHERE {days()} GROUP BY day ORDER BY day",
        cols(*HR_SOURCES),
        "bpm",
        description="Average per UTC day and source (heart_rate_daily).",
    ),
]

RING = [
    series(
        "Ring Battery",
        f"SELECT {bucket('timestamp', 1800)} AS time, ROUND(AVG(level)) AS level,"
        f" MAX(charging) AS charging FROM ring_battery_levels WHERE {SERIES_SHORT_RANGE} AND {instants()}"
        " GROUP BY 1 UNION ALL SELECT day || 'T12:00:00Z' AS time, ROUND(avg_level) AS level, charging"
        f" FROM ring_battery_daily WHERE NOT {SERIES_SHORT_RANGE} AND {days()} ORDER BY 1",
        cols("level", "charging"),
        w=16,
        field_units={"level": "percent"},
        description="Battery level every 30 minutes when the range is three days or less, the daily"
        " average beyond (ring_battery_daily); charging is 1 while (or on a day) the ring charged.",
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
