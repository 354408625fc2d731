-- Passerelle issuer schema (SQLite). Keep in step with ../postgres/0001_initial.sql: same tables,
-- columns and constraints; only the dialect differs (times as TEXT through sqlx, BLOB, INTEGER
-- booleans, AUTOINCREMENT, RAISE triggers).

CREATE TABLE issuer_profile (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    name        TEXT NOT NULL,
    url         TEXT NOT NULL,
    did         TEXT NOT NULL,
    profile     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE issuer_keys (
    id              TEXT PRIMARY KEY,
    fragment        TEXT NOT NULL UNIQUE,
    public_multikey TEXT NOT NULL UNIQUE,
    sealed_private  BLOB NOT NULL,
    created_at      TEXT NOT NULL,
    retired_at      TEXT
);

CREATE TABLE achievements (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    definition  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE status_lists (
    id          TEXT PRIMARY KEY,
    purpose     TEXT NOT NULL CHECK (purpose IN ('revocation', 'suspension')),
    size        BIGINT NOT NULL CHECK (size > 0),
    is_full     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TEXT NOT NULL
);
-- At most one list per purpose is open for allocation; racing creators meet here.
CREATE UNIQUE INDEX status_lists_one_open ON status_lists (purpose) WHERE NOT is_full;

-- Every index ever handed out. The primary key makes an index unique within its list; rows are never
-- deleted, so an index is never reused.
CREATE TABLE status_entries (
    list_id     TEXT NOT NULL REFERENCES status_lists (id),
    idx         BIGINT NOT NULL CHECK (idx >= 0),
    status      SMALLINT NOT NULL DEFAULT 0,
    PRIMARY KEY (list_id, idx)
);

CREATE TABLE credentials (
    id                  TEXT PRIMARY KEY,
    achievement_id      TEXT NOT NULL REFERENCES achievements (id),
    learner_key         TEXT NOT NULL,
    external_id         TEXT NOT NULL DEFAULT '',
    revocation_list_id  TEXT,
    revocation_index    BIGINT,
    suspension_list_id  TEXT,
    suspension_index    BIGINT,
    credential          TEXT NOT NULL,
    issued_at           TEXT NOT NULL,
    revoked_at          TEXT,
    revocation_reason   TEXT,
    suspended           BOOLEAN NOT NULL DEFAULT FALSE,
    suspension_reason   TEXT,
    UNIQUE (achievement_id, learner_key, external_id),
    UNIQUE (revocation_list_id, revocation_index),
    UNIQUE (suspension_list_id, suspension_index),
    FOREIGN KEY (revocation_list_id, revocation_index) REFERENCES status_entries (list_id, idx),
    FOREIGN KEY (suspension_list_id, suspension_index) REFERENCES status_entries (list_id, idx)
);
CREATE INDEX credentials_issued_at ON credentials (issued_at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    details     TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    prefix      TEXT NOT NULL,
    hash        BLOB NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE claim_tokens (
    hash            BLOB PRIMARY KEY,
    credential_id   TEXT NOT NULL REFERENCES credentials (id),
    created_at      TEXT NOT NULL,
    expires_at      TEXT
);
CREATE INDEX claim_tokens_credential ON claim_tokens (credential_id);
