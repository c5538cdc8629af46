-- Onward referrals: the hub refers a triaged person on to services (SQLite dialect;
-- migrations/postgres holds the same).

-- Consent per recipient organisation, kept as history: the newest for an organisation is current.
CREATE TABLE consents (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons (id),
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    organization_id TEXT NOT NULL REFERENCES dir_organizations (id),
    -- given | refused | override (shared without consent on a legal basis)
    decision TEXT NOT NULL,
    -- What may be shared beyond the minimum once the service takes the person on (JSON list).
    shares TEXT NOT NULL,
    valid_until TEXT,
    legal_basis TEXT,
    justification TEXT,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX consents_person ON consents (person_id, organization_id, recorded_at);

CREATE TABLE onward_referrals (
    id TEXT PRIMARY KEY,
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    person_id TEXT NOT NULL REFERENCES persons (id),
    service_id TEXT NOT NULL REFERENCES dir_services (id),
    recipient_agency_id TEXT NOT NULL REFERENCES agencies (id),
    sender_agency_id TEXT NOT NULL REFERENCES agencies (id),
    sent_by TEXT NOT NULL REFERENCES users (id),
    sent_at TEXT NOT NULL,
    consent_id TEXT NOT NULL REFERENCES consents (id),
    state TEXT NOT NULL,
    state_at TEXT NOT NULL,
    tier TEXT,
    risk_level TEXT,
    -- Circumstances deadline rules depend on (JSON list), and when a missing child came home.
    circumstances TEXT NOT NULL,
    returned_at TEXT,
    -- The sender's note to the service: what it needs to know to decide.
    note TEXT NOT NULL,
    decline_reason TEXT,
    decline_note TEXT,
    outcome TEXT,
    outcome_note TEXT,
    rerouted_from TEXT REFERENCES onward_referrals (id),
    -- The earliest deadline not yet met, for ordering the inbox and finding the overdue.
    next_due_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX onward_referrals_inbox ON onward_referrals (recipient_agency_id, state, next_due_at);
CREATE INDEX onward_referrals_referral ON onward_referrals (referral_id, sent_at);
CREATE INDEX onward_referrals_person ON onward_referrals (person_id, sent_at);
CREATE INDEX onward_referrals_next_due ON onward_referrals (next_due_at);

-- Every step, who took it and when.
CREATE TABLE onward_events (
    id TEXT PRIMARY KEY,
    onward_referral_id TEXT NOT NULL REFERENCES onward_referrals (id),
    step TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    by_user TEXT REFERENCES users (id),
    by_agency TEXT NOT NULL REFERENCES agencies (id),
    at TEXT NOT NULL,
    reason TEXT,
    note TEXT
);
CREATE INDEX onward_events_referral ON onward_events (onward_referral_id, at);

-- The deadlines the rules set when the referral was sent, and when each was met.
CREATE TABLE onward_deadlines (
    onward_referral_id TEXT NOT NULL REFERENCES onward_referrals (id),
    milestone TEXT NOT NULL,
    due_at TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    rule_name TEXT NOT NULL,
    met_at TEXT,
    escalated_at TEXT,
    PRIMARY KEY (onward_referral_id, milestone)
);
CREATE INDEX onward_deadlines_open ON onward_deadlines (due_at) WHERE met_at IS NULL;

-- Attempts to contact a person, with their result.
CREATE TABLE contact_attempts (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons (id),
    onward_referral_id TEXT REFERENCES onward_referrals (id),
    channel TEXT NOT NULL,
    result TEXT NOT NULL,
    note TEXT NOT NULL,
    made_by TEXT REFERENCES users (id),
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    made_at TEXT NOT NULL
);
CREATE INDEX contact_attempts_person ON contact_attempts (person_id, made_at);

-- A channel stopped by an unsafe or wrong-number attempt, until a person reviews it.
CREATE TABLE contact_suspensions (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons (id),
    channel TEXT NOT NULL,
    attempt_id TEXT NOT NULL REFERENCES contact_attempts (id),
    suspended_at TEXT NOT NULL,
    reviewed_by TEXT REFERENCES users (id),
    reviewed_at TEXT,
    review_note TEXT
);
CREATE INDEX contact_suspensions_person ON contact_suspensions (person_id, channel);
