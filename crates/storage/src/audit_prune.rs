//! Removing the audit trail's oldest entries when its retention schedule says, without losing
//! the means to check the rest: entries go only from the start of the log up to a signed
//! checkpoint, whose entry is kept as the anchor. The chain is then checked from the anchor
//! (its number and hash, which the checkpoint signed) instead of from the beginning, and the
//! removal is recorded in `audit_prunes` and, like every erasure, in the trail itself.

use crate::audit::{entry_columns, entry_from_row};
use crate::db::{Backend, WriteTx, now};
use crate::error::{Result, StorageError};
use ed25519_dalek::VerifyingKey;
use harbour_domain::audit::ChainBreak;
use harbour_domain::audit_checkpoint::{self, Checkpoint};
use sqlx::{AnyConnection, Row};

/// The trigger that stops deletes from the log on SQLite (the one a prune lifts and puts back).
pub(crate) const SQLITE_NO_DELETE: &str = "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete \
     BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;";

/// The checkpoint stored with number `seq`, if its signature holds under its own key.
async fn signed_checkpoint(conn: &mut AnyConnection, seq: i64) -> Result<Option<Checkpoint>> {
    let row = sqlx::query(
        "SELECT seq, hash, at, public_key, signature FROM audit_checkpoints WHERE seq = $1",
    )
    .bind(seq)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let cp = Checkpoint {
        seq: row.try_get("seq")?,
        hash: row.try_get("hash")?,
        at: row.try_get("at")?,
        public_key: row.try_get("public_key")?,
        signature: row.try_get("signature")?,
    };
    let key = audit_checkpoint::verifying_key(&cp.public_key).ok();
    let signed = key
        .as_ref()
        .is_some_and(|k: &VerifyingKey| cp.verify_signature(k).is_ok());
    Ok(signed.then_some(cp))
}

/// Whether the log holds entry `seq` with `hash`.
async fn log_holds(conn: &mut AnyConnection, seq: i64, hash: &str) -> Result<bool> {
    let sql = format!("SELECT {} FROM audit_log WHERE seq = $1", entry_columns());
    let row = sqlx::query(&sql)
        .bind(seq)
        .fetch_optional(&mut *conn)
        .await?;
    let entry = row.as_ref().map(entry_from_row).transpose()?;
    Ok(audit_checkpoint::holds((seq, hash), entry.as_ref()).is_ok())
}

/// Where the log now starts, if it was ever pruned: the anchor's number and hash, checked
/// against its signed checkpoint and the entry the log holds. A broken anchor is a broken chain.
pub(crate) async fn anchor(
    conn: &mut AnyConnection,
) -> Result<std::result::Result<Option<(i64, String)>, ChainBreak>> {
    let row: Option<(i64, String)> = sqlx::query_as(
        "SELECT checkpoint_seq, checkpoint_hash FROM audit_prunes ORDER BY checkpoint_seq DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some((seq, hash)) = row else {
        return Ok(Ok(None));
    };
    let signed = signed_checkpoint(conn, seq)
        .await?
        .is_some_and(|cp| cp.hash == hash);
    if !signed || !log_holds(conn, seq, &hash).await? {
        return Ok(Err(ChainBreak::RewrittenBehindCheckpoint { seq }));
    }
    Ok(Ok(Some((seq, hash))))
}

/// What could be removed for entries made before `before` (a day, `YYYY-MM-DD`): the newest
/// signed checkpoint whose entry is older than that, and how many entries come before it.
pub(crate) async fn prunable(conn: &mut AnyConnection, before: &str) -> Result<Option<(i64, u64)>> {
    let candidates: Vec<i64> = sqlx::query_scalar(
        "SELECT c.seq FROM audit_checkpoints c JOIN audit_log l ON l.seq = c.seq \
         WHERE l.at < $1 ORDER BY c.seq DESC LIMIT 5",
    )
    .bind(before)
    .fetch_all(&mut *conn)
    .await?;
    for seq in candidates {
        let Some(cp) = signed_checkpoint(conn, seq).await? else {
            continue;
        };
        if !log_holds(conn, cp.seq, &cp.hash).await? {
            continue;
        }
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE seq < $1")
            .bind(seq)
            .fetch_one(&mut *conn)
            .await?;
        return Ok((n > 0).then_some((seq, u64::try_from(n).unwrap_or(0))));
    }
    Ok(None)
}

/// Removes every entry before the signed checkpoint `seq`, in `tx`, lifting the append-only
/// trigger for this transaction alone; records the new anchor. Returns how many went.
pub(crate) async fn prune_before(tx: &mut WriteTx, seq: i64) -> Result<u64> {
    let cp = signed_checkpoint(tx.conn(), seq)
        .await?
        .ok_or_else(|| StorageError::Corrupt(format!("no signed checkpoint at entry {seq}")))?;
    if !log_holds(tx.conn(), cp.seq, &cp.hash).await? {
        return Err(StorageError::Corrupt(format!(
            "the log does not hold entry {seq} as its checkpoint signed it"
        )));
    }
    let (lift, restore) = match tx.backend() {
        Backend::Sqlite => (
            "DROP TRIGGER IF EXISTS audit_log_no_delete",
            SQLITE_NO_DELETE,
        ),
        // Transactional in PostgreSQL: other transactions never see the trigger off.
        Backend::Postgres => (
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_delete",
            "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_delete",
        ),
    };
    sqlx::query(lift).execute(tx.conn()).await?;
    let removed = sqlx::query("DELETE FROM audit_log WHERE seq < $1")
        .bind(seq)
        .execute(tx.conn())
        .await?
        .rows_affected();
    sqlx::query(restore).execute(tx.conn()).await?;
    sqlx::query(
        "INSERT INTO audit_prunes (checkpoint_seq, checkpoint_hash, removed, at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (checkpoint_seq) DO NOTHING",
    )
    .bind(seq)
    .bind(&cp.hash)
    .bind(i64::try_from(removed).unwrap_or(i64::MAX))
    .bind(now())
    .execute(tx.conn())
    .await?;
    Ok(removed)
}
