-- The secret under which learner keys are an HMAC (issue 11.6), wrapped (encrypted) under a
-- signing key: one row per key that can open it (key rotation adds the new key's row in the same
-- step), so it is kept exactly as well as the signing key. Older rows of `credentials` hold an
-- unkeyed `email-sha256:` learner key: rows that kept the address are re-keyed at the next start;
-- the others when their learner is next issued to (see `Issuer::open`).
CREATE TABLE learner_secret (
    key_multikey TEXT PRIMARY KEY,
    wrapped      BLOB NOT NULL,
    created_at   TEXT NOT NULL
);
