//! Keeping the audit trail honest between checks: the append-only triggers put back at every
//! start, signed checkpoints of the head, and the check of the chain's tail when Harbour starts.

use crate::audit::{Verification, entry_from_row, verify_entries_after};
use crate::db::{Backend, Db, now};
use crate::error::{Result, StorageError};
use ed25519_dalek::{SigningKey, VerifyingKey};
use harbour_domain::audit_checkpoint::{self, Checkpoint};
use sqlx::Row;

/// Puts back the triggers that make the log append-only, in case someone dropped them (they
/// are the first thing to go when someone means to rewrite it). Run at every start.
pub(crate) async fn restore_triggers(db: &Db) -> Result<()> {
    let sql = match db.backend() {
        Backend::Sqlite => &format!(
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END; {}",
            crate::audit_prune::SQLITE_NO_DELETE
        ),
        Backend::Postgres => {
            "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$; \
             CREATE OR REPLACE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION audit_log_append_only(); \
             CREATE OR REPLACE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();"
        }
    };
    sqlx::raw_sql(sql).execute(db.pool()).await?;
    Ok(())
}

/// The newest checkpoint Harbour made, if any.
async fn last_checkpoint(db: &Db) -> Result<Option<(i64, String)>> {
    let row = sqlx::query("SELECT seq, hash FROM audit_checkpoints ORDER BY seq DESC LIMIT 1")
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| Ok((r.try_get("seq")?, r.try_get("hash")?)))
        .transpose()
}

/// Checks the chain from the last checkpoint to the head (or from the start, if there is none
/// yet), and that the log still holds the checkpoint's entry: what Harbour does as it starts.
pub async fn check_tail(db: &Db) -> Result<Verification> {
    let start = last_checkpoint(db).await?;
    if let Some((seq, hash)) = &start {
        let entry = entry_at(db, *seq).await?;
        if let Err(b) = audit_checkpoint::holds((*seq, hash), entry.as_ref()) {
            return Ok(Verification::Broken(b));
        }
    }
    verify_entries_after(db, start).await
}

async fn entry_at(db: &Db, seq: i64) -> Result<Option<harbour_domain::audit::AuditEntry>> {
    sqlx::query(&format!(
        "SELECT {} FROM audit_log WHERE seq = $1",
        crate::audit::entry_columns()
    ))
    .bind(seq)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(entry_from_row)
    .transpose()
}

/// Signs the head as it is now, having checked the chain up to it, and keeps a copy. Refused if
/// the chain is broken: a checkpoint vouches for what it signs.
pub async fn checkpoint(db: &Db, key: &SigningKey) -> Result<Checkpoint> {
    if let Verification::Broken(b) = check_tail(db).await? {
        return Err(StorageError::Corrupt(format!(
            "the audit trail is broken, so no checkpoint was made: {b}"
        )));
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(db.pool())
        .await?;
    let (seq, hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    let cp = Checkpoint::sign(seq, &hash, &now(), key);
    sqlx::query(
        "INSERT INTO audit_checkpoints (seq, hash, at, public_key, signature) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING",
    )
    .bind(cp.seq)
    .bind(&cp.hash)
    .bind(&cp.at)
    .bind(&cp.public_key)
    .bind(&cp.signature)
    .execute(db.pool())
    .await?;
    Ok(cp)
}

/// What checking the log against a checkpoint an auditor kept found.
#[derive(Debug, PartialEq, Eq)]
pub enum AgainstCheckpoint {
    /// The checkpoint is not one the trusted key signed as it stands.
    Untrusted(String),
    /// The retention schedule has since removed the entries up to a later checkpoint, from
    /// which the log now starts: check against a checkpoint at or after it.
    Pruned { kept_from: i64 },
    /// The whole chain, and that the log still holds the checkpoint's entry.
    Checked(Verification),
}

/// Checks the whole log, and that it still holds the entry `cp` recorded, with its hash: a log
/// cut back or rewritten behind the checkpoint is found even if its own chain and head agree.
pub async fn verify_against(
    db: &Db,
    cp: &Checkpoint,
    trusted: &VerifyingKey,
) -> Result<AgainstCheckpoint> {
    if let Err(e) = cp.verify_signature(trusted) {
        return Ok(AgainstCheckpoint::Untrusted(e.to_string()));
    }
    let mut conn = db.pool().acquire().await?;
    if let Ok(Some((kept_from, _))) = crate::audit_prune::anchor(&mut conn).await?
        && cp.seq < kept_from
    {
        return Ok(AgainstCheckpoint::Pruned { kept_from });
    }
    drop(conn);
    if let Err(b) = cp.held_by(entry_at(db, cp.seq).await?.as_ref()) {
        return Ok(AgainstCheckpoint::Checked(Verification::Broken(b)));
    }
    Ok(AgainstCheckpoint::Checked(
        crate::audit::verify_log(db).await?,
    ))
}
