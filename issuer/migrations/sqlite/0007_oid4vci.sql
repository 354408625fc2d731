-- OpenID4VCI 1.0, pre-authorized code flow (issue 14) — SQLite. Keep in step with
-- ../postgres/0007_oid4vci.sql: same tables, columns and constraints; only the dialect differs.
-- Every secret (offer reference, pre-authorized code, access token, nonce, notification id) is 32
-- random bytes of which only the SHA-256 is stored; a transaction code (6 digits, guessable
-- offline) only as an HMAC-SHA256 under the issuer's learner secret with a per-offer salt.

-- One credential offer per claim link, with the claim link's lifetime; its reference is served at
-- /oid4vci/offers/<ref>. Deleted with the claim link it belongs to (`issue --new-claim-links`).
CREATE TABLE oid4vci_offers (
    hash            BLOB PRIMARY KEY,
    claim_hash      BLOB NOT NULL UNIQUE REFERENCES claim_tokens (hash),
    credential_id   TEXT NOT NULL REFERENCES credentials (id),
    tx_code_salt    BLOB,
    tx_code_mac     BLOB,
    created_at      TEXT NOT NULL,
    expires_at      TEXT,
    CHECK ((tx_code_salt IS NULL) = (tx_code_mac IS NULL))
);
CREATE INDEX oid4vci_offers_credential ON oid4vci_offers (credential_id);

-- Pre-authorized codes: single use, short-lived, bound to one awarded credential; at most one
-- unused code per credential (minting one deletes the earlier unused ones). A code with 5 wrong
-- transaction codes is burnt.
CREATE TABLE oid4vci_codes (
    hash            BLOB PRIMARY KEY,
    credential_id   TEXT NOT NULL REFERENCES credentials (id),
    tx_code_salt    BLOB,
    tx_code_mac     BLOB,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    used_at         TEXT,
    failed_attempts BIGINT NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    CHECK ((tx_code_salt IS NULL) = (tx_code_mac IS NULL))
);
CREATE INDEX oid4vci_codes_credential ON oid4vci_codes (credential_id);

-- Access tokens, each from one pre-authorized code (revoked when that code is replayed).
CREATE TABLE oid4vci_access_tokens (
    hash            BLOB PRIMARY KEY,
    code_hash       BLOB NOT NULL REFERENCES oid4vci_codes (hash),
    credential_id   TEXT NOT NULL REFERENCES credentials (id),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    revoked_at      TEXT
);
CREATE INDEX oid4vci_access_tokens_code ON oid4vci_access_tokens (code_hash);

-- c_nonce values from the nonce endpoint: single use.
CREATE TABLE oid4vci_nonces (
    hash            BLOB PRIMARY KEY,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    used_at         TEXT
);
CREATE INDEX oid4vci_nonces_expires ON oid4vci_nonces (expires_at);

-- Credentials delivered through OpenID4VCI: holder-bound copies of an award (same status
-- entries), each with its own id, and what the wallet said about it (notification endpoint).
CREATE TABLE oid4vci_deliveries (
    id                  TEXT PRIMARY KEY,
    credential_id       TEXT NOT NULL REFERENCES credentials (id),
    format              TEXT NOT NULL CHECK (format IN ('ldp_vc', 'jwt_vc_json')),
    holder_did          TEXT NOT NULL,
    access_token_hash   BLOB NOT NULL REFERENCES oid4vci_access_tokens (hash),
    notification_hash   BLOB NOT NULL UNIQUE,
    issued_at           TEXT NOT NULL,
    notification_event  TEXT CHECK (notification_event IN
                            ('credential_accepted', 'credential_failure', 'credential_deleted')),
    notified_at         TEXT
);
CREATE INDEX oid4vci_deliveries_credential ON oid4vci_deliveries (credential_id);
