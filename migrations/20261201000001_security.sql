-- Security and trust: the audit chain's head kept on its envelope (so deleting the newest
-- events is detected too), the recipient's name and email inside each hashed event, and an
-- embed allowlist per mode (a test key never changes the live one).

ALTER TABLE envelopes ADD COLUMN audit_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE envelopes ADD COLUMN audit_head TEXT;
UPDATE envelopes SET
    audit_seq = COALESCE((SELECT MAX(a.seq) FROM audit_events a WHERE a.envelope_id = envelopes.id), 0),
    audit_head = (SELECT a.hash FROM audit_events a WHERE a.envelope_id = envelopes.id ORDER BY a.seq DESC LIMIT 1);

-- Version 1 hashes (events recorded before this migration) cover what they always did;
-- version 2 also covers the recipient's name and email as they were at the time.
ALTER TABLE audit_events ADD COLUMN hash_version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit_events ADD COLUMN recipient_name TEXT;
ALTER TABLE audit_events ADD COLUMN recipient_email TEXT;

ALTER TABLE organizations ADD COLUMN embed_origins_test TEXT NOT NULL DEFAULT '';
