-- Webhooks: endpoints an organization registers (per mode), the messages queued for them (one
-- event for one endpoint; the queue the delivery worker claims from), and every attempt.

CREATE TABLE webhook_endpoints (
    id               TEXT NOT NULL CONSTRAINT webhook_endpoints_pkey PRIMARY KEY,
    organization_id  TEXT NOT NULL CONSTRAINT webhook_endpoints_organization_id_fkey REFERENCES organizations (id),
    mode             TEXT NOT NULL CONSTRAINT webhook_endpoints_mode_check CHECK (mode IN ('live', 'test')),
    url              TEXT NOT NULL,
    -- Event types, space-separated.
    events           TEXT NOT NULL,
    -- The signing secret (whsec_…), encrypted with the instance secret.
    secret           TEXT NOT NULL,
    enabled          BIGINT NOT NULL,
    disabled_reason  TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_organization_id_idx ON webhook_endpoints (organization_id, mode);

CREATE TABLE webhook_messages (
    id               TEXT NOT NULL CONSTRAINT webhook_messages_pkey PRIMARY KEY,
    endpoint_id      TEXT NOT NULL CONSTRAINT webhook_messages_endpoint_id_fkey REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    envelope_id      TEXT,
    -- The exact body sent (signed as is).
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL CONSTRAINT webhook_messages_status_check CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         BIGINT NOT NULL,
    next_attempt_at  TEXT,
    locked_until     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX webhook_messages_due_idx ON webhook_messages (status, next_attempt_at);
CREATE INDEX webhook_messages_endpoint_id_idx ON webhook_messages (endpoint_id, created_at);

CREATE TABLE webhook_attempts (
    id               TEXT NOT NULL CONSTRAINT webhook_attempts_pkey PRIMARY KEY,
    message_id       TEXT NOT NULL CONSTRAINT webhook_attempts_message_id_fkey REFERENCES webhook_messages (id) ON DELETE CASCADE,
    attempt          BIGINT NOT NULL,
    status_code      BIGINT,
    error            TEXT,
    duration_ms      BIGINT NOT NULL,
    -- When the next attempt was scheduled after this one (absent after the last).
    next_attempt_at  TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX webhook_attempts_message_id_idx ON webhook_attempts (message_id, attempt);
