-- Indexes that are only ever searched for a value hold only the rows that have one. Referrals
-- through the API and the public page have no signed-in author, so their audit entries have no
-- acting user; a self-referral has no submitting agency; many people are referred without a
-- date of birth. Each such row now costs one index entry fewer to write, and the look-ups
-- (`actor_user_id = $1`, `submitting_agency = $1`, a batch's dates of birth) imply the condition,
-- so they still use the index.
DROP INDEX audit_log_actor;
CREATE INDEX audit_log_actor ON audit_log (actor_user_id, seq)
    WHERE actor_user_id IS NOT NULL;
DROP INDEX referrals_submitting_agency;
CREATE INDEX referrals_submitting_agency ON referrals (submitting_agency, received_at)
    WHERE submitting_agency IS NOT NULL;
DROP INDEX persons_date_of_birth;
CREATE INDEX persons_date_of_birth ON persons (date_of_birth)
    WHERE date_of_birth IS NOT NULL;
