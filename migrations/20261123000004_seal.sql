-- Sealing: a persisted job queue, the sealed result of each document, the audit trail file,
-- the instance's sealing keys (encrypted at rest), and expiring download links.

CREATE TABLE jobs (
    id            TEXT NOT NULL CONSTRAINT jobs_pkey PRIMARY KEY,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL CONSTRAINT jobs_status_check CHECK (status IN ('pending', 'done', 'failed')),
    attempts      BIGINT NOT NULL DEFAULT 0,
    run_at        TEXT NOT NULL,
    locked_until  TEXT,
    last_error    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX jobs_status_run_at_idx ON jobs (status, run_at);

ALTER TABLE envelopes ADD COLUMN seal_status TEXT;
ALTER TABLE envelopes ADD COLUMN seal_error TEXT;
ALTER TABLE envelopes ADD COLUMN sealed_at TEXT;
ALTER TABLE envelopes ADD COLUMN audit_trail_key TEXT;
ALTER TABLE envelopes ADD COLUMN audit_trail_sha256 TEXT;

CREATE TABLE sealed_documents (
    envelope_id     TEXT NOT NULL CONSTRAINT sealed_documents_envelope_id_fkey REFERENCES envelopes (id) ON DELETE CASCADE,
    document_id     TEXT NOT NULL CONSTRAINT sealed_documents_document_id_fkey REFERENCES documents (id),
    original_sha256 TEXT NOT NULL,
    sealed_sha256   TEXT NOT NULL,
    storage_key     TEXT NOT NULL,
    size_bytes      BIGINT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CONSTRAINT sealed_documents_pkey PRIMARY KEY (envelope_id, document_id)
);
CREATE INDEX sealed_documents_sealed_sha256_idx ON sealed_documents (sealed_sha256);

CREATE TABLE seal_keys (
    id            TEXT NOT NULL CONSTRAINT seal_keys_pkey PRIMARY KEY,
    kind          TEXT NOT NULL CONSTRAINT seal_keys_kind_check CHECK (kind IN ('root', 'seal')),
    source        TEXT NOT NULL CONSTRAINT seal_keys_source_check CHECK (source IN ('generated', 'pkcs12')),
    subject       TEXT NOT NULL,
    certificate   TEXT NOT NULL,
    chain         TEXT NOT NULL DEFAULT '',
    private_key   TEXT NOT NULL,
    active        BIGINT NOT NULL,
    not_after     TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE download_links (
    token_hash    TEXT NOT NULL CONSTRAINT download_links_pkey PRIMARY KEY,
    envelope_id   TEXT NOT NULL CONSTRAINT download_links_envelope_id_fkey REFERENCES envelopes (id) ON DELETE CASCADE,
    expires_at    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
