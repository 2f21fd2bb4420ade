"""Activity (with minute MET), workouts and sessions."""

from .build import *  # noqa: F401,F403 (the SQL vocabulary every panel module uses)

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
        # A daily_activity document's MET starts at 04:00 local time of its day,
        # so the early hours of a range sit in the previous day's document.
        f" WHERE {SHORT_RANGE} AND {days_near()} AND {instants()} GROUP BY 1"
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
    series(
        "Steps vs Target",
        daily(("activity_steps", "steps"), (STEPS_TARGET, "target"), where="activity_steps IS NOT NULL"),
        cols("steps", "target"),
        "short",
        w=16,
        description="Daily steps against the step target (the Step target variable, 10,000 by default).",
    ),
    stat(
        "Days at Step Target",
        f"SELECT ROUND(100.0 * SUM(activity_steps >= {STEPS_TARGET}) / COUNT(*), 1) AS value"
        f" FROM daily_summaries WHERE activity_steps IS NOT NULL AND {days()}",
        "percent",
        w=8,
        h=8,
        description="Share of days in range whose steps reached the step target.",
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
        HOURS_UNIT,
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
        HOURS_UNIT,
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
        " FROM session_series WHERE series IN ('session.heart_rate', 'session.hrv')"
        f" AND {SERIES_SHORT_RANGE} AND {days_near()} AND {instants()} GROUP BY 1"
        f" UNION ALL SELECT {midpoint('MIN(start_timestamp)', 'MAX(end_timestamp)')} AS time,"
        " ROUND(MAX(CASE WHEN series = 'session.heart_rate' THEN avg_value END), 1) AS bpm,"
        " ROUND(MAX(CASE WHEN series = 'session.hrv' THEN avg_value END), 1) AS hrv"
        " FROM series_summaries WHERE series IN ('session.heart_rate', 'session.hrv')"
        f" AND NOT {SERIES_SHORT_RANGE} AND {instants('start_timestamp')} GROUP BY document_id ORDER BY 1",
        cols("bpm", "hrv"),
        w=24,
        span_nulls=False,
        # Samples are 5 s apart within a session; sessions are separate events.
        insert_nulls=15 * MINUTE_MS,
        field_units={"bpm": "bpm", "hrv": "ms"},
        show_points="always",
        description="5-second samples from meditation and breathing sessions, unrolled from the raw session"
        " documents (the session_series view), when the range is three days or less; beyond, each"
        " session's average (series_summaries).",
    ),
]
