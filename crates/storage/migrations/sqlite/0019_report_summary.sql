-- The reports' facts summed by month, area, source, crime category and one more breakdown
-- (sqlite dialect; the other directory holds the same), so a quarter's pack or a five-year chart
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
