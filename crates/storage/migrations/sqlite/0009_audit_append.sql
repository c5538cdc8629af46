-- Nothing on SQLite. On PostgreSQL this migration lets the database chain audit entries itself;
-- SQLite has no SHA-256, so Harbour chains them there (storage/src/audit.rs). The number is
-- kept so that both dialects' migrations stay in step.
SELECT 1;
