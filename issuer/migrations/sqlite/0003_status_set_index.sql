-- Reading a status list's set bits must cost what is set, not what was ever allocated: without
-- this partial index every GET of a status list scanned all of the list's entries (BENCHMARKS.md,
-- "Issuer service"). Same statement in both dialects.
CREATE INDEX status_entries_set ON status_entries (list_id, idx) WHERE status <> 0;
