-- MARAC: the conference for the highest-risk domestic-abuse cases (SQLite dialect;
-- migrations/postgres holds the same).

-- A MARAC for an area or group of areas (data, set by the demo or an administrator), the agencies
-- that attend it, and the posts that carry its work (for the capacity figures).
CREATE TABLE maracs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- GSS codes of the areas it covers, comma separated.
    areas TEXT NOT NULL,
    coordinator_id TEXT REFERENCES users (id),
    -- Cases a meeting can hear, unless a meeting says otherwise.
    capacity BIGINT NOT NULL,
    idva_posts BIGINT NOT NULL,
    coordinator_posts BIGINT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE marac_members (
    marac_id TEXT NOT NULL REFERENCES maracs (id),
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    PRIMARY KEY (marac_id, agency_id)
);
CREATE INDEX marac_members_agency ON marac_members (agency_id);

CREATE TABLE marac_meetings (
    id TEXT PRIMARY KEY,
    marac_id TEXT NOT NULL REFERENCES maracs (id),
    held_on TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    place TEXT,
    video_link TEXT,
    chair TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    -- scheduled | held | cancelled
    status TEXT NOT NULL,
    -- The legal basis for sharing at the meeting, recorded once; a case records its own where
    -- it differs.
    legal_basis TEXT,
    summary TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT REFERENCES users (id)
);
CREATE INDEX marac_meetings_marac ON marac_meetings (marac_id, held_on);

-- The agencies expected at a meeting, and (once held) whether each attended.
CREATE TABLE marac_attendance (
    meeting_id TEXT NOT NULL REFERENCES marac_meetings (id),
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    attended INTEGER CHECK (attended IN (0, 1)),
    PRIMARY KEY (meeting_id, agency_id)
);

-- A case referred to a MARAC. The victim is a person (recognised like any other); what the
-- referral form adds is kept here: who referred, the criteria, consent, who the victim fears and
-- who is safe to talk to, perpetrators and children (JSON), and the diversity monitoring the
-- national return counts (null: not known).
CREATE TABLE marac_cases (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    marac_id TEXT NOT NULL REFERENCES maracs (id),
    meeting_id TEXT REFERENCES marac_meetings (id),
    person_id TEXT NOT NULL REFERENCES persons (id),
    referral_id TEXT REFERENCES referrals (id),
    referring_agency_id TEXT NOT NULL REFERENCES agencies (id),
    referring_officer TEXT NOT NULL,
    referred_by TEXT REFERENCES users (id),
    referred_at TEXT NOT NULL,
    criteria TEXT NOT NULL,
    judgement_reason TEXT,
    victim_aware INTEGER NOT NULL CHECK (victim_aware IN (0, 1)),
    victim_consented INTEGER NOT NULL CHECK (victim_consented IN (0, 1)),
    no_consent_reason TEXT,
    afraid_of TEXT NOT NULL,
    safe_to_talk TEXT NOT NULL,
    unsafe_to_talk TEXT NOT NULL,
    previous_maracs TEXT NOT NULL,
    perpetrators TEXT NOT NULL,
    children TEXT NOT NULL,
    victim_minoritised INTEGER CHECK (victim_minoritised IN (0, 1)),
    victim_lgbt INTEGER CHECK (victim_lgbt IN (0, 1)),
    victim_disabled INTEGER CHECK (victim_disabled IN (0, 1)),
    repeat_of TEXT REFERENCES marac_cases (id),
    idva_onward_id TEXT REFERENCES onward_referrals (id),
    risks TEXT,
    -- listed | heard | closed
    status TEXT NOT NULL,
    closed_at TEXT,
    closed_by TEXT REFERENCES users (id),
    closure_note TEXT
);
CREATE INDEX marac_cases_meeting ON marac_cases (meeting_id, referred_at);
CREATE INDEX marac_cases_marac ON marac_cases (marac_id, referred_at);
CREATE INDEX marac_cases_person ON marac_cases (person_id, referred_at);

-- Each attending agency's research on a case before the meeting: its own document, facts kept
-- apart from opinion, and what it will not share and why.
CREATE TABLE marac_research (
    case_id TEXT NOT NULL REFERENCES marac_cases (id),
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    facts TEXT NOT NULL,
    opinion TEXT NOT NULL,
    withheld TEXT NOT NULL,
    completed_at TEXT,
    version BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT REFERENCES users (id),
    PRIMARY KEY (case_id, agency_id)
);

-- What each agency shared about a case at the meeting.
CREATE TABLE marac_shared (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES marac_cases (id),
    meeting_id TEXT NOT NULL REFERENCES marac_meetings (id),
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    information TEXT NOT NULL,
    legal_basis TEXT,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT REFERENCES users (id)
);
CREATE INDEX marac_shared_case ON marac_shared (case_id, recorded_at);

-- The actions agreed: what, which agency owns it, by when, and how it ended.
CREATE TABLE marac_actions (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES marac_cases (id),
    meeting_id TEXT NOT NULL REFERENCES marac_meetings (id),
    what TEXT NOT NULL,
    owner_agency_id TEXT NOT NULL REFERENCES agencies (id),
    due_on TEXT NOT NULL,
    -- open | done | not_possible
    status TEXT NOT NULL,
    update_note TEXT,
    updated_at TEXT,
    updated_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    -- When the owner agency was chased for it, once overdue.
    chased_at TEXT
);
CREATE INDEX marac_actions_owner ON marac_actions (owner_agency_id, status, due_on);
CREATE INDEX marac_actions_case ON marac_actions (case_id, due_on);
