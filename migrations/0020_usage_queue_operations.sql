-- Cloudflare Queues operations per UTC day (Workers Free: 10,000 a day).
-- A message costs about three: written when sent, read on each delivery,
-- deleted when acknowledged (https://developers.cloudflare.com/queues/pricing/).
-- A column of the meter's one upsert a flush: counting it writes nothing more.
ALTER TABLE usage_daily ADD COLUMN queue_operations INTEGER NOT NULL DEFAULT 0;
