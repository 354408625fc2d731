-- OpenID4VCI 1.0, pre-authorized code flow (issue 14) — PostgreSQL. Keep in step with
-- ../sqlite/0007_oid4vci.sql: same tables, columns and constraints; only the dialect differs.
-- Every secret (offer reference, pre-authorized code, access token, nonce, notification id) is 32
-- random bytes of which only the SHA-256 is stored; a transaction code (6 digits, guessable
-- offline) only as an HMAC-SHA256 under the issuer's learner secret with a per-offer salt.

-- One credential offer per claim link, with the claim link's lifetime; its reference is served at
-- /oid4vci/offers/<ref>. Deleted with the claim link it belongs to (`issue --new-claim-links`).
CREATE TABLE oid4vci_offers (
    hash            BYTEA PRIMARY KEY,
    claim_hash      BYTEA NOT NULL UNIQUE REFERENCES claim_tokens (hash),
    credential_id   TEXT NOT NULL REFERENCES credentials (id),
    tx_code_salt    BYTEA,
    tx_code_mac     BYTEA,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ,
    CHECK ((tx_code_salt IS NULL) = (tx_code_mac IS NULL))
);
CREATE INDEX oid4vci_offers_credential ON oid4vci_offers (credential_id);

-- Pre-authorized codes: single use, short-lived, bound to one awarded credential; at most one
-- unused code per credential (minting one deletes the earlier unused ones). A code with 5 wrong
-- transaction codes is burnt.
CREATE TABLE oid4vci_codes (
    hash            BYTEA PRIMARY KEY,
    credential_id   TEXT NOT NULL REFERENCES credentials (id),
    tx_code_salt    BYTEA,
    tx_code_mac     BYTEA,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ,
    failed_attempts BIGINT NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    CHECK ((tx_code_salt IS NULL) = (tx_code_mac IS NULL))
);
CREATE INDEX oid4vci_codes_credential ON oid4vci_codes (credential_id);

-- Access tokens, each from one pre-authorized code (revoked when that code is replayed).
CREATE TABLE oid4vci_access_tokens (
    hash            BYTEA PRIMARY KEY,
    code_hash       BYTEA NOT NULL REFERENCES oid4vci_codes (hash),
    credential_id   TEXT NOT NULL REFERENCES credentials (id),
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    revoked_at      TIMESTAMPTZ
);
CREATE INDEX oid4vci_access_tokens_code ON oid4vci_access_tokens (code_hash);

-- c_nonce values from the nonce endpoint: single use.
CREATE TABLE oid4vci_nonces (
    hash            BYTEA PRIMARY KEY,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ
);
CREATE INDEX oid4vci_nonces_expires ON oid4vci_nonces (expires_at);

-- Credentials delivered through OpenID4VCI: holder-bound copies of an award (same status
-- entries), each with its own id, and what the wallet said about it (notification endpoint).
CREATE TABLE oid4vci_deliveries (
    id                  TEXT PRIMARY KEY,
    credential_id       TEXT NOT NULL REFERENCES credentials (id),
    format              TEXT NOT NULL CHECK (format IN ('ldp_vc', 'jwt_vc_json')),
    holder_did          TEXT NOT NULL,
    access_token_hash   BYTEA NOT NULL REFERENCES oid4vci_access_tokens (hash),
    notification_hash   BYTEA NOT NULL UNIQUE,
    issued_at           TIMESTAMPTZ NOT NULL,
    notification_event  TEXT CHECK (notification_event IN
                            ('credential_accepted', 'credential_failure', 'credential_deleted')),
    notified_at         TIMESTAMPTZ
);
CREATE INDEX oid4vci_deliveries_credential ON oid4vci_deliveries (credential_id);
