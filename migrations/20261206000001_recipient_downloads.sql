-- A download link from the completion mail may belong to one recipient: one with identity
-- checks passes them again before the sealed documents open.
ALTER TABLE download_links ADD COLUMN recipient_id TEXT REFERENCES recipients (id) ON DELETE CASCADE;
-- Deleting a recipient (a draft saved again) looks its links up.
CREATE INDEX download_links_recipient_id_idx ON download_links (recipient_id);
