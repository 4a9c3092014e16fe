-- Bulk send (issue 16): a batch of rows, each becoming one envelope from a template, sent by
-- a paced job. A row's envelope is recorded in the transaction that creates it, so a run
-- taken over after a crash never makes a second one.

CREATE TABLE batches (
    id               TEXT NOT NULL CONSTRAINT batches_pkey PRIMARY KEY,
    organization_id  TEXT NOT NULL CONSTRAINT batches_organization_id_fkey REFERENCES organizations (id),
    created_by       TEXT CONSTRAINT batches_created_by_fkey REFERENCES users (id),
    mode             TEXT NOT NULL CONSTRAINT batches_mode_check CHECK (mode IN ('live', 'test')),
    client_id        TEXT,
    -- No foreign key: the batch's record outlives its template.
    template_id      TEXT NOT NULL,
    status           TEXT NOT NULL CONSTRAINT batches_status_check CHECK (status IN ('running', 'done', 'cancelled')),
    total            BIGINT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX batches_organization_id_idx ON batches (organization_id, mode, created_at);

CREATE TABLE batch_rows (
    batch_id       TEXT NOT NULL CONSTRAINT batch_rows_batch_id_fkey REFERENCES batches (id) ON DELETE CASCADE,
    row_index      BIGINT NOT NULL,
    status         TEXT NOT NULL CONSTRAINT batch_rows_status_check
                       CHECK (status IN ('pending', 'created', 'sent', 'failed', 'skipped', 'cancelled')),
    -- The row as given (recipients and values), JSON.
    input          TEXT NOT NULL,
    envelope_id    TEXT CONSTRAINT batch_rows_envelope_id_fkey REFERENCES envelopes (id) ON DELETE SET NULL,
    error_code     TEXT,
    error_message  TEXT,
    updated_at     TEXT NOT NULL,
    CONSTRAINT batch_rows_pkey PRIMARY KEY (batch_id, row_index)
);
CREATE INDEX batch_rows_status_idx ON batch_rows (batch_id, status, row_index);
