-- The Open Badges 3.0 API provider (issue 15) — PostgreSQL. Keep in step with
-- ../sqlite/0008_obapi.sql: same tables, columns and constraints; only the dialect differs.
-- Every secret (client secret, pending authorization request id, CSRF token, authorization code,
-- access and refresh token) is 32 random bytes of which only the SHA-256 is stored. No learner
-- key appears outside `obapi_grants`, and no token anywhere in clear.

-- Clients registered with RFC 7591 dynamic registration. `id` (obc_…) is public; `metadata` is
-- the normalised registration (JSON) as answered to the client.
CREATE TABLE obapi_clients (
    id              TEXT PRIMARY KEY,
    secret_hash     BYTEA NOT NULL UNIQUE,
    client_name     TEXT NOT NULL,
    metadata        TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);

-- Authorization requests waiting for the learner's decision on the consent page (10 minutes,
-- one decision, at most 5 wrong claim links).
CREATE TABLE obapi_requests (
    hash            BYTEA PRIMARY KEY,
    csrf_hash       BYTEA NOT NULL,
    client_id       TEXT NOT NULL REFERENCES obapi_clients (id),
    redirect_uri    TEXT NOT NULL,
    scope           TEXT NOT NULL,
    -- Scopes the client asked for that are never granted (shown on the consent page).
    refused_scope   TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ,
    failed_attempts BIGINT NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0)
);
CREATE INDEX obapi_requests_expires ON obapi_requests (expires_at);

-- What a learner allowed a client: every credential of the learner key, now and later, until
-- revoked (by the learner on the claim page, or by replay detection). At most one live grant
-- per client and learner.
CREATE TABLE obapi_grants (
    id              TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL REFERENCES obapi_clients (id),
    learner_key     TEXT NOT NULL,
    scope           TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    last_used_at    TIMESTAMPTZ,
    revoked_at      TIMESTAMPTZ
);
CREATE UNIQUE INDEX obapi_grants_one_live ON obapi_grants (client_id, learner_key)
    WHERE revoked_at IS NULL;
CREATE INDEX obapi_grants_learner ON obapi_grants (learner_key);

-- Authorization codes: single use, 10 minutes, bound to the request's redirect URI and PKCE
-- challenge.
CREATE TABLE obapi_codes (
    hash            BYTEA PRIMARY KEY,
    grant_id        TEXT NOT NULL REFERENCES obapi_grants (id),
    client_id       TEXT NOT NULL REFERENCES obapi_clients (id),
    redirect_uri    TEXT NOT NULL,
    scope           TEXT NOT NULL,
    code_challenge  TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ
);

-- Access and refresh tokens. `origin_hash` is the code the chain of tokens started from (kept
-- through refreshes), so a replayed code revokes every token descended from it. A refresh
-- token is `rotated_at` once exchanged; presenting it again revokes the whole grant.
CREATE TABLE obapi_tokens (
    hash            BYTEA PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    grant_id        TEXT NOT NULL REFERENCES obapi_grants (id),
    client_id       TEXT NOT NULL REFERENCES obapi_clients (id),
    origin_hash     BYTEA NOT NULL REFERENCES obapi_codes (hash),
    scope           TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    rotated_at      TIMESTAMPTZ,
    revoked_at      TIMESTAMPTZ
);
CREATE INDEX obapi_tokens_grant ON obapi_tokens (grant_id);
CREATE INDEX obapi_tokens_origin ON obapi_tokens (origin_hash);
