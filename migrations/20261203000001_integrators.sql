-- What integrators coming from other e-contract APIs expect.

-- The integrator's own reference on envelopes and documents: an id from its system (unique
-- per organization and mode when set; NULLs never collide) and a JSON object of its own.
ALTER TABLE envelopes ADD COLUMN external_id TEXT;
ALTER TABLE envelopes ADD COLUMN metadata TEXT;
CREATE UNIQUE INDEX envelopes_external_id_key ON envelopes (organization_id, mode, external_id);
ALTER TABLE documents ADD COLUMN external_id TEXT;
ALTER TABLE documents ADD COLUMN metadata TEXT;
CREATE UNIQUE INDEX documents_external_id_key ON documents (organization_id, mode, external_id);

-- Signing links minted on demand can be short-lived (an embedding host opening signing now).
ALTER TABLE signing_links ADD COLUMN expires_at TEXT;
-- A link can be retired when a newer one replaces it.
ALTER TABLE signing_links ADD COLUMN revoked_at TEXT;

-- What an API key may do: a comma-separated list of scopes (`read`, `documents`,
-- `envelopes`, `webhooks`), or NULL for everything.
ALTER TABLE api_keys ADD COLUMN scopes TEXT;
