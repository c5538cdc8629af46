-- Casework: a case opens when a service accepts an onward referral (SQLite dialect;
-- migrations/postgres holds the same).

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons (id),
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    -- The onward referral the service accepted (one case each).
    onward_referral_id TEXT UNIQUE REFERENCES onward_referrals (id),
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    service_id TEXT REFERENCES dir_services (id),
    -- The allocated caseworker; none until a manager allocates one.
    caseworker_id TEXT REFERENCES users (id),
    tier TEXT,
    risk_level TEXT,
    -- open | paused | closed
    status TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    -- The date the next review is due (a working day), while open.
    next_review_on TEXT,
    last_contact_at TEXT,
    last_reviewed_on TEXT,
    closed_at TEXT,
    closure_reason TEXT,
    closure_note TEXT,
    -- At closure, the Ministry of Justice's two outcome questions: better able to cope with the
    -- immediate impact of the crime, and on the way to recovering (yes | no | not_asked).
    cope TEXT,
    recover TEXT,
    updated_at TEXT NOT NULL
);
-- An agency's caseload and a caseworker's, each read in the order of the review due (then id),
-- the filters answered from the index as it is read, so a page of 200 stops after 200.
CREATE INDEX cases_agency_caseload ON cases (agency_id, next_review_on, id, status, caseworker_id, risk_level);
CREATE INDEX cases_caseworker_caseload ON cases (caseworker_id, agency_id, next_review_on, id, status, risk_level);
CREATE INDEX cases_person ON cases (person_id);

-- Notes on a case. A note is never deleted inside the retention period; an edit keeps the text
-- it replaced in case_note_versions.
CREATE TABLE case_notes (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    -- Only the author and their agency's managers may read a restricted note.
    restricted INTEGER NOT NULL CHECK (restricted IN (0, 1)),
    -- The day it happened, which may be before the day it was written.
    happened_on TEXT NOT NULL,
    author_id TEXT REFERENCES users (id),
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    written_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    edited_at TEXT,
    edited_by TEXT REFERENCES users (id)
);
CREATE INDEX case_notes_case ON case_notes (case_id, happened_on);

CREATE TABLE case_note_versions (
    note_id TEXT NOT NULL REFERENCES case_notes (id),
    version BIGINT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    restricted INTEGER NOT NULL CHECK (restricted IN (0, 1)),
    happened_on TEXT NOT NULL,
    -- Who wrote this version, and when.
    written_by TEXT REFERENCES users (id),
    written_at TEXT NOT NULL,
    PRIMARY KEY (note_id, version)
);

-- What happened to a case: opened, allocated, paused, resumed, reviewed, closed, reopened.
CREATE TABLE case_events (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    what TEXT NOT NULL,
    detail TEXT,
    by_user TEXT REFERENCES users (id),
    at TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, at);

-- Outcome tools, as loaded (the shipped demonstration one is used until one is).
CREATE TABLE outcome_tools (
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    definition TEXT NOT NULL,
    active INTEGER NOT NULL CHECK (active IN (0, 1)),
    imported_at TEXT NOT NULL,
    PRIMARY KEY (id, version)
);

-- Readings with an outcome tool: at the start, at reviews, at exit. The scores are a JSON
-- object of area id to score, under the tool and version named.
CREATE TABLE case_readings (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    tool_id TEXT NOT NULL,
    tool_version BIGINT NOT NULL,
    kind TEXT NOT NULL,
    scores TEXT NOT NULL,
    taken_on TEXT NOT NULL,
    by_user TEXT REFERENCES users (id),
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX case_readings_case ON case_readings (case_id, taken_on);

-- The Victims' Code rights recorded on a case: which (1 to 12), explained or offered, the day,
-- and by whom. Kept as history: a right may be explained again.
CREATE TABLE case_rights (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    right_number BIGINT NOT NULL,
    action TEXT NOT NULL,
    on_day TEXT NOT NULL,
    by_user TEXT REFERENCES users (id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX case_rights_case ON case_rights (case_id, right_number);
