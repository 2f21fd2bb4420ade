-- The schema the original oura-cf worker ends with after its ten migrations.
-- A database created by the original already lists 0001..0010 in d1_migrations,
-- so wrangler skips them there; a fresh database gets the same end state here
-- in one step, and 0002..0010 are no-ops that keep the names in step.
-- Our own changes start at 0011.

CREATE TABLE IF NOT EXISTS daily_summaries (
    day DATE PRIMARY KEY,
    readiness_score INTEGER,
    readiness_activity_balance INTEGER,
    readiness_body_temperature INTEGER,
    readiness_hrv_balance INTEGER,
    readiness_previous_day_activity INTEGER,
    readiness_previous_night_sleep INTEGER,
    readiness_recovery_index INTEGER,
    readiness_resting_heart_rate INTEGER,
    readiness_sleep_balance INTEGER,
    sleep_score INTEGER,
    sleep_deep_sleep INTEGER,
    sleep_efficiency INTEGER,
    sleep_latency INTEGER,
    sleep_rem_sleep INTEGER,
    sleep_restfulness INTEGER,
    sleep_timing INTEGER,
    sleep_total_sleep INTEGER,
    activity_score INTEGER,
    activity_steps INTEGER,
    activity_active_calories INTEGER,
    activity_total_calories INTEGER,
    activity_meet_daily_targets INTEGER,
    activity_move_every_hour INTEGER,
    activity_recovery_time INTEGER,
    activity_stay_active INTEGER,
    activity_training_frequency INTEGER,
    activity_training_volume INTEGER,
    stress_index INTEGER,
    resilience_level TEXT,
    resilience_contributors_sleep INTEGER,
    resilience_contributors_stress INTEGER,
    spo2_percentage REAL,
    spo2_breathing_disturbance_index INTEGER,
    cv_age_offset INTEGER,
    vo2_max REAL,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    sleep_time_optimal_bedtime TEXT,
    sleep_time_recommendation TEXT,
    sleep_time_status TEXT
);

CREATE TABLE IF NOT EXISTS heart_rate_samples (
    timestamp DATETIME PRIMARY KEY,
    bpm INTEGER,
    source TEXT
);

CREATE TABLE IF NOT EXISTS sleep_episodes (
    id TEXT PRIMARY KEY,
    day DATE,
    start_datetime DATETIME,
    end_datetime DATETIME,
    type TEXT,
    heart_rate_avg REAL,
    heart_rate_lowest REAL,
    hrv_avg REAL,
    breath_avg REAL,
    temperature_deviation REAL,
    deep_duration INTEGER,
    rem_duration INTEGER,
    light_duration INTEGER,
    awake_duration INTEGER
);

CREATE TABLE IF NOT EXISTS activity_logs (
    id TEXT PRIMARY KEY,
    type TEXT,
    start_datetime DATETIME,
    end_datetime DATETIME,
    activity_label TEXT,
    intensity TEXT,
    calories REAL,
    distance REAL,
    hr_avg REAL,
    mood TEXT
);

CREATE TABLE IF NOT EXISTS oura_oauth_tokens (
    user_id TEXT PRIMARY KEY,
    access_token TEXT,
    refresh_token TEXT,
    expires_at INTEGER,
    scope TEXT,
    token_type TEXT,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE TABLE IF NOT EXISTS oura_oauth_states (
    state TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS table_stats (
    resource TEXT PRIMARY KEY,
    min_day TEXT,
    max_day TEXT,
    record_count INTEGER,
    updated_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE TABLE IF NOT EXISTS enhanced_tags (
    id TEXT PRIMARY KEY,
    start_day DATE NOT NULL,
    end_day DATE,
    start_time TEXT,
    end_time TEXT,
    tag_type_code TEXT,
    custom_name TEXT,
    comment TEXT
);

CREATE TABLE IF NOT EXISTS rest_mode_periods (
    id TEXT PRIMARY KEY,
    start_day DATE NOT NULL,
    end_day DATE,
    start_time TEXT,
    end_time TEXT,
    episodes_json TEXT
);

CREATE INDEX IF NOT EXISTS idx_table_stats_updated ON table_stats(updated_at);
CREATE INDEX IF NOT EXISTS idx_sleep_episodes_day ON sleep_episodes(day);
CREATE INDEX IF NOT EXISTS idx_sleep_episodes_start_datetime ON sleep_episodes(start_datetime);
CREATE INDEX IF NOT EXISTS idx_activity_logs_start_datetime ON activity_logs(start_datetime);
CREATE INDEX IF NOT EXISTS idx_activity_logs_type ON activity_logs(type);
CREATE INDEX IF NOT EXISTS idx_enhanced_tags_start_day ON enhanced_tags(start_day);
CREATE INDEX IF NOT EXISTS idx_rest_mode_periods_start_day ON rest_mode_periods(start_day);
CREATE INDEX IF NOT EXISTS idx_daily_readiness ON daily_summaries(day, readiness_score)
    WHERE readiness_score IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_daily_sleep ON daily_summaries(day, sleep_score, sleep_efficiency)
    WHERE sleep_score IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_daily_activity
    ON daily_summaries(day, activity_score, activity_steps, activity_active_calories)
    WHERE activity_score IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_daily_stress ON daily_summaries(day, stress_index, resilience_level)
    WHERE stress_index IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_hr_timestamp_bpm ON heart_rate_samples(timestamp, bpm);
CREATE INDEX IF NOT EXISTS idx_sleep_episodes_day_type
    ON sleep_episodes(day, type, deep_duration, rem_duration, light_duration, awake_duration);
CREATE INDEX IF NOT EXISTS idx_activity_logs_type_start
    ON activity_logs(type, start_datetime, activity_label, calories);
