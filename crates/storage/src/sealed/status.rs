//! What the data protection officer sees of the protections at rest: whether the sealed fields
//! are sealed with a key of the partnership's own, when the keys were made and last rotated, and
//! where the audit trail now starts if its schedule has removed the oldest entries.

use super::{KeyEncryptionKey, SEALED};
use crate::db::parse_time;
use crate::error::Result;
use crate::scoped::ScopedStore;
use chrono::{DateTime, Utc};
use harbour_domain::permission::Action;

/// Encryption at rest, as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protection {
    /// How many fields are sealed, in how many tables.
    pub fields: usize,
    pub tables: usize,
    /// The data keys are wrapped by the development key, which is public.
    pub development_key: bool,
    pub keys_made: Option<DateTime<Utc>>,
    pub last_rotated: Option<DateTime<Utc>>,
    /// The audit trail's oldest entries removed under its schedule: how many in all, and when
    /// last.
    pub audit_removed: Option<(i64, DateTime<Utc>)>,
}

impl ScopedStore {
    /// Encryption at rest and the audit trail's start, for the data protection officer.
    pub async fn protection(&self) -> Result<Protection> {
        self.grant(Action::ManageRetention)?;
        let pool = self.db().pool();
        let keys: (Option<String>, Option<String>, Option<String>) = sqlx::query_as(
            "SELECT MIN(created_at), MAX(rewrapped_at), MIN(wrapped_by) FROM data_keys",
        )
        .fetch_one(pool)
        .await?;
        let pruned: (Option<i64>, Option<String>) =
            sqlx::query_as("SELECT CAST(SUM(removed) AS BIGINT), MAX(at) FROM audit_prunes")
                .fetch_one(pool)
                .await?;
        let time = |t: Option<String>| t.map(|t| parse_time(&t)).transpose();
        Ok(Protection {
            fields: SEALED.len(),
            tables: super::sealed_tables().len(),
            development_key: keys.2.as_deref() == Some(KeyEncryptionKey::development().id()),
            keys_made: time(keys.0)?,
            last_rotated: time(keys.1)?,
            audit_removed: match pruned {
                (Some(n), Some(at)) => Some((n, parse_time(&at)?)),
                _ => None,
            },
        })
    }
}
