-- Kept so migration names match the original's (oura-cf): an original database
-- has applied this already; on a fresh one, 0001_init.sql created the end state.
SELECT 1;
