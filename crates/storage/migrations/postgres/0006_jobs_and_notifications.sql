-- Work the background worker does: staff e-mails, signed webhooks to agencies' systems, and
-- messages to a person, which the contact gate checks again when they are due. A job is
-- written in the same transaction as the change it reports, kept until it is done, and retried
-- with backoff until then: nothing acknowledged is lost. Several Harbour processes can work
-- the queue: a job is leased to one (locked_by, locked_until) and a lapsed lease is taken over.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- The onward referral the job is about, for listing a referral's messages.
    onward_referral_id TEXT,
    -- The same notification is queued once (an overdue deadline escalates once).
    dedupe_key TEXT,
    run_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_by TEXT,
    locked_until TEXT,
    done_at TEXT,
    -- delivered | held back by the contact gate (with the reason)
    outcome TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key);
CREATE INDEX jobs_due ON jobs (run_at) WHERE done_at IS NULL;
CREATE INDEX jobs_onward ON jobs (onward_referral_id, kind);

-- Where an agency's own system hears about referrals: a URL and the key its messages are
-- signed with (HMAC-SHA256).
ALTER TABLE agencies ADD COLUMN webhook_url TEXT;
ALTER TABLE agencies ADD COLUMN webhook_secret TEXT;

-- Things given to a person to keep them safe: a phone loaded with useful contacts, a personal
-- safety device, a home-security fitting.
CREATE TABLE resources_issued (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons (id),
    referral_id TEXT REFERENCES referrals (id),
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    recorded_by TEXT REFERENCES users (id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX resources_issued_person ON resources_issued (person_id, issued_on);

CREATE INDEX contact_attempts_onward ON contact_attempts (onward_referral_id, made_at);
