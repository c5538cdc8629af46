//! Bringing a database up to date: the migrations, then what the code itself defines or can
//! work out. Above the features (it calls into them), so the connection layer (`db`) does not.

use crate::db::Db;
use crate::error::Result;

/// Migrates the database and prepares it for this version of Harbour: the schema, the audit
/// log's append-only triggers (put back if someone dropped them), Harbour's own directory
/// taxonomies, match keys for people stored before there were any, and the reports' facts for
/// referrals without them. Safe to run at every
/// start; `harbour serve` and `harbour migrate` do.
pub async fn prepare(db: &Db) -> Result<()> {
    db.run_migrations().await?;
    crate::audit_guard::restore_triggers(db).await?;
    crate::sealed::unlock(db).await?;
    let mut tx = db.begin_write().await?;
    crate::directory::taxonomy::ensure_harbour_taxonomies(&mut tx).await?;
    tx.commit().await?;
    let keyed = crate::person_keys::fill_missing(db).await?;
    if keyed > 0 {
        tracing::info!(
            people = keyed,
            "worked out match keys for people stored before there were any"
        );
    }
    let blocked = crate::recognition::keys::fill_missing(db).await?;
    if blocked > 0 {
        tracing::info!(
            referrals = blocked,
            "made person-recognition blocking keys for referrals stored without them"
        );
    }
    let counted = crate::reports::facts::fill_missing(db).await?;
    if counted > 0 {
        tracing::info!(
            referrals = counted,
            "worked out the reports' facts for referrals stored without them"
        );
    }
    if crate::reports::summary::fill_if_missing(db).await? {
        tracing::info!("summed the reports' facts, stored before there were sums");
    }
    Ok(())
}
