//! The trained models, versioned, and the thresholds: what intake recognises people with.

use crate::audit;
use crate::db::{Db, Stamp, now, to_json};
use crate::error::{Result, StorageError};
use crate::referrals::from_json;
use harbour_domain::audit::AuditAction;
use harbour_domain::linkage::known::{Thresholds, record_of};
use harbour_domain::linkage::train::{Settings, train as train_model};
use harbour_domain::linkage::{Model, Prepared};
use harbour_domain::referral::Person;
use harbour_domain::safe_contact::SafeContact;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, PoisonError};

/// Too few records to learn from: training asks for at least this many referrals.
pub const MIN_RECORDS: usize = 50;

/// What intake recognises people with: the newest model and the thresholds now set.
#[derive(Clone)]
pub struct Recogniser {
    pub version: i64,
    pub model: Arc<Model>,
    pub thresholds: Thresholds,
}

/// The newest model, once read, kept by whoever asked (the intake writer keeps its own).
#[derive(Default)]
struct Kept(Mutex<Option<(i64, Arc<Model>)>>);

#[derive(sqlx::FromRow)]
struct Current {
    version: Option<i64>,
    link_threshold: Option<f64>,
    possible_threshold: Option<f64>,
}

/// The newest model and the thresholds, or none before a model has been trained (intake then
/// links only on an exact match of names and date of birth). One small read each time, so a
/// model trained by another process or a threshold just changed is used at once; the model
/// itself is read again only when a newer one appears.
pub async fn recogniser(db: &Db) -> Result<Option<Recogniser>> {
    let current: Current = sqlx::query_as(
        "SELECT m.version, s.link_threshold, s.possible_threshold \
         FROM (SELECT MAX(version) AS version FROM recognition_models) AS m \
         LEFT JOIN recognition_settings s ON s.id = 1",
    )
    .fetch_one(db.pool())
    .await?;
    let Some(version) = current.version else {
        return Ok(None);
    };
    let kept = db.owned::<Kept>();
    let held = kept
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let model = match held {
        Some((v, model)) if v == version => model,
        _ => {
            let text: String =
                sqlx::query_scalar("SELECT model FROM recognition_models WHERE version = $1")
                    .bind(version)
                    .fetch_one(db.pool())
                    .await?;
            let model: Arc<Model> = Arc::new(from_json(&text)?);
            *kept.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((version, model.clone()));
            model
        }
    };
    let defaults = Thresholds::default();
    Ok(Some(Recogniser {
        version,
        model,
        thresholds: Thresholds {
            link: current.link_threshold.unwrap_or(defaults.link),
            possible: current.possible_threshold.unwrap_or(defaults.possible),
        },
    }))
}

/// The thresholds now set (the defaults until someone sets them).
pub async fn thresholds(db: &Db) -> Result<Thresholds> {
    let row: Option<(f64, f64)> = sqlx::query_as(
        "SELECT link_threshold, possible_threshold FROM recognition_settings WHERE id = 1",
    )
    .fetch_optional(db.pool())
    .await?;
    Ok(
        row.map_or_else(Thresholds::default, |(link, possible)| Thresholds {
            link,
            possible,
        }),
    )
}

/// Sets the thresholds, audited. `by` is the administrator, or none from the command line.
pub async fn set_thresholds(db: &Db, t: Thresholds, by: Option<&str>) -> Result<()> {
    let t = t
        .check()
        .map_err(|e| StorageError::invalid("thresholds", e))?;
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO recognition_settings \
         (id, link_threshold, possible_threshold, keys_version, updated_by, updated_at) \
         VALUES (1, $1, $2, $3, $4, $5) \
         ON CONFLICT (id) DO UPDATE SET link_threshold = excluded.link_threshold, \
         possible_threshold = excluded.possible_threshold, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at",
    )
    .bind(t.link)
    .bind(t.possible)
    .bind(harbour_domain::linkage::block::KEYS_VERSION)
    .bind(by)
    .bind(now())
    .execute(tx.conn())
    .await?;
    audit::append(
        &mut tx,
        &audit::event(
            by,
            AuditAction::Change,
            "recognition settings",
            None,
            "set the person-recognition thresholds",
        ),
    )
    .await?;
    tx.commit().await
}

/// What training found, kept with the model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelSummary {
    pub records: u64,
    /// Pairs the blocking rules find among the records.
    pub blocked_pairs: u64,
    /// Random pairs u was estimated from.
    pub u_pairs: u64,
    /// The share of all pairs estimated to be the same person.
    pub prior: f64,
    pub seconds: f64,
}

/// A model as listed: its version, when it was trained and what training found.
#[derive(Debug, Clone)]
pub struct TrainReport {
    pub version: i64,
    pub trained_at: chrono::DateTime<chrono::Utc>,
    pub summary: ModelSummary,
}

#[derive(sqlx::FromRow)]
struct ReferredRow {
    person_details: String,
    person_safe_contact: String,
}

/// Every referral's record of the person, as the engine compares them.
pub(crate) fn prepare(details: &str, safe_contact: &str) -> Result<Prepared> {
    let person: Person = from_json(details)?;
    let safe: SafeContact = from_json(safe_contact)?;
    Ok(Prepared::new(&record_of(&person, &safe)))
}

