-- Issuance engine (SQLite). Keep in step with ../postgres/0002_issuance.sql.

-- The learner's email, kept ONLY when issuer.toml says `keep_learner_emails = true` (to deliver
-- claim links); NULL otherwise. Credentials never carry it (they carry a salted hash).
ALTER TABLE credentials ADD COLUMN learner_email TEXT;

-- Bulk issuance jobs (CLI `issue --csv` and the API's bulk jobs): progress and totals.
CREATE TABLE bulk_jobs (
    id              TEXT PRIMARY KEY,
    achievement_id  TEXT NOT NULL REFERENCES achievements (id),
    source          TEXT NOT NULL,
    actor           TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
    dry_run         BOOLEAN NOT NULL DEFAULT FALSE,
    total_rows      BIGINT,
    processed       BIGINT NOT NULL DEFAULT 0,
    issued          BIGINT NOT NULL DEFAULT 0,
    existing        BIGINT NOT NULL DEFAULT 0,
    failed          BIGINT NOT NULL DEFAULT 0,
    error           TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    finished_at     TEXT
);

-- One result per input row of a bulk job: issued / existing (with the credential) or failed
-- (with the column and the reason). Never an email address.
CREATE TABLE bulk_job_rows (
    job_id          TEXT NOT NULL REFERENCES bulk_jobs (id),
    row_number      BIGINT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('issued', 'existing', 'failed')),
    external_id     TEXT,
    credential_id   TEXT,
    column_name     TEXT,
    reason          TEXT,
    PRIMARY KEY (job_id, row_number)
);
