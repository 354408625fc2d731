-- A per-list change counter. Every change of a bit in `status_entries.status` bumps its list's
-- revision in the same transaction (`Store::set_status`), so an issuer instance knows whether the
-- signed list it cached is still current by reading this one row instead of every set entry, also
-- when another instance sharing the database made the change. Allocating an index writes a 0 bit,
-- which changes nothing a verifier sees, and does not bump it. Same statement in both dialects.
ALTER TABLE status_lists ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
