-- Embedding: the origins allowed to frame an organization's screens (space-separated; empty:
-- nobody), and the short-lived sessions a client token is exchanged for.

ALTER TABLE organizations ADD COLUMN embed_origins TEXT NOT NULL DEFAULT '';

CREATE TABLE embed_sessions (
    id               TEXT NOT NULL CONSTRAINT embed_sessions_pkey PRIMARY KEY,
    -- SHA-256 of the session token held in the embed cookie.
    token_hash       TEXT NOT NULL,
    organization_id  TEXT NOT NULL CONSTRAINT embed_sessions_organization_id_fkey REFERENCES organizations (id),
    mode             TEXT NOT NULL CONSTRAINT embed_sessions_mode_check CHECK (mode IN ('live', 'test')),
    client_id        TEXT NOT NULL,
    api_key_id       TEXT NOT NULL,
    csrf             TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CONSTRAINT embed_sessions_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX embed_sessions_expires_at_idx ON embed_sessions (expires_at);
