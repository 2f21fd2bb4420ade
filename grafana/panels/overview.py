"""Snapshot, scores and correlations: daily_summaries and sleep_episodes."""

from .build import *  # noqa: F401,F403 (the SQL vocabulary every panel module uses)

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
    stat("Resting HR", latest("heart_rate_lowest", "sleep_episodes", LONG_SLEEP), "bpm"),
    stat("HRV", latest("hrv_avg", "sleep_episodes", LONG_SLEEP), "ms"),
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
        # file_size_mb is bytes / 2^20: Grafana's mebibytes, not decimal megabytes.
        "mbytes",
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
            # The window over the table itself (D1 bills the window's sort
            # either way: ~340 rows read for 90 days, measured).
            f"SELECT {DAY_TIME}, {score}_score AS score, ROUND(AVG({score}_score) OVER (ORDER BY day"
            " ROWS BETWEEN 6 PRECEDING AND CURRENT ROW), 1) AS score_7d FROM daily_summaries"
            f" WHERE {score}_score IS NOT NULL AND {days()} ORDER BY day",
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
        # By duration, not by label: '<6h' sorts after '8h+' as text.
        " FROM joined GROUP BY bucket ORDER BY MIN(sleep_h)",
        "bucket",
        [("bucket", S), ("avg_readiness", N), ("nights", N)],
        # A count and a 0-100 score: the count gets its own axis on the right.
        field_axes={"nights": "right"},
        field_units={"nights": "short"},
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
        "SELECT ds.day || 'T12:00:00Z' AS time,"
        " (se.deep_duration + se.rem_duration + se.light_duration) / 3600.0 AS hours,"
        " ds.readiness_sleep_balance AS balance FROM daily_summaries ds"
        " LEFT JOIN sleep_episodes se ON ds.day = se.day AND se.type = 'long_sleep'"
        f" WHERE {days('ds.day')} ORDER BY ds.day",
        cols("hours", "balance"),
        w=8,
    ),
]
