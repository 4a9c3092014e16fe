-- Templates (issue 16): documents, roles (not people) and fields assigned to roles, prepared
-- once; an envelope made from one copies them (later edits never reach it).

CREATE TABLE templates (
    id                  TEXT NOT NULL CONSTRAINT templates_pkey PRIMARY KEY,
    organization_id     TEXT NOT NULL CONSTRAINT templates_organization_id_fkey REFERENCES organizations (id),
    created_by          TEXT CONSTRAINT templates_created_by_fkey REFERENCES users (id),
    mode                TEXT NOT NULL CONSTRAINT templates_mode_check CHECK (mode IN ('live', 'test')),
    client_id           TEXT,
    name                TEXT NOT NULL,
    message             TEXT NOT NULL,
    signing_order       TEXT NOT NULL CONSTRAINT templates_signing_order_check CHECK (signing_order IN ('parallel', 'sequential')),
    expires_in_seconds  BIGINT,
    reminder_days       BIGINT,
    language            TEXT CONSTRAINT templates_language_check CHECK (language IN ('ko', 'en')),
    version             BIGINT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX templates_organization_id_idx ON templates (organization_id, mode, created_at);

CREATE TABLE template_documents (
    template_id   TEXT NOT NULL CONSTRAINT template_documents_template_id_fkey REFERENCES templates (id) ON DELETE CASCADE,
    document_id   TEXT NOT NULL CONSTRAINT template_documents_document_id_fkey REFERENCES documents (id),
    position      BIGINT NOT NULL,
    CONSTRAINT template_documents_pkey PRIMARY KEY (template_id, document_id)
);
-- Deleting a document from the library asks whether a template uses it.
CREATE INDEX template_documents_document_id_idx ON template_documents (document_id);

-- A role: who signs (or views) in the template's terms, e.g. 근로자 or 회사.
CREATE TABLE template_roles (
    template_id    TEXT NOT NULL CONSTRAINT template_roles_template_id_fkey REFERENCES templates (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CONSTRAINT template_roles_role_check CHECK (role IN ('signer', 'viewer')),
    signing_order  BIGINT NOT NULL,
    position       BIGINT NOT NULL,
    CONSTRAINT template_roles_pkey PRIMARY KEY (template_id, name)
);

CREATE TABLE template_fields (
    id            TEXT NOT NULL CONSTRAINT template_fields_pkey PRIMARY KEY,
    template_id   TEXT NOT NULL CONSTRAINT template_fields_template_id_fkey REFERENCES templates (id) ON DELETE CASCADE,
    role          TEXT NOT NULL,
    document_id   TEXT NOT NULL CONSTRAINT template_fields_document_id_fkey REFERENCES documents (id),
    page_index    BIGINT NOT NULL,
    x             DOUBLE PRECISION NOT NULL,
    y             DOUBLE PRECISION NOT NULL,
    width         DOUBLE PRECISION NOT NULL,
    height        DOUBLE PRECISION NOT NULL,
    kind          TEXT NOT NULL CONSTRAINT template_fields_kind_check CHECK (kind IN
                      ('signature', 'initials', 'date', 'text', 'number', 'checkbox', 'radio', 'select', 'name', 'email')),
    required      BIGINT NOT NULL,
    label         TEXT NOT NULL,
    placeholder   TEXT NOT NULL,
    options       TEXT NOT NULL,
    format        TEXT,
    name          TEXT,
    cover_x       DOUBLE PRECISION,
    cover_y       DOUBLE PRECISION,
    cover_width   DOUBLE PRECISION,
    cover_height  DOUBLE PRECISION,
    position      BIGINT NOT NULL,
    CONSTRAINT template_fields_role_fkey FOREIGN KEY (template_id, role) REFERENCES template_roles (template_id, name) ON DELETE CASCADE
);
CREATE INDEX template_fields_template_id_idx ON template_fields (template_id);

-- A field's name (values are prefilled by it), the value given before signing (`prefill`,
-- read-only when `read_only`), and the box the sealed PDF paints white before writing the
-- field's value (the text tag that placed it; fractions of the page as displayed).
ALTER TABLE fields ADD COLUMN name TEXT;
ALTER TABLE fields ADD COLUMN prefill TEXT;
ALTER TABLE fields ADD COLUMN read_only BIGINT NOT NULL DEFAULT 0;
ALTER TABLE fields ADD COLUMN cover_x DOUBLE PRECISION;
ALTER TABLE fields ADD COLUMN cover_y DOUBLE PRECISION;
ALTER TABLE fields ADD COLUMN cover_width DOUBLE PRECISION;
ALTER TABLE fields ADD COLUMN cover_height DOUBLE PRECISION;
