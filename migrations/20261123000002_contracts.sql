-- Contracts being prepared: uploaded documents and their pages, envelopes (contracts),
-- the documents in each envelope, recipients and fields.
-- Fractions (field positions) are DOUBLE PRECISION; SQLite stores them as REAL.

CREATE TABLE documents (
    id               TEXT NOT NULL CONSTRAINT documents_pkey PRIMARY KEY,
    organization_id  TEXT NOT NULL CONSTRAINT documents_organization_id_fkey REFERENCES organizations (id),
    created_by       TEXT CONSTRAINT documents_created_by_fkey REFERENCES users (id),
    name             TEXT NOT NULL,
    sha256           TEXT NOT NULL,
    size_bytes       BIGINT NOT NULL,
    page_count       BIGINT NOT NULL,
    storage_key      TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX documents_organization_id_idx ON documents (organization_id, created_at);

CREATE TABLE document_pages (
    document_id    TEXT NOT NULL CONSTRAINT document_pages_document_id_fkey REFERENCES documents (id) ON DELETE CASCADE,
    page_index     BIGINT NOT NULL,
    box_left       DOUBLE PRECISION NOT NULL,
    box_bottom     DOUBLE PRECISION NOT NULL,
    box_right      DOUBLE PRECISION NOT NULL,
    box_top        DOUBLE PRECISION NOT NULL,
    media_left     DOUBLE PRECISION NOT NULL,
    media_bottom   DOUBLE PRECISION NOT NULL,
    media_right    DOUBLE PRECISION NOT NULL,
    media_top      DOUBLE PRECISION NOT NULL,
    rotation       BIGINT NOT NULL CONSTRAINT document_pages_rotation_check CHECK (rotation IN (0, 90, 180, 270)),
    rendered       BIGINT NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    CONSTRAINT document_pages_pkey PRIMARY KEY (document_id, page_index)
);

CREATE TABLE envelopes (
    id               TEXT NOT NULL CONSTRAINT envelopes_pkey PRIMARY KEY,
    organization_id  TEXT NOT NULL CONSTRAINT envelopes_organization_id_fkey REFERENCES organizations (id),
    created_by       TEXT CONSTRAINT envelopes_created_by_fkey REFERENCES users (id),
    name             TEXT NOT NULL,
    status           TEXT NOT NULL CONSTRAINT envelopes_status_check
                         CHECK (status IN ('draft', 'sent', 'completed', 'declined', 'cancelled', 'expired')),
    version          BIGINT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX envelopes_organization_id_idx ON envelopes (organization_id, updated_at);

CREATE TABLE envelope_documents (
    envelope_id   TEXT NOT NULL CONSTRAINT envelope_documents_envelope_id_fkey REFERENCES envelopes (id) ON DELETE CASCADE,
    document_id   TEXT NOT NULL CONSTRAINT envelope_documents_document_id_fkey REFERENCES documents (id),
    position      BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CONSTRAINT envelope_documents_pkey PRIMARY KEY (envelope_id, document_id)
);

CREATE TABLE recipients (
    id            TEXT NOT NULL CONSTRAINT recipients_pkey PRIMARY KEY,
    envelope_id   TEXT NOT NULL CONSTRAINT recipients_envelope_id_fkey REFERENCES envelopes (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    role          TEXT NOT NULL CONSTRAINT recipients_role_check CHECK (role IN ('signer', 'viewer')),
    signing_order BIGINT NOT NULL,
    position      BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX recipients_envelope_id_idx ON recipients (envelope_id);

CREATE TABLE fields (
    id            TEXT NOT NULL CONSTRAINT fields_pkey PRIMARY KEY,
    envelope_id   TEXT NOT NULL CONSTRAINT fields_envelope_id_fkey REFERENCES envelopes (id) ON DELETE CASCADE,
    recipient_id  TEXT NOT NULL CONSTRAINT fields_recipient_id_fkey REFERENCES recipients (id) ON DELETE CASCADE,
    document_id   TEXT NOT NULL CONSTRAINT fields_document_id_fkey REFERENCES documents (id),
    page_index    BIGINT NOT NULL,
    x             DOUBLE PRECISION NOT NULL,
    y             DOUBLE PRECISION NOT NULL,
    width         DOUBLE PRECISION NOT NULL,
    height        DOUBLE PRECISION NOT NULL,
    kind          TEXT NOT NULL CONSTRAINT fields_kind_check CHECK (kind IN
                      ('signature', 'initials', 'date', 'text', 'number', 'checkbox', 'radio', 'select', 'name', 'email')),
    required      BIGINT NOT NULL,
    label         TEXT NOT NULL,
    placeholder   TEXT NOT NULL,
    options       TEXT NOT NULL,
    format        TEXT,
    position      BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX fields_envelope_id_idx ON fields (envelope_id);
