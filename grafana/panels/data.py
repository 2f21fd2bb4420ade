"""Tags, data coverage and ingestion."""

from .build import *  # noqa: F401,F403 (the SQL vocabulary every panel module uses)

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
        "SELECT date(start_day, '-6 days', 'weekday 1') || 'T12:00:00Z' AS time, COUNT(*) AS tags"
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

# The expression idx_oura_documents_day indexes (a bare `day` would read
# every document of the collections).
DOCUMENT_DAY = "COALESCE(day, '')"

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
    lag_stat("Daily Summary Lag", lag_days("daily_summaries", "day"), "d", thresholds=LAG, color_mode="thresholds", w=4),
    lag_stat(
        "Sleep Lag",
        lag_days("sleep_episodes", "day"),
        "d",
        thresholds=LAG,
        color_mode="thresholds",
        w=4,
    ),
    lag_stat(
        "Heart Rate Lag",
        lag_hours("heart_rate_samples"),
        "h",
        thresholds=[(6, "yellow"), (24, "red")],
        color_mode="thresholds",
        w=4,
    ),
    lag_stat(
        "Battery Lag",
        lag_hours("ring_battery_levels"),
        "h",
        thresholds=[(6, "yellow"), (24, "red")],
        color_mode="thresholds",
        w=4,
    ),
    lag_stat("Tag Lag", lag_days("enhanced_tags", "start_day"), "d", w=4),
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
        "SELECT day || 'T12:00:00Z' AS time, COUNT(*) AS documents FROM oura_documents"
        f" WHERE collection IN ('daily_activity', 'daily_readiness', 'daily_sleep', 'sleep', 'workout')"
        f" AND {days(DOCUMENT_DAY)} GROUP BY day ORDER BY day",
        cols("documents"),
        "short",
        h=7,
        draw="bars",
        description="Raw documents per day for the main collections (oura_documents): gaps show missed days.",
    ),
]
