-- Mail about test envelopes each organization has had sent per day (UTC): counted by one
-- atomic upsert against the daily cap, so concurrent sends cannot pass it together.
CREATE TABLE test_mail_counts (
    organization_id  TEXT NOT NULL CONSTRAINT test_mail_counts_organization_id_fkey REFERENCES organizations (id),
    day              TEXT NOT NULL,
    sent             BIGINT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CONSTRAINT test_mail_counts_pkey PRIMARY KEY (organization_id, day)
);
