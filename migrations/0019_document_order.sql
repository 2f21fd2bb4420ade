-- An older fetch never overwrites a newer one (issue #14). Every write of a
-- fetched document stamps `oura_documents.updated_at` with the time its
-- fetch began (ISO, so text order is time order); typed rows are written in
-- the same batch, so aborting the raw row's write aborts them too, and raw
-- and typed rows always hold the same version. The writer drops the stale
-- documents and writes the rest again (src/services/documents.rs).
CREATE TRIGGER IF NOT EXISTS oura_documents_newer_only
BEFORE UPDATE OF json ON oura_documents
WHEN NEW.updated_at < OLD.updated_at
BEGIN
    SELECT RAISE(ABORT, 'oura-edge: stale document');
END;

-- A deleted document is not brought back by a fetch that began before the
-- delete was processed. Rows are small and purged after a week by the
-- deletes themselves (Oura stops retrying within a day).
CREATE TABLE IF NOT EXISTS oura_deletions (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    deleted_at TEXT NOT NULL,
    PRIMARY KEY (collection, id)
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS oura_documents_not_deleted
BEFORE INSERT ON oura_documents
WHEN EXISTS (SELECT 1 FROM oura_deletions
             WHERE collection = NEW.collection AND id = NEW.id AND deleted_at > NEW.updated_at)
BEGIN
    SELECT RAISE(ABORT, 'oura-edge: stale document');
END;
