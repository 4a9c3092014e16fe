-- Each user's language (Korean by default, as recipients'): the mail Dojang sends its senders
-- (a signer declined, a contract is completed) is written in it.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'ko';
