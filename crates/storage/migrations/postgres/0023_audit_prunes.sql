-- Pruning the audit trail (PostgreSQL dialect; migrations/sqlite holds the same).
--
-- Each time the retention schedule removed the trail's oldest entries: up to a signed
-- checkpoint, whose entry is kept and from which the chain is checked since.
CREATE TABLE audit_prunes (
    -- The first entry kept: a signed checkpoint's, with the hash it signed.
    checkpoint_seq BIGINT PRIMARY KEY,
    checkpoint_hash TEXT NOT NULL,
    -- How many entries before it went.
    removed BIGINT NOT NULL,
    at TEXT NOT NULL
);
