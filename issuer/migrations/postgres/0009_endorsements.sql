-- Endorsements this issuer signed as an endorser (issue 16) — PostgreSQL. Keep in step with
-- ../sqlite/0009_endorsements.sql: same table, columns and constraints; only the dialect differs.
-- An endorsement is about a profile or an achievement, not a learner, so it has a table of its
-- own instead of a `credentials` row: learner counts and statistics never see it. Its
-- revocation slot comes from the same status lists as credentials' (the FOREIGN KEY and UNIQUE
-- below make a slot serve one credential or one endorsement, the status_entries row being
-- claimed once at allocation).
CREATE TABLE endorsements (
    id                  TEXT PRIMARY KEY,
    subject_id          TEXT NOT NULL,
    revocation_list_id  TEXT NOT NULL,
    revocation_index    BIGINT NOT NULL,
    credential          TEXT NOT NULL,
    issued_at           TIMESTAMPTZ NOT NULL,
    revoked_at          TIMESTAMPTZ,
    revocation_reason   TEXT,
    UNIQUE (revocation_list_id, revocation_index),
    FOREIGN KEY (revocation_list_id, revocation_index) REFERENCES status_entries (list_id, idx)
);
CREATE INDEX endorsements_issued_at ON endorsements (issued_at);
