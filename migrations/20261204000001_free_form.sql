-- How signers given no fields sign: on an appended signature page, or by placing their
-- signature themselves on any page ("freeForm").
ALTER TABLE envelopes ADD COLUMN fieldless TEXT NOT NULL DEFAULT 'appendPage' CHECK (fieldless IN ('appendPage', 'freeForm'));
