-- Accounts: organizations (tenants), their users, browser sessions and login throttling.
-- Conventions (portable between SQLite and PostgreSQL):
--   ids are TEXT (32 hex digits, UUIDv7); times are TEXT 'YYYY-MM-DDTHH:MM:SS.sssZ' in UTC;
--   integers are BIGINT; booleans are BIGINT 0/1; every table has created_at/updated_at;
--   constraints are named <table>_<column>_key / _fkey / _check and mapped to field errors.

CREATE TABLE organizations (
    id          TEXT NOT NULL CONSTRAINT organizations_pkey PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CONSTRAINT organizations_name_key UNIQUE (name)
);

CREATE TABLE users (
    id               TEXT NOT NULL CONSTRAINT users_pkey PRIMARY KEY,
    organization_id  TEXT NOT NULL CONSTRAINT users_organization_id_fkey REFERENCES organizations (id),
    email            TEXT NOT NULL,
    name             TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    role             TEXT NOT NULL CONSTRAINT users_role_check CHECK (role IN ('owner', 'admin', 'member')),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_organization_id_idx ON users (organization_id);

CREATE TABLE sessions (
    id           TEXT NOT NULL CONSTRAINT sessions_pkey PRIMARY KEY,
    data         TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- One row per throttling key (an account+address pair, or an address alone).
CREATE TABLE login_throttle (
    key           TEXT NOT NULL CONSTRAINT login_throttle_pkey PRIMARY KEY,
    failures      BIGINT NOT NULL,
    window_start  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
