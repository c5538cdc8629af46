-- The reports' facts summed by month, area, source, crime category and one more breakdown
-- (postgres dialect; the other directory holds the same), so a quarter's pack or a five-year chart
-- over a million referrals reads thousands of sums, not the million rows. Kept with the facts:
-- every write of report_facts adds what it changes here in the same transaction (the rows
-- locked in key order, after the audit head), and a test keeps it equal to a recount.
CREATE TABLE report_summary (
    -- Which breakdown the row counts by ('all' for none, then 'tier', 'entitlement', 'age_band',
    -- 'gender', 'ethnicity', 'disability'), and its value ('' where none is recorded).
    breakdown TEXT NOT NULL,
    month TEXT NOT NULL,
    -- '' where the referral has no area.
    area TEXT NOT NULL,
    source TEXT NOT NULL,
    crime_category TEXT NOT NULL,
    value TEXT NOT NULL,
    -- The funnel's counts: as report_facts has them, summed.
    referrals BIGINT NOT NULL,
    advised BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    referred_on BIGINT NOT NULL,
    completed BIGINT NOT NULL,
    reached BIGINT NOT NULL,
    reached_in_time BIGINT NOT NULL,
    contact_within_1 BIGINT NOT NULL,
    contact_within_7 BIGINT NOT NULL,
    contact_within_14 BIGINT NOT NULL,
    contact_later BIGINT NOT NULL,
    PRIMARY KEY (breakdown, month, area, source, crime_category, value)
);

-- Indexes that hold everything a report reads from them, so a quarter over a million
-- referrals is read from the index in order, not row by row across the table: repeat
-- victimisation's scan of the period and its look-back per person, the referrals on sent in the
-- period with their deadlines, and the cases closed in it.
DROP INDEX report_facts_person;
CREATE INDEX report_facts_person ON report_facts (person_id, received_day, received_at);
DROP INDEX report_facts_received;
CREATE INDEX report_facts_received ON report_facts (received_on, crime_category, person_id, received_day, received_at);
DROP INDEX onward_referrals_sent;
CREATE INDEX onward_referrals_sent ON onward_referrals (sent_at, service_id, state, decline_reason, outcome, referral_id, id);
CREATE INDEX onward_deadlines_rules ON onward_deadlines (onward_referral_id, rule_name, milestone, due_at, met_at);
DROP INDEX cases_closed;
CREATE INDEX cases_closed ON cases (closed_at, service_id, tier, cope, recover, risk_level, onward_referral_id, referral_id);

-- Intake's one statement ends here: the audit entries first (which locks the chain's head),
-- then the sums, as every other writer of the sums does, so no two writers wait for each
-- other in opposite orders. `sums` is the rows' changes in key order, as harbour writes them.
CREATE FUNCTION intake_append(entries json, sums json) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    appended bigint;
BEGIN
    appended := audit_append(entries);
    INSERT INTO report_summary (breakdown, month, area, source, crime_category, value, referrals,
        advised, accepted, referred_on, completed, reached, reached_in_time, contact_within_1,
        contact_within_7, contact_within_14, contact_later)
    SELECT x.breakdown, x.month, x.area, x.source, x.crime_category, x.value, x.referrals,
        x.advised, x.accepted, x.referred_on, x.completed, x.reached, x.reached_in_time,
        x.contact_within_1, x.contact_within_7, x.contact_within_14, x.contact_later
    FROM json_to_recordset(sums) AS x(breakdown text, month text, area text, source text,
        crime_category text, value text, referrals bigint, advised bigint, accepted bigint,
        referred_on bigint, completed bigint, reached bigint, reached_in_time bigint,
        contact_within_1 bigint, contact_within_7 bigint, contact_within_14 bigint,
        contact_later bigint)
    ON CONFLICT (breakdown, month, area, source, crime_category, value) DO UPDATE SET
        referrals = report_summary.referrals + excluded.referrals,
        advised = report_summary.advised + excluded.advised,
        accepted = report_summary.accepted + excluded.accepted,
        referred_on = report_summary.referred_on + excluded.referred_on,
        completed = report_summary.completed + excluded.completed,
        reached = report_summary.reached + excluded.reached,
        reached_in_time = report_summary.reached_in_time + excluded.reached_in_time,
        contact_within_1 = report_summary.contact_within_1 + excluded.contact_within_1,
        contact_within_7 = report_summary.contact_within_7 + excluded.contact_within_7,
        contact_within_14 = report_summary.contact_within_14 + excluded.contact_within_14,
        contact_later = report_summary.contact_later + excluded.contact_later;
    RETURN appended;
END
$$;
