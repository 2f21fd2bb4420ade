"""One night at a time: the `$night` variable, its hypnogram, heart rate and HRV."""

from .build import *  # noqa: F401,F403 (the SQL vocabulary every panel module uses)

# The `$night` variable's options: the main nights in range, newest first
# (Infinity reads `__value` and `__text`).
NIGHT_OPTIONS = (
    "SELECT id AS __value, day || ' (' || substr(start_datetime, 12, 5) || '–'"
    " || substr(end_datetime, 12, 5) || ')' AS __text FROM sleep_episodes"
    f" WHERE {LONG_SLEEP} AND {days()} ORDER BY day DESC LIMIT 120"
)

# Oura's sleep_phase_5_min: one digit per 5 minutes from bedtime.
STAGES = [(1, "deep"), (2, "light"), (3, "REM"), (4, "awake")]

NIGHT = [
    table(
        "Night Summary",
        "SELECT day, substr(start_datetime, 12, 5) AS bedtime, substr(end_datetime, 12, 5) AS wake_up,"
        f" ROUND({ASLEEP} / 3600.0, 2) AS asleep_h, efficiency, ROUND(latency / 60.0) AS latency_min,"
        " heart_rate_lowest AS lowest_hr, hrv_avg AS avg_hrv, readiness_score AS readiness"
        f" FROM sleep_episodes WHERE id = {NIGHT_ID}",
        [
            ("day", S),
            ("bedtime", S),
            ("wake_up", S),
            ("asleep_h", N),
            ("efficiency", N),
            ("latency_min", N),
            ("lowest_hr", N),
            ("avg_hrv", N),
            ("readiness", N),
        ],
        w=24,
        h=4,
        description="The night picked in the Night variable (the newest in range when none is);"
        " bedtime and wake-up in the night's own local time.",
    ),
    series(
        "Hypnogram",
        # One row per 5-minute digit: a recursive CTE walks the string.
        "WITH RECURSIVE h(i, start, phases) AS (SELECT 0, start_datetime, sleep_phase_5_min"
        f" FROM sleep_episodes WHERE id = {NIGHT_ID} AND length(sleep_phase_5_min) > 0"
        " UNION ALL SELECT i + 1, start, phases FROM h WHERE i + 1 < length(phases) LIMIT 400)"
        " SELECT strftime('%Y-%m-%dT%H:%M:%SZ', start, '+' || (i * 300) || ' seconds') AS time,"
        " CAST(substr(phases, i + 1, 1) AS INTEGER) AS stage FROM h ORDER BY time",
        cols("stage"),
        w=24,
        min=1,
        max=4,
        mappings=STAGES,
        interpolation="stepAfter",
        description="Sleep stages every 5 minutes (sleep_phase_5_min) of the picked night.",
    ),
    series(
        "Night Heart Rate & HRV",
        "SELECT timestamp AS time,"
        " MAX(CASE WHEN series = 'sleep.heart_rate' THEN value END) AS bpm,"
        " MAX(CASE WHEN series = 'sleep.hrv' THEN value END) AS hrv"
        " FROM document_series WHERE series IN ('sleep.heart_rate', 'sleep.hrv')"
        f" AND timestamp BETWEEN {NIGHT_START} AND {NIGHT_END} AND document_id = {NIGHT_ID}"
        " GROUP BY timestamp ORDER BY timestamp",
        cols("bpm", "hrv"),
        w=24,
        span_nulls=False,
        # Samples are 5 minutes apart; Oura leaves gaps it could not measure.
        insert_nulls=10 * MINUTE_MS,
        field_units={"bpm": "bpm", "hrv": "ms"},
        field_axes={"hrv": "right"},
        description="The picked night's 5-minute heart rate and HRV (document_series).",
    ),
]
