-- Intake look-ups by key: the key first, so a look-up of a batch's keys is answered from the
-- index whatever the planner knows of the table (with the agency first, a table whose
-- statistics were out of date was read agency-wide and filtered). A referral made through the
-- API has no author, so the index of authors' referrals holds only those with one.
DROP INDEX referrals_idempotency;
CREATE UNIQUE INDEX referrals_idempotency ON referrals (idempotency_key, submitting_agency)
    WHERE idempotency_key IS NOT NULL;
DROP INDEX referrals_import;
CREATE UNIQUE INDEX referrals_import ON referrals (import_key, submitting_agency)
    WHERE import_key IS NOT NULL;
DROP INDEX referrals_submitted_by;
CREATE INDEX referrals_submitted_by ON referrals (submitted_by, received_at)
    WHERE submitted_by IS NOT NULL;
