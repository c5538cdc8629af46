-- What the partnership's reports count, one row per referral, kept with the referral in the
-- transaction that changes it (postgres dialect; the other directory holds the same). Only
-- non-identifying facts: the reports read nothing else, so no route from them reaches a person,
-- and these rows can outlive the person's record when it is erased.
CREATE TABLE report_facts (
    referral_id TEXT PRIMARY KEY REFERENCES referrals (id),
    -- Which person, for repeat victimisation only; moved with the referrals when people merge.
    person_id TEXT NOT NULL REFERENCES persons (id),
    received_at TEXT NOT NULL,
    -- The UK date received, and its month (YYYY-MM), which every report groups by.
    received_on TEXT NOT NULL,
    month TEXT NOT NULL,
    -- The same day as a number (days since 1 January 1970), for the 12 months before it.
    received_day BIGINT NOT NULL,
    due_on TEXT NOT NULL,
    area TEXT REFERENCES areas (gss_code),
    source TEXT NOT NULL,
    crime_category TEXT NOT NULL,
    consent_to_aggregate BOOLEAN NOT NULL,
    -- Groups only, and "withheld" without consent to aggregate reporting.
    age_band TEXT NOT NULL,
    gender TEXT NOT NULL,
    ethnicity TEXT NOT NULL,
    disability TEXT NOT NULL,
    -- The latest triage.
    triaged_at TEXT,
    entitlement TEXT,
    tier TEXT,
    risk_level TEXT,
    -- The milestones of the gateway funnel, each the first time it happened.
    advised_at TEXT,
    referred_on_at TEXT,
    accepted_at TEXT,
    completed_at TEXT,
    first_contact_at TEXT,
    -- The UK date the referral first reached support (advice given or referred on), and the
    -- days from receipt to first speaking to the person.
    reached_on TEXT,
    contact_days BIGINT
);
CREATE INDEX report_facts_month ON report_facts (month, area, source, crime_category);
CREATE INDEX report_facts_received ON report_facts (received_on);
CREATE INDEX report_facts_person ON report_facts (person_id, received_day);
CREATE INDEX onward_referrals_sent ON onward_referrals (sent_at);
CREATE INDEX cases_closed ON cases (closed_at);
CREATE INDEX consents_recorded ON consents (recorded_at);
CREATE INDEX cases_referral ON cases (referral_id);
