-- The open API: credentials (API keys in live and test mode), client users registered by an
-- integrator, the keys that sign admin and client tokens, idempotent replays, quotas, and
-- the mode (and client) every document and envelope belongs to.

CREATE TABLE api_keys (
    id               TEXT NOT NULL CONSTRAINT api_keys_pkey PRIMARY KEY,
    organization_id  TEXT NOT NULL CONSTRAINT api_keys_organization_id_fkey REFERENCES organizations (id),
    mode             TEXT NOT NULL CONSTRAINT api_keys_mode_check CHECK (mode IN ('live', 'test')),
    name             TEXT NOT NULL,
    -- What is shown in lists: "dj_live_AbC1…"; never enough to use the key.
    prefix           TEXT NOT NULL,
    -- SHA-256 of the key and of the secret (both carry ≥128 random bits, so a fast hash is enough).
    key_hash         TEXT NOT NULL,
    secret_hash      TEXT NOT NULL,
    last_used_at     TEXT,
    revoked_at       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
);
CREATE INDEX api_keys_organization_id_idx ON api_keys (organization_id, created_at);

CREATE TABLE api_clients (
    id               TEXT NOT NULL CONSTRAINT api_clients_pkey PRIMARY KEY,
    organization_id  TEXT NOT NULL CONSTRAINT api_clients_organization_id_fkey REFERENCES organizations (id),
    mode             TEXT NOT NULL CONSTRAINT api_clients_mode_check CHECK (mode IN ('live', 'test')),
    external_id      TEXT NOT NULL,
    name             TEXT NOT NULL,
    email            TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CONSTRAINT api_clients_external_id_key UNIQUE (organization_id, mode, external_id)
);

-- HMAC keys for admin and client tokens, encrypted with the instance secret. The newest key
-- of a purpose signs; every key not retired verifies, so rotation never cuts off live tokens.
CREATE TABLE api_token_keys (
    id               TEXT NOT NULL CONSTRAINT api_token_keys_pkey PRIMARY KEY,
    purpose          TEXT NOT NULL CONSTRAINT api_token_keys_purpose_check CHECK (purpose IN ('admin', 'client')),
    secret           TEXT NOT NULL,
    retired_at       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

-- First responses to POST requests that carried an Idempotency-Key, kept 24 hours.
CREATE TABLE idempotency_keys (
    credential       TEXT NOT NULL,
    idem_key         TEXT NOT NULL,
    request_hash     TEXT NOT NULL,
    state            TEXT NOT NULL CONSTRAINT idempotency_keys_state_check CHECK (state IN ('running', 'done')),
    status           BIGINT,
    content_type     TEXT,
    body             TEXT,
    expires_at       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (credential, idem_key)
);
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);

-- Signature requests an organization may send per calendar month (UTC); NULL is unlimited.
ALTER TABLE organizations ADD COLUMN monthly_quota BIGINT;

ALTER TABLE documents ADD COLUMN mode TEXT NOT NULL DEFAULT 'live';
ALTER TABLE documents ADD COLUMN client_id TEXT;
ALTER TABLE envelopes ADD COLUMN mode TEXT NOT NULL DEFAULT 'live';
ALTER TABLE envelopes ADD COLUMN client_id TEXT;
-- An expiry chosen before sending, as a duration from the moment of sending.
ALTER TABLE envelopes ADD COLUMN expires_in_seconds BIGINT;
CREATE INDEX envelopes_mode_idx ON envelopes (organization_id, mode, sent_at);
