-- Rows read by /api/sql per UTC day, beside the day's total: Grafana gets a
-- share of the account-wide read quota (SQL_READ_SHARE_PERCENT) so the rest
-- stays for ingestion. A column, not a row: the meter's one upsert a flush
-- carries it, so counting it writes nothing more.
ALTER TABLE usage_daily ADD COLUMN sql_rows_read INTEGER NOT NULL DEFAULT 0;
