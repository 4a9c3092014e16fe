-- A download link from the completion mail may belong to one recipient: one with identity
-- checks passes them again before the sealed documents open.
ALTER TABLE download_links ADD COLUMN recipient_id TEXT REFERENCES recipients (id) ON DELETE CASCADE;
-- Deleting a recipient (a draft saved again) looks its links up.
CREATE INDEX download_links_recipient_id_idx ON download_links (recipient_id);

-- A session's token before its last rotation, for a minute: a second answer sent with it at
-- the same moment (a double tap) is told the check was just passed instead of starting a
-- new, lesser session.
ALTER TABLE signer_sessions ADD COLUMN previous_token_hash TEXT;
ALTER TABLE signer_sessions ADD COLUMN rotated_at TEXT;
CREATE INDEX signer_sessions_previous_idx ON signer_sessions (previous_token_hash);
