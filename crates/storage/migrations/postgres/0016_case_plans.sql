-- A case's support plan, safety plan and risk over time (PostgreSQL dialect; migrations/sqlite
-- holds the same).

-- Goals in the person's own words, each about one or more categories of need (slugs, comma
-- separated), with how far they have got. A goal is never deleted: one no longer wanted is
-- marked so.
CREATE TABLE case_goals (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    goal TEXT NOT NULL,
    needs TEXT NOT NULL,
    -- not_started | under_way | achieved | no_longer_needed
    progress TEXT NOT NULL,
    progress_note TEXT,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT REFERENCES users (id),
    updated_at TEXT NOT NULL,
    updated_by TEXT REFERENCES users (id)
);
CREATE INDEX case_goals_case ON case_goals (case_id, created_at);

-- What will be done towards a goal, who does it, by when, and when it was done.
CREATE TABLE case_goal_actions (
    id TEXT PRIMARY KEY,
    goal_id TEXT NOT NULL REFERENCES case_goals (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    action TEXT NOT NULL,
    who TEXT NOT NULL,
    due_on TEXT NOT NULL,
    done_on TEXT,
    done_by TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    created_by TEXT REFERENCES users (id)
);
CREATE INDEX case_goal_actions_case ON case_goal_actions (case_id, due_on);

-- The safety plan: its sections as a JSON object of section id to text. Every saved version is
-- kept in case_safety_plan_versions; a save against an older version is refused.
CREATE TABLE case_safety_plans (
    case_id TEXT PRIMARY KEY REFERENCES cases (id),
    sections TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT REFERENCES users (id)
);

CREATE TABLE case_safety_plan_versions (
    case_id TEXT NOT NULL REFERENCES cases (id),
    version BIGINT NOT NULL,
    sections TEXT NOT NULL,
    written_by TEXT REFERENCES users (id),
    written_at TEXT NOT NULL,
    PRIMARY KEY (case_id, version)
);

-- The risk instrument completed again during the case (at a review, or when something
-- changes): the answers, the score, the level the bands gave and the level decided, by whom.
CREATE TABLE case_risk_assessments (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    instrument_id TEXT NOT NULL,
    instrument_version BIGINT NOT NULL,
    answers TEXT NOT NULL,
    score BIGINT NOT NULL,
    scored_level TEXT NOT NULL,
    risk_level TEXT NOT NULL,
    judgement_reason TEXT,
    previous_level TEXT,
    by_user TEXT REFERENCES users (id),
    assessed_at TEXT NOT NULL
);
CREATE INDEX case_risk_assessments_case ON case_risk_assessments (case_id, assessed_at);

-- A referral on sent by a service to hand its case over (a transfer): when the new service
-- accepts, the case it came from closes as transferred.
ALTER TABLE onward_referrals ADD COLUMN from_case_id TEXT REFERENCES cases (id);

-- Information, advice and guidance the hub gave on a referral, and where it signposted the
-- person: the light outcome most contacts have, counted in reports. What was given is a list of
-- slugs, comma separated; the places signposted a JSON array.
CREATE TABLE referral_advice (
    id TEXT PRIMARY KEY,
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    person_id TEXT NOT NULL REFERENCES persons (id),
    given TEXT NOT NULL,
    signposted TEXT NOT NULL,
    how TEXT NOT NULL,
    note TEXT,
    closed_referral BOOLEAN NOT NULL,
    by_user TEXT REFERENCES users (id),
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    given_at TEXT NOT NULL
);
CREATE INDEX referral_advice_referral ON referral_advice (referral_id, given_at);
CREATE INDEX referral_advice_person ON referral_advice (person_id);
