-- Who is signing: per-recipient identity checks (codes by email or SMS, an access code, what
-- the signer knows), the recipient's phone and channel, the browser sessions that passed the
-- checks, and the SMS outbox.

-- One row per recipient that has a phone, a channel other than email, or checks. Kept apart
-- from `recipients` (rewritten on every draft save) and matched by the recipient's id.
CREATE TABLE recipient_identity (
    recipient_id     TEXT NOT NULL CONSTRAINT recipient_identity_pkey PRIMARY KEY,
    envelope_id      TEXT NOT NULL REFERENCES envelopes (id) ON DELETE CASCADE,
    -- The checks, comma-separated in order (`emailCode,smsCode`); empty: the link alone.
    methods          TEXT NOT NULL DEFAULT '',
    -- E.164.
    phone            TEXT,
    channel          TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'sms', 'both')),
    -- Keyed hashes (HMAC-SHA256 under the instance secret), never the values.
    access_code_hash TEXT,
    birth_date_hash  TEXT,
    -- Failed answers since the last success or unlock; 5 lock the recipient out.
    failures         BIGINT NOT NULL DEFAULT 0,
    locked_at        TEXT,
    -- The first time a browser passed every check, and how.
    verified_at      TEXT,
    verified_methods TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX recipient_identity_envelope_idx ON recipient_identity (envelope_id);

-- A provider's request (a code sent by email or SMS; a certificate provider's signing request):
-- pending until answered, expired after its time.
CREATE TABLE identity_requests (
    id           TEXT NOT NULL CONSTRAINT identity_requests_pkey PRIMARY KEY,
    recipient_id TEXT NOT NULL,
    envelope_id  TEXT NOT NULL REFERENCES envelopes (id) ON DELETE CASCADE,
    method       TEXT NOT NULL,
    code_hash    TEXT,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'expired', 'failed')),
    attempts     BIGINT NOT NULL DEFAULT 0,
    requested_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    completed_at TEXT
);
CREATE INDEX identity_requests_recipient_idx ON identity_requests (recipient_id, method, requested_at);

-- A browser's progress through a recipient's checks (its cookie's token, hashed).
CREATE TABLE signer_sessions (
    token_hash   TEXT NOT NULL CONSTRAINT signer_sessions_pkey PRIMARY KEY,
    recipient_id TEXT NOT NULL,
    envelope_id  TEXT NOT NULL REFERENCES envelopes (id) ON DELETE CASCADE,
    methods_done TEXT NOT NULL DEFAULT '',
    verified_at  TEXT,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX signer_sessions_recipient_idx ON signer_sessions (recipient_id);

-- The SMS outbox, delivered like the mail outbox (claims with fencing tokens, retries).
CREATE TABLE text_messages (
    id              TEXT NOT NULL CONSTRAINT text_messages_pkey PRIMARY KEY,
    organization_id TEXT,
    envelope_id     TEXT,
    recipient_id    TEXT,
    kind            TEXT NOT NULL,
    to_phone        TEXT NOT NULL,
    text            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'captured', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    locked_until    TEXT,
    claim_token     TEXT,
    last_error      TEXT,
    sent_at         TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX text_messages_status_idx ON text_messages (status, next_attempt_at);
