-- Retention and erasure (PostgreSQL dialect; migrations/sqlite holds the same).
--
-- A schedule changed by the data protection officer (a kind without a row keeps Harbour's
-- default, with its reason, from the code).
CREATE TABLE retention_schedules (
    kind TEXT PRIMARY KEY,
    after_event TEXT NOT NULL,
    months BIGINT NOT NULL,
    until_age BIGINT,
    reason TEXT NOT NULL,
    changed_by TEXT REFERENCES users (id),
    changed_at TEXT NOT NULL
);

-- Each night's run: what fell due, by kind, and the decision on it. Only an approved run
-- erases, and then only what it listed and is still due and not held.
CREATE TABLE retention_runs (
    id TEXT PRIMARY KEY,
    -- The UK date it looked at, one run per day.
    as_of TEXT NOT NULL UNIQUE,
    prepared_at TEXT NOT NULL,
    status TEXT NOT NULL,
    -- JSON: for each kind, how many were due, and how many more would be but are held.
    counts TEXT NOT NULL,
    decided_by TEXT REFERENCES users (id),
    decided_at TEXT,
    decision_note TEXT,
    erased_at TEXT,
    -- JSON: for each kind, how many were erased, and how many were skipped (held or no
    -- longer due since the run was prepared).
    erased TEXT
);
CREATE TABLE retention_run_items (
    run_id TEXT NOT NULL REFERENCES retention_runs (id),
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (run_id, kind, record_id)
);

-- A legal hold on everything about a person (scope 'person'), or on one referral and all that
-- came of it ('referral'); either way found by a referral's reference, which it keeps.
CREATE TABLE legal_holds (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons (id),
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    scope TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    placed_by TEXT NOT NULL REFERENCES users (id),
    placed_at TEXT NOT NULL,
    lifted_by TEXT REFERENCES users (id),
    lifted_at TEXT,
    lift_reason TEXT
);
CREATE INDEX legal_holds_live ON legal_holds (person_id) WHERE lifted_at IS NULL;

-- When a record's personal content was erased: the row stays with its codes, dates and links,
-- which the reports count, and nothing that says who.
ALTER TABLE persons ADD COLUMN erased_at TEXT;
ALTER TABLE referrals ADD COLUMN erased_at TEXT;
ALTER TABLE cases ADD COLUMN erased_at TEXT;
ALTER TABLE onward_referrals ADD COLUMN erased_at TEXT;
ALTER TABLE marac_cases ADD COLUMN erased_at TEXT;
ALTER TABLE contact_attempts ADD COLUMN erased_at TEXT;
ALTER TABLE consents ADD COLUMN erased_at TEXT;
-- What the MARAC quarterly return counts about an erased case (children, a perpetrator under
-- 18, the victim a man or aged 16 or 17 when heard), JSON, so past returns still add up.
ALTER TABLE marac_cases ADD COLUMN return_facts TEXT;

-- A person's request to have their records erased: how and when it came, the day it must be
-- answered by, the officer's decision with its ground and reason, and what was erased. The
-- person's words go when their records do; the request stays as the record of the answer.
CREATE TABLE erasure_requests (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons (id),
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    received TEXT NOT NULL,
    received_on TEXT NOT NULL,
    asked TEXT NOT NULL,
    respond_by TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TEXT NOT NULL,
    status TEXT NOT NULL,
    decision_ground TEXT,
    decision_reason TEXT,
    decided_by TEXT REFERENCES users (id),
    decided_at TEXT,
    erased_at TEXT,
    erased TEXT
);

-- A person's request to see what is held about them: the deadline (extended once, with the
-- reason), and the export, whose download link is a secret kept as a digest until it expires.
CREATE TABLE subject_access_requests (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons (id),
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    received TEXT NOT NULL,
    received_on TEXT NOT NULL,
    asked TEXT NOT NULL,
    respond_by TEXT NOT NULL,
    extended_reason TEXT,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TEXT NOT NULL,
    status TEXT NOT NULL,
    exported_at TEXT,
    export_token_hash TEXT,
    export_expires_at TEXT
);
-- The officer's decision on each flagged item: redact or release, and why.
CREATE TABLE subject_access_redactions (
    request_id TEXT NOT NULL REFERENCES subject_access_requests (id),
    item_key TEXT NOT NULL,
    choice TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_by TEXT REFERENCES users (id),
    decided_at TEXT NOT NULL,
    PRIMARY KEY (request_id, item_key)
);

-- The devices each person has signed in from, known by a long-lived cookie's digest; one
-- first seen after their first is shown on their home page until they say it was them.
CREATE TABLE known_devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_hash TEXT NOT NULL,
    label TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    acknowledged BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (user_id, device_hash)
);
-- Each sign-in gets an id to name it on the person's account page (the token's digest stays
-- private), the browser and system in words, and its device. Sessions from before this have
-- none of these, so they end: people sign in again once.
DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN id TEXT;
ALTER TABLE sessions ADD COLUMN device TEXT;
ALTER TABLE sessions ADD COLUMN device_id TEXT REFERENCES known_devices (id) ON DELETE SET NULL;
CREATE UNIQUE INDEX sessions_id ON sessions (id);

-- Two-factor sign-in: each person's authenticator secret once a code has proved it, one being
-- set up (the old stays good until the new is proved), and the time step of the last code used,
-- so a code works once. Recovery codes are kept only as digests and used once.
CREATE TABLE two_factor (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret TEXT,
    new_secret TEXT,
    confirmed_at TEXT,
    last_step BIGINT
);
CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TEXT,
    PRIMARY KEY (user_id, code_hash)
);
-- A sign-in part-way: the password was right; the second factor is still to come, or to be set
-- up. It lasts ten minutes and five wrong codes.
CREATE TABLE pending_sign_ins (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- Single sign-on: an agency's OpenID Connect identity provider, the e-mail domains whose
-- verified addresses it vouches for, whether it checks a second factor itself (so Harbour
-- does not ask again), and whether every address it gives in those domains is one it has
-- verified (Microsoft Entra ID sends no email_verified claim: a tenant's domains are verified).
-- Staff accounts are linked by verified e-mail within those domains; roles stay in Harbour.
-- With passwords off, the agency's staff (but not its administrators, who must be able to get
-- in when the provider is down) sign in only through the provider.
CREATE TABLE agency_identity_providers (
    agency_id TEXT PRIMARY KEY REFERENCES agencies (id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    domains TEXT NOT NULL,
    idp_checks_second_factor BOOLEAN NOT NULL DEFAULT FALSE,
    domains_verified_by_provider BOOLEAN NOT NULL DEFAULT FALSE,
    passwords_off BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TEXT NOT NULL
);
-- A sign-in sent to an identity provider, until it comes back: its state's digest (the browser
-- holds the state in a cookie), the nonce the ID token must carry and the PKCE verifier.
CREATE TABLE identity_provider_attempts (
    state_hash TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
