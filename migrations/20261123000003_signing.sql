-- Sending and signing: envelope sending options and lifecycle times, recipients' signing
-- links (hashed tokens) and progress, field values, signatures, the append-only audit log
-- (hash-chained), and the mail outbox.

ALTER TABLE envelopes ADD COLUMN message TEXT NOT NULL DEFAULT '';
ALTER TABLE envelopes ADD COLUMN signing_order TEXT NOT NULL DEFAULT 'parallel';
ALTER TABLE envelopes ADD COLUMN expires_at TEXT;
ALTER TABLE envelopes ADD COLUMN reminder_days BIGINT;
ALTER TABLE envelopes ADD COLUMN redirect_url TEXT;
ALTER TABLE envelopes ADD COLUMN sent_at TEXT;
ALTER TABLE envelopes ADD COLUMN completed_at TEXT;
ALTER TABLE envelopes ADD COLUMN declined_at TEXT;
ALTER TABLE envelopes ADD COLUMN cancelled_at TEXT;
ALTER TABLE envelopes ADD COLUMN cancel_reason TEXT;
ALTER TABLE envelopes ADD COLUMN expired_at TEXT;
CREATE INDEX envelopes_status_idx ON envelopes (status, expires_at);

ALTER TABLE recipients ADD COLUMN language TEXT NOT NULL DEFAULT 'ko';
ALTER TABLE recipients ADD COLUMN invited_at TEXT;
ALTER TABLE recipients ADD COLUMN viewed_at TEXT;
ALTER TABLE recipients ADD COLUMN consented_at TEXT;
ALTER TABLE recipients ADD COLUMN consent_version TEXT;
ALTER TABLE recipients ADD COLUMN signed_at TEXT;
ALTER TABLE recipients ADD COLUMN declined_at TEXT;
ALTER TABLE recipients ADD COLUMN decline_reason TEXT;
ALTER TABLE recipients ADD COLUMN last_reminded_at TEXT;
ALTER TABLE recipients ADD COLUMN signed_ip TEXT;
ALTER TABLE recipients ADD COLUMN signed_user_agent TEXT;

-- Organizations sign in their own time zone (dates filled in, times in the audit trail).
ALTER TABLE organizations ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Asia/Seoul';

-- Signing links. Only the SHA-256 of a link's token is kept; an invitation and each reminder
-- issue a new link, and every link of a recipient works until the envelope is finished.
CREATE TABLE signing_links (
    token_hash    TEXT NOT NULL CONSTRAINT signing_links_pkey PRIMARY KEY,
    recipient_id  TEXT NOT NULL CONSTRAINT signing_links_recipient_id_fkey REFERENCES recipients (id) ON DELETE CASCADE,
    envelope_id   TEXT NOT NULL CONSTRAINT signing_links_envelope_id_fkey REFERENCES envelopes (id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX signing_links_recipient_id_idx ON signing_links (recipient_id);

CREATE TABLE signatures (
    id            TEXT NOT NULL CONSTRAINT signatures_pkey PRIMARY KEY,
    envelope_id   TEXT NOT NULL CONSTRAINT signatures_envelope_id_fkey REFERENCES envelopes (id) ON DELETE CASCADE,
    recipient_id  TEXT NOT NULL CONSTRAINT signatures_recipient_id_fkey REFERENCES recipients (id) ON DELETE CASCADE,
    purpose       TEXT NOT NULL CONSTRAINT signatures_purpose_check CHECK (purpose IN ('signature', 'initials')),
    method        TEXT NOT NULL CONSTRAINT signatures_method_check CHECK (method IN ('drawn', 'typed', 'uploaded')),
    strokes       TEXT,
    typed_text    TEXT,
    image_key     TEXT NOT NULL,
    image_sha256  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX signatures_recipient_id_idx ON signatures (recipient_id);

CREATE TABLE field_values (
    field_id      TEXT NOT NULL CONSTRAINT field_values_pkey PRIMARY KEY CONSTRAINT field_values_field_id_fkey REFERENCES fields (id) ON DELETE CASCADE,
    envelope_id   TEXT NOT NULL CONSTRAINT field_values_envelope_id_fkey REFERENCES envelopes (id) ON DELETE CASCADE,
    recipient_id  TEXT NOT NULL CONSTRAINT field_values_recipient_id_fkey REFERENCES recipients (id) ON DELETE CASCADE,
    value         TEXT NOT NULL,
    signature_id  TEXT CONSTRAINT field_values_signature_id_fkey REFERENCES signatures (id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX field_values_envelope_id_idx ON field_values (envelope_id);

-- Append-only. Each event's hash covers the previous event's hash: altering or removing one
-- breaks every hash after it.
CREATE TABLE audit_events (
    id            TEXT NOT NULL CONSTRAINT audit_events_pkey PRIMARY KEY,
    envelope_id   TEXT NOT NULL CONSTRAINT audit_events_envelope_id_fkey REFERENCES envelopes (id) ON DELETE CASCADE,
    seq           BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    recipient_id  TEXT,
    user_id       TEXT,
    ip            TEXT,
    user_agent    TEXT,
    data          TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CONSTRAINT audit_events_envelope_seq_key UNIQUE (envelope_id, seq)
);

CREATE TABLE emails (
    id             TEXT NOT NULL CONSTRAINT emails_pkey PRIMARY KEY,
    organization_id TEXT,
    envelope_id    TEXT,
    recipient_id   TEXT,
    kind           TEXT NOT NULL,
    to_email       TEXT NOT NULL,
    to_name        TEXT NOT NULL,
    subject        TEXT NOT NULL,
    html           TEXT NOT NULL,
    text           TEXT NOT NULL,
    attachments    TEXT NOT NULL DEFAULT '[]',
    status         TEXT NOT NULL CONSTRAINT emails_status_check CHECK (status IN ('queued', 'sent', 'captured', 'failed')),
    attempts       BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    locked_until   TEXT,
    last_error     TEXT,
    sent_at        TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX emails_status_idx ON emails (status, next_attempt_at);
