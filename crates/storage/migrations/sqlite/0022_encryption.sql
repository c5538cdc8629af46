-- Encryption at rest (SQLite dialect; migrations/postgres holds the same).
--
-- The data keys that seal the most sensitive fields, one per table (see storage's `sealed`).
-- Each is stored wrapped: encrypted with the key-encryption key, which is never in the
-- database. A sealed value names its data key's id.
CREATE TABLE data_keys (
    id TEXT PRIMARY KEY,
    -- The table whose fields it seals.
    purpose TEXT NOT NULL UNIQUE,
    -- The key, encrypted with the key-encryption key (AES-256-GCM; nonce and ciphertext, base64).
    wrapped TEXT NOT NULL,
    -- Which key-encryption key wrapped it: a fingerprint, not the key.
    wrapped_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    rewrapped_at TEXT
);

-- The sealed fields ("table.column") whose every value has been sealed: each start seals what a
-- field not listed still holds in plain text, then lists it, and skips the fields listed (every
-- write to them seals), so a start does not read every table.
CREATE TABLE sealed_fields (
    field TEXT PRIMARY KEY,
    sealed_at TEXT NOT NULL
);
