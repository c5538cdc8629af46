//! Definitions loaded as data (risk instruments, outcome tools): each a versioned TOML text in
//! its own table, the newest loaded being the one in use; earlier versions kept, since records
//! name the version they were made with.

use crate::db::{Db, Flag, now};
use crate::error::{Result, StorageError};

/// The tables that hold definitions.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Instrument,
    OutcomeTool,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Instrument => "instruments",
            Kind::OutcomeTool => "outcome_tools",
        }
    }
}

/// The text of the definition in use: the newest active one, if any was loaded.
pub(crate) async fn active(db: &Db, kind: Kind) -> Result<Option<String>> {
    let rows: Vec<(String, Flag)> = sqlx::query_as(&format!(
        "SELECT definition, active FROM {} ORDER BY imported_at DESC, version DESC",
        kind.table()
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .find(|(_, active)| active.0)
        .map(|(definition, _)| definition))
}

/// The text of one version of a definition, if it was loaded.
pub(crate) async fn version(db: &Db, kind: Kind, id: &str, version: i64) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT definition FROM {} WHERE id = $1 AND version = $2",
        kind.table()
    ))
    .bind(id)
    .bind(version)
    .fetch_optional(db.pool())
    .await?)
}

/// Stores a checked definition and makes it the one in use. A version already loaded is refused
/// with what to do, as an error on the `file` field.
pub(crate) async fn load(
    db: &Db,
    kind: Kind,
    id: &str,
    version: u32,
    title: &str,
    text: &str,
) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query(&format!("UPDATE {} SET active = $1", kind.table()))
        .bind(false)
        .execute(tx.conn())
        .await?;
    let inserted = sqlx::query(&format!(
        "INSERT INTO {} (id, version, title, definition, active, imported_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        kind.table()
    ))
    .bind(id)
    .bind(i64::from(version))
    .bind(title)
    .bind(text)
    .bind(true)
    .bind(now())
    .execute(tx.conn())
    .await;
    if let Err(e) = inserted {
        let e = StorageError::from(e);
        return Err(if e.is_unique_violation() {
            StorageError::invalid(
                "file",
                &format!(
                    "{id} version {version} is already loaded; give the new one a higher version"
                ),
            )
        } else {
            e
        });
    }
    tx.commit().await?;
    Ok(())
}
