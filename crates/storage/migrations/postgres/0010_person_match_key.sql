-- A referral finds the person already stored by a key Harbour works out from the names, ignoring
-- case, and the date of birth (`harbour_domain::person_match`), not by date of birth alone. The
-- look-up then returns only the people it links, not everyone born that day: a dozen or more in
-- a county's records after a few years, each read, sent and compared for every referral.
ALTER TABLE persons ADD COLUMN match_key TEXT;
CREATE INDEX persons_match_key ON persons (match_key) WHERE match_key IS NOT NULL;
-- Only intake's matching used it.
DROP INDEX persons_date_of_birth;
-- People stored before keys existed get theirs from Harbour when it next starts (the database
-- folds case differently from Harbour, so it cannot work them out here). This index finds them,
-- and holds no one once they have their keys.
CREATE INDEX persons_without_match_key ON persons (id)
    WHERE match_key IS NULL AND date_of_birth IS NOT NULL;