/// Trains a new model on every referral's record of the person, without labels, and keeps it
/// as the next version; intake uses it from its next batch. `by` is who asked (none from the
/// command line or the demo). Refused with fewer than [`MIN_RECORDS`] referrals.
pub async fn train(db: &Db, by: Option<&str>) -> Result<TrainReport> {
    let started = std::time::Instant::now();
    let rows: Vec<ReferredRow> =
        sqlx::query_as("SELECT person_details, person_safe_contact FROM referrals ORDER BY id")
            .fetch_all(db.pool())
            .await?;
    if rows.len() < MIN_RECORDS {
        return Err(StorageError::invalid(
            "referrals",
            &format!(
                "there are {} referrals; a model needs at least {MIN_RECORDS} to learn from",
                rows.len()
            ),
        ));
    }
    let trained = tokio::task::spawn_blocking(move || -> Result<_> {
        let records = rows
            .iter()
            .map(|r| prepare(&r.person_details, &r.person_safe_contact))
            .collect::<Result<Vec<_>>>()?;
        Ok((
            train_model(&records, None, &Settings::default()),
            records.len(),
        ))
    })
    .await
    .map_err(|e| StorageError::Write(format!("training stopped: {e}")))??;
    let (trained, records) = trained;
    let summary = ModelSummary {
        records: records as u64,
        blocked_pairs: trained.blocked_pairs,
        u_pairs: trained.u_pairs as u64,
        prior: trained.model.prior,
        seconds: started.elapsed().as_secs_f64(),
    };
    let at = now();
    let mut tx = db.begin_write().await?;
    let version: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM recognition_models")
            .fetch_one(tx.conn())
            .await?;
    sqlx::query(
        "INSERT INTO recognition_models (version, trained_at, trained_by, records, model, summary) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(version)
    .bind(&at)
    .bind(by)
    .bind(records as i64)
    .bind(to_json(&trained.model)?)
    .bind(to_json(&summary)?)
    .execute(tx.conn())
    .await?;
    audit::append(
        &mut tx,
        &audit::event(
            by,
            AuditAction::Create,
            "recognition model",
            Some(version.to_string()),
            "train person recognition on every referral's record of the person",
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(TrainReport {
        version,
        trained_at: crate::db::parse_time(&at)?,
        summary,
    })
}

#[derive(sqlx::FromRow)]
struct ModelRow {
    version: i64,
    trained_at: Stamp,
    summary: String,
}

/// Every model trained, newest first.
pub async fn models(db: &Db) -> Result<Vec<TrainReport>> {
    let rows: Vec<ModelRow> = sqlx::query_as(
        "SELECT version, trained_at, summary FROM recognition_models ORDER BY version DESC",
    )
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(TrainReport {
                version: r.version,
                trained_at: r.trained_at.0,
                summary: from_json(&r.summary)?,
            })
        })
        .collect()
}

impl crate::scoped::ScopedStore {
    /// The thresholds now set and every model trained, for the administrator's page: figures
    /// only, no record about anyone.
    pub async fn recognition_settings(&self) -> Result<(Thresholds, Vec<TrainReport>)> {
        self.grant(harbour_domain::permission::Action::ManageRecognition)?;
        Ok((thresholds(self.db()).await?, models(self.db()).await?))
    }

    /// Sets where recognition links and proposes (audited).
    pub async fn set_recognition_thresholds(&self, t: Thresholds) -> Result<()> {
        self.grant(harbour_domain::permission::Action::ManageRecognition)?;
        let by = self.actor().user_id.as_ref().map(|u| u.as_str().to_owned());
        set_thresholds(self.db(), t, by.as_deref()).await
    }

    /// Trains a new model on every referral (audited); intake uses it at once.
    pub async fn train_recognition(&self) -> Result<TrainReport> {
        self.grant(harbour_domain::permission::Action::ManageRecognition)?;
        let by = self.actor().user_id.as_ref().map(|u| u.as_str().to_owned());
        train(self.db(), by.as_deref()).await
    }
}

#[derive(sqlx::FromRow)]
struct StoredRow {
    reference: String,
    person_details: String,
    person_safe_contact: String,
}

/// Every referral's record of the person, by the referral's reference, for linking a file from
/// an older system against the people already stored (`harbour people link --against-database`).
/// Run from the command line, so no one is named; the read is audited.
pub async fn stored_records(db: &Db) -> Result<Vec<(String, harbour_domain::linkage::Record)>> {
    let rows: Vec<StoredRow> = sqlx::query_as(
        "SELECT reference, person_details, person_safe_contact FROM referrals ORDER BY id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut tx = db.begin_write().await?;
    audit::append(
        &mut tx,
        &audit::event(
            None,
            AuditAction::Export,
            "person",
            None,
            format!(
                "{} referrals' records of the person read to link a file against them",
                rows.len()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    rows.into_iter()
        .map(|r| {
            let person: Person = from_json(&r.person_details)?;
            let safe: SafeContact = from_json(&r.person_safe_contact)?;
            Ok((r.reference, record_of(&person, &safe)))
        })
        .collect()
}
