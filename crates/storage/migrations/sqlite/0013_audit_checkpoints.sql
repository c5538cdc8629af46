-- Signed checkpoints of the audit trail's head (`harbour audit checkpoint`). The auditor keeps
-- the signed file elsewhere; this copy tells Harbour, when it starts, how far back the chain was
-- last checkpointed, so it checks only the entries since.
CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY,
    hash TEXT NOT NULL,
    at TEXT NOT NULL,
    public_key TEXT NOT NULL,
    signature TEXT NOT NULL
);
