-- daily_summaries: the Oura document id behind each merged part (so a webhook
-- delete clears exactly that document's columns), correctly named columns
-- beside the original's misnamed ones (which stay for old dashboards), and
-- fields the original dropped.

ALTER TABLE daily_summaries ADD COLUMN readiness_id TEXT;
ALTER TABLE daily_summaries ADD COLUMN sleep_id TEXT;
ALTER TABLE daily_summaries ADD COLUMN activity_id TEXT;
ALTER TABLE daily_summaries ADD COLUMN stress_id TEXT;
ALTER TABLE daily_summaries ADD COLUMN resilience_id TEXT;
ALTER TABLE daily_summaries ADD COLUMN spo2_id TEXT;
ALTER TABLE daily_summaries ADD COLUMN cardiovascular_age_id TEXT;
ALTER TABLE daily_summaries ADD COLUMN vo2_max_id TEXT;
ALTER TABLE daily_summaries ADD COLUMN sleep_time_id TEXT;

-- stress_index holds seconds of high stress; these say so.
ALTER TABLE daily_summaries ADD COLUMN stress_high_seconds INTEGER;
ALTER TABLE daily_summaries ADD COLUMN recovery_high_seconds INTEGER;
ALTER TABLE daily_summaries ADD COLUMN stress_day_summary TEXT;
-- resilience_contributors_stress holds daytime recovery; these are the three contributors.
ALTER TABLE daily_summaries ADD COLUMN resilience_sleep_recovery REAL;
ALTER TABLE daily_summaries ADD COLUMN resilience_daytime_recovery REAL;
ALTER TABLE daily_summaries ADD COLUMN resilience_stress REAL;
-- cv_age_offset holds the vascular age itself.
ALTER TABLE daily_summaries ADD COLUMN cardiovascular_age INTEGER;
ALTER TABLE daily_summaries ADD COLUMN pulse_wave_velocity REAL;

ALTER TABLE daily_summaries ADD COLUMN readiness_sleep_regularity INTEGER;
ALTER TABLE daily_summaries ADD COLUMN readiness_temperature_deviation REAL;
ALTER TABLE daily_summaries ADD COLUMN readiness_temperature_trend_deviation REAL;
ALTER TABLE daily_summaries ADD COLUMN activity_equivalent_walking_distance INTEGER;
ALTER TABLE daily_summaries ADD COLUMN activity_high_activity_time INTEGER;
ALTER TABLE daily_summaries ADD COLUMN activity_medium_activity_time INTEGER;
ALTER TABLE daily_summaries ADD COLUMN activity_low_activity_time INTEGER;
ALTER TABLE daily_summaries ADD COLUMN activity_sedentary_time INTEGER;
ALTER TABLE daily_summaries ADD COLUMN activity_resting_time INTEGER;
ALTER TABLE daily_summaries ADD COLUMN activity_non_wear_time INTEGER;
ALTER TABLE daily_summaries ADD COLUMN activity_average_met_minutes REAL;
ALTER TABLE daily_summaries ADD COLUMN activity_target_calories INTEGER;
ALTER TABLE daily_summaries ADD COLUMN activity_meters_to_target INTEGER;
ALTER TABLE daily_summaries ADD COLUMN activity_inactivity_alerts INTEGER;

-- sleep_episodes: what the dashboard can now show per period.
ALTER TABLE sleep_episodes ADD COLUMN period INTEGER;
ALTER TABLE sleep_episodes ADD COLUMN efficiency INTEGER;
ALTER TABLE sleep_episodes ADD COLUMN latency INTEGER;
ALTER TABLE sleep_episodes ADD COLUMN time_in_bed INTEGER;
ALTER TABLE sleep_episodes ADD COLUMN total_sleep_duration INTEGER;
ALTER TABLE sleep_episodes ADD COLUMN restless_periods INTEGER;
ALTER TABLE sleep_episodes ADD COLUMN readiness_score INTEGER;
ALTER TABLE sleep_episodes ADD COLUMN low_battery_alert INTEGER;
ALTER TABLE sleep_episodes ADD COLUMN sleep_phase_5_min TEXT;

-- activity_logs: the local day and the workout's source and label.
ALTER TABLE activity_logs ADD COLUMN day DATE;
ALTER TABLE activity_logs ADD COLUMN source TEXT;
ALTER TABLE activity_logs ADD COLUMN label TEXT;
