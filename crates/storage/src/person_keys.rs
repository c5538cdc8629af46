//! People's match keys (see `harbour_domain::person_match`), by which intake finds the people
//! already stored. Intake writes a person's key with the person; people stored before keys
//! existed get theirs here, when Harbour starts.

use crate::audit;
use crate::db::{Db, Statement, new_id, to_json, update_json_rows_from};
use crate::error::{Result, StorageError};
use chrono::NaiveDate;
use harbour_domain::audit::{AuditAction, AuditEvent};
use harbour_domain::person_match::match_key;
use serde::Serialize;
use sqlx::Row;

/// People keyed in one transaction.
const BATCH: i64 = 1_000;

#[derive(Serialize)]
struct Keyed {
    id: String,
    match_key: String,
}

/// Gives every person with a date of birth and no match key their key, a batch at a time, with
/// an audit entry for each person. Returns how many were keyed. Once everyone has a key,
/// as after the first start, this is one index probe that finds no one.
pub(crate) async fn fill_missing(db: &Db) -> Result<u64> {
    static SET_KEYS: Statement = Statement::new(|backend| {
        update_json_rows_from(
            backend,
            "persons",
            &[("id", "text"), ("match_key", "text")],
            1,
        )
    });
    let mut filled = 0;
    loop {
        let mut tx = db.begin_write().await?;
        let rows = sqlx::query(
            "SELECT id, given_name, family_name, date_of_birth FROM persons \
             WHERE match_key IS NULL AND date_of_birth IS NOT NULL ORDER BY id LIMIT $1",
        )
        .bind(BATCH)
        .fetch_all(tx.conn())
        .await?;
        if rows.is_empty() {
            return Ok(filled);
        }
        let keyed = rows
            .iter()
            .map(|r| {
                let born: String = r.try_get("date_of_birth")?;
                // The value is personal data: the error does not repeat it.
                let born: NaiveDate = born.parse().map_err(|_| {
                    StorageError::Corrupt("a person's date of birth is not a date".into())
                })?;
                Ok(Keyed {
                    id: r.try_get("id")?,
                    match_key: match_key(
                        &r.try_get::<String, _>("given_name")?,
                        &r.try_get::<String, _>("family_name")?,
                        born,
                    ),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        sqlx::query(SET_KEYS.text(tx.backend()))
            .bind(to_json(&keyed)?)
            .execute(tx.conn())
            .await?;
        let request_id = new_id();
        let events: Vec<AuditEvent> = keyed
            .iter()
            .map(|k| AuditEvent {
                actor_user_id: None,
                actor_agency_id: None,
                action: AuditAction::Change,
                entity_kind: "person".into(),
                entity_id: Some(k.id.clone()),
                purpose: "match key for a person stored before Harbour kept them".into(),
                request_id: request_id.clone(),
            })
            .collect();
        audit::append_all(&mut tx, &events).await?;
        tx.commit().await?;
        filled += keyed.len() as u64;
    }
}
