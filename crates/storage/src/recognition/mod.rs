//! Person recognition in the database (the engine is `harbour_domain::linkage`): the trained
//! models and the partnership's thresholds ([`model`]), each referral's blocking keys
//! ([`keys`]), the candidates intake compares a new referral with ([`candidates`]), the possible
//! matches the hub decides ([`matches`]), merging and unmerging people ([`merge`]) and a
//! person's history across agencies ([`history`]).

pub mod candidates;
pub mod dedupe;
pub mod history;
pub(crate) mod keys;
pub mod matches;
pub mod merge;
pub mod model;
pub mod perpetrators;

pub use model::{ModelSummary, Recogniser, TrainReport, recogniser, train};

use crate::db::Db;
use crate::error::Result;

/// Makes recognition ready after referrals were loaded in bulk (the demo, a migration): their
/// blocking keys, then a first model if none has been trained and there are enough referrals to
/// learn from. Returns the model trained, if one was.
pub async fn ready(db: &Db) -> Result<Option<TrainReport>> {
    keys::fill_missing(db).await?;
    if !model::models(db).await?.is_empty() {
        return Ok(None);
    }
    let referrals: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM referrals")
        .fetch_one(db.pool())
        .await?;
    if (referrals as usize) < model::MIN_RECORDS {
        return Ok(None);
    }
    Ok(Some(train(db, None).await?))
}
