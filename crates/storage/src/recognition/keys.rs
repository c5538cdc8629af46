//! Each referral's blocking keys (`harbour_domain::linkage::known::keys`), by which intake finds
//! the earlier referrals a new one should be compared with. Intake writes a referral's keys with
//! it; referrals stored before recognition existed, or loaded in bulk, get theirs here when
//! Harbour starts, as does every referral when the keys' version changes.

use super::model::prepare;
use crate::audit;
use crate::db::{Backend, Db, Statement, insert_json_rows, now, to_json};
use crate::error::Result;
use crate::intake::in_json_array;
use crate::referrals::from_json;
use harbour_domain::audit::AuditAction;
use harbour_domain::linkage::block::KEYS_VERSION;
use harbour_domain::linkage::known::{Thresholds, keys};
use harbour_domain::linkage::perpetrator;
use harbour_domain::referral::Perpetrator;
use serde::Serialize;

/// Referrals keyed in one transaction.
const BATCH: i64 = 2_000;

/// A row of `referral_blocks` as the INSERT reads it.
#[derive(Serialize)]
pub(crate) struct BlockRow {
    pub(crate) block_key: i64,
    pub(crate) referral_id: String,
}

pub(crate) const BLOCK_COLUMNS: [(&str, &str); 2] =
    [("block_key", "bigint"), ("referral_id", "text")];

static WRITE_BLOCKS: Statement =
    Statement::new(|backend| insert_json_rows(backend, "referral_blocks", &BLOCK_COLUMNS));

static MARK_KEYED: Statement = Statement::new(|backend| {
    format!(
        "UPDATE referrals SET block_keys = $1 WHERE {}",
        in_json_array(backend, "id", 2)
    )
});

#[derive(sqlx::FromRow)]
struct Unkeyed {
    id: String,
    person_details: String,
    person_safe_contact: String,
    perpetrators: String,
    incident_date: Option<String>,
    received_at: String,
}

/// The year a referral's perpetrators' ages are counted from: the incident's, else received.
pub(crate) fn year_of(incident_date: Option<&str>, received_at: &str) -> i32 {
    incident_date
        .or(Some(received_at))
        .and_then(|d| d.get(..4))
        .and_then(|y| y.parse().ok())
        .unwrap_or(2000)
}

/// Makes the keys of every referral that has none (all of them, when the keys' version has
/// changed), a batch at a time, each batch with one audit entry. Returns how many referrals were
/// keyed; once all are, this is one index probe that finds none.
pub(crate) async fn fill_missing(db: &Db) -> Result<u64> {
    let stored: Option<i64> =
        sqlx::query_scalar("SELECT keys_version FROM recognition_settings WHERE id = 1")
            .fetch_optional(db.pool())
            .await?;
    if stored != Some(KEYS_VERSION) {
        let mut tx = db.begin_write().await?;
        sqlx::query("DELETE FROM referral_blocks")
            .execute(tx.conn())
            .await?;
        sqlx::query("UPDATE referrals SET block_keys = NULL WHERE block_keys IS NOT NULL")
            .execute(tx.conn())
            .await?;
        let defaults = Thresholds::default();
        sqlx::query(
            "INSERT INTO recognition_settings \
             (id, link_threshold, possible_threshold, keys_version, updated_at) \
             VALUES (1, $1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET keys_version = excluded.keys_version",
        )
        .bind(defaults.link)
        .bind(defaults.possible)
        .bind(KEYS_VERSION)
        .bind(now())
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
    }
    let mut filled = 0;
    loop {
        let mut tx = db.begin_write().await?;
        let rows: Vec<Unkeyed> = sqlx::query_as(
            "SELECT id, person_details, person_safe_contact, perpetrators, incident_date, \
             received_at FROM referrals WHERE block_keys IS NULL ORDER BY id LIMIT $1",
        )
        .bind(BATCH)
        .fetch_all(tx.conn())
        .await?;
        if rows.is_empty() {
            return Ok(filled);
        }
        let mut blocks = Vec::new();
        for r in &rows {
            let record = prepare(&r.person_details, &r.person_safe_contact)?;
            let named: Vec<Perpetrator> = from_json(&r.perpetrators)?;
            let year = year_of(r.incident_date.as_deref(), &r.received_at);
            blocks.extend(
                keys(&record)
                    .into_iter()
                    .chain(perpetrator::keys_of(&named, year))
                    .map(|block_key| BlockRow {
                        block_key,
                        referral_id: r.id.clone(),
                    }),
            );
        }
        let backend = tx.backend();
        if !blocks.is_empty() {
            sqlx::query(WRITE_BLOCKS.text(backend))
                .bind(to_json(&blocks)?)
                .execute(tx.conn())
                .await?;
        }
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        sqlx::query(MARK_KEYED.text(backend))
            .bind(KEYS_VERSION)
            .bind(to_json(&ids)?)
            .execute(tx.conn())
            .await?;
        audit::append(
            &mut tx,
            &audit::event(
                None,
                AuditAction::Change,
                "referral blocking keys",
                None,
                format!(
                    "blocking keys for person recognition, {} referrals stored without them",
                    rows.len()
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        filled += rows.len() as u64;
    }
}

/// The backend's statement that writes blocking keys from one JSON array parameter.
pub(crate) fn write_blocks_statement(backend: Backend) -> &'static str {
    WRITE_BLOCKS.text(backend)
}
