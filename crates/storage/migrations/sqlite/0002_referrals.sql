-- Referrals into the gateway (SQLite dialect; migrations/postgres holds the same).
-- The person is kept apart from the referral: one person, many referrals.

CREATE TABLE persons (
    id TEXT PRIMARY KEY,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    date_of_birth TEXT,
    postcode TEXT NOT NULL,
    area TEXT REFERENCES areas (gss_code),
    -- The rest of the person (previous names, gender, address, language, needs, diversity), JSON.
    details TEXT NOT NULL,
    -- Safe-contact preferences, JSON; every outbound path reads them.
    safe_contact TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX persons_name ON persons (family_name, given_name);
CREATE INDEX persons_date_of_birth ON persons (date_of_birth);

CREATE TABLE referrals (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    person_id TEXT NOT NULL REFERENCES persons (id),
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    submitted_by TEXT REFERENCES users (id),
    submitting_agency TEXT REFERENCES agencies (id),
    api_token_id TEXT REFERENCES api_tokens (id),
    received_at TEXT NOT NULL,
    due_on TEXT NOT NULL,
    crime_category TEXT NOT NULL,
    reported_to_police INTEGER NOT NULL CHECK (reported_to_police IN (0, 1)),
    police_reference TEXT,
    incident_date TEXT,
    incident_area TEXT REFERENCES areas (gss_code),
    -- Where the person lives, else where it happened: what the queue filters by.
    area TEXT REFERENCES areas (gss_code),
    perpetrators TEXT NOT NULL,
    children TEXT NOT NULL,
    consent_to_referral TEXT NOT NULL,
    consent_basis TEXT NOT NULL,
    consent_to_aggregate INTEGER NOT NULL CHECK (consent_to_aggregate IN (0, 1)),
    referrer_risk_level TEXT,
    -- The latest triage's level, or the referrer's until then.
    risk_level TEXT,
    notes TEXT NOT NULL,
    idempotency_key TEXT,
    idempotency_hash TEXT,
    import_key TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX referrals_idempotency ON referrals (submitting_agency, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX referrals_import ON referrals (submitting_agency, import_key)
    WHERE import_key IS NOT NULL;
CREATE INDEX referrals_queue ON referrals (status, received_at, id);
CREATE INDEX referrals_submitted_by ON referrals (submitted_by, received_at);
CREATE INDEX referrals_submitting_agency ON referrals (submitting_agency, received_at);
CREATE INDEX referrals_person ON referrals (person_id, received_at);

-- A referral being written and saved before it is complete; seen only by its author.
CREATE TABLE referral_drafts (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    input TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX referral_drafts_owner ON referral_drafts (owner, updated_at);

-- Every triage decision is kept; the newest is the current one.
CREATE TABLE triage_decisions (
    id TEXT PRIMARY KEY,
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    decided_by TEXT NOT NULL REFERENCES users (id),
    decided_at TEXT NOT NULL,
    entitlement TEXT NOT NULL,
    entitlement_proposed TEXT NOT NULL,
    entitlement_reasons TEXT NOT NULL,
    entitlement_override_reason TEXT,
    needs TEXT NOT NULL,
    instrument_id TEXT,
    instrument_version BIGINT,
    risk_answers TEXT NOT NULL,
    risk_score BIGINT,
    risk_scored_level TEXT,
    risk_level TEXT NOT NULL,
    judgement_reason TEXT,
    marac TEXT NOT NULL,
    marac_referral INTEGER NOT NULL CHECK (marac_referral IN (0, 1)),
    tier TEXT NOT NULL,
    tier_reason TEXT NOT NULL
);
CREATE INDEX triage_decisions_referral ON triage_decisions (referral_id, decided_at);

-- Risk instruments, as loaded (the shipped demonstration one, or an agency's licensed one).
CREATE TABLE instruments (
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    definition TEXT NOT NULL,
    active INTEGER NOT NULL CHECK (active IN (0, 1)),
    imported_at TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
