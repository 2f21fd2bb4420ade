-- Oura list pages a bulk write reads (src/services/writer/bulk.rs). A group
-- of pages is bound once, to its insert here, instead of to each statement
-- that reads it: the Worker's D1 binding serialises every bound value
-- again, about 2 ms of CPU per 600 KB. Empty between writes: the same batch
-- deletes what it inserted (two rows written a group).
CREATE TABLE bulk_pages (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
