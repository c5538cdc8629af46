-- An attempt logged when the contact gate would have refused it (outside the person's safe times,
-- a channel they did not allow, one held back or suspended) is kept only with the reason given.
ALTER TABLE contact_attempts ADD COLUMN override_reason TEXT;
