-- Person recognition (harbour_domain::linkage): the trained models, the partnership's settings,
-- each referral's record of the person by its blocking keys, the matches intake found and the
-- hub's decisions on them, and merges of two people into one, each undoable.

-- Every model trained, kept; intake uses the newest. The model is JSON (m and u of every
-- field's levels, the prior, how common each name and postcode is).
CREATE TABLE recognition_models (
    version BIGINT PRIMARY KEY,
    trained_at TEXT NOT NULL,
    trained_by TEXT REFERENCES users (id),
    records BIGINT NOT NULL,
    model TEXT NOT NULL,
    -- What training found, JSON: pairs compared, iterations, the prior, for the settings page.
    summary TEXT NOT NULL
);

-- One row: where a match probability links a referral to a known person and where it asks the
-- hub, and which version of the blocking keys referral_blocks holds.
CREATE TABLE recognition_settings (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    link_threshold DOUBLE PRECISION NOT NULL,
    possible_threshold DOUBLE PRECISION NOT NULL,
    keys_version BIGINT NOT NULL,
    updated_by TEXT REFERENCES users (id),
    updated_at TEXT NOT NULL
);

-- Each referral's record of the person under each blocking rule: intake finds the referrals
-- that share a key with a new one, and compares the new person with the people they are about.
CREATE TABLE referral_blocks (
    block_key BIGINT NOT NULL,
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    PRIMARY KEY (block_key, referral_id)
);
CREATE INDEX referral_blocks_referral ON referral_blocks (referral_id);
-- The version of the keys a referral has in referral_blocks; NULL until Harbour has made them
-- (referrals stored before recognition, or loaded in bulk, get theirs when Harbour starts).
ALTER TABLE referrals ADD COLUMN block_keys BIGINT;
CREATE INDEX referrals_without_block_keys ON referrals (id) WHERE block_keys IS NULL;

-- What recognition found for a referral: linked to a known person at once, or a possible match
-- waiting for the hub, then judged the same person or different people.
CREATE TABLE person_matches (
    id TEXT PRIMARY KEY,
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    -- Whom the referral was about when the match was found.
    person_id TEXT NOT NULL REFERENCES persons (id),
    -- The known person it was compared with, and their record that agreed best.
    candidate_id TEXT NOT NULL REFERENCES persons (id),
    candidate_referral_id TEXT NOT NULL REFERENCES referrals (id),
    probability DOUBLE PRECISION NOT NULL,
    -- Each field's level of agreement and weight, JSON, for the waterfall.
    explanation TEXT NOT NULL,
    model_version BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('linked', 'possible', 'same', 'different')),
    decided_by TEXT REFERENCES users (id),
    decided_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX person_matches_open ON person_matches (created_at, id) WHERE state = 'possible';
CREATE INDEX person_matches_referral ON person_matches (referral_id);
CREATE INDEX person_matches_person ON person_matches (person_id, candidate_id);
CREATE INDEX person_matches_candidate ON person_matches (candidate_id, person_id);

-- Two people found to be one: everything of the merged person's moved to the kept one, with a
-- list of what moved so unmerging puts it back exactly.
ALTER TABLE persons ADD COLUMN merged_into TEXT REFERENCES persons (id);
CREATE INDEX persons_merged_into ON persons (merged_into) WHERE merged_into IS NOT NULL;
CREATE TABLE person_merges (
    id TEXT PRIMARY KEY,
    kept_id TEXT NOT NULL REFERENCES persons (id),
    merged_id TEXT NOT NULL REFERENCES persons (id),
    match_id TEXT REFERENCES person_matches (id),
    -- JSON: each moved row by table, with anything else the merge changed in it.
    moved TEXT NOT NULL,
    reason TEXT NOT NULL,
    merged_by TEXT NOT NULL REFERENCES users (id),
    merged_at TEXT NOT NULL,
    undone_by TEXT REFERENCES users (id),
    undone_at TEXT,
    undo_reason TEXT
);
CREATE INDEX person_merges_kept ON person_merges (kept_id, merged_at);
CREATE INDEX person_merges_merged ON person_merges (merged_id, merged_at);
