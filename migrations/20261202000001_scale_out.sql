-- Several instances on one database.
-- Each claim on a queued row carries a fencing token: only its holder may renew it or record
-- the row's outcome.
ALTER TABLE jobs ADD COLUMN claim_token TEXT;
ALTER TABLE emails ADD COLUMN claim_token TEXT;
ALTER TABLE webhook_messages ADD COLUMN claim_token TEXT;

-- Periodic work (expiry and reminders, session and idempotency cleanup) runs once per period
-- across the cluster: whoever takes the lease when it has run out.
CREATE TABLE leases (
    name        TEXT NOT NULL CONSTRAINT leases_pkey PRIMARY KEY,
    holder      TEXT NOT NULL,
    until       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Rate limits shared by every instance: one row per limited key (hashed: keys name API keys
-- and client addresses), its bucket as a theoretical arrival time and its burst window, in
-- milliseconds since the epoch, and whether the last request passed.
CREATE TABLE rate_limits (
    key              TEXT NOT NULL CONSTRAINT rate_limits_pkey PRIMARY KEY,
    tat_ms           BIGINT NOT NULL,
    window_start_ms  BIGINT NOT NULL,
    in_window        BIGINT NOT NULL,
    allowed          BIGINT NOT NULL
);
