//! What the public sees of alerts: the ones current now (for the alerts page and the Atom feed)
//! and any message that was sent, at its stable address (for its CAP message). Nothing here
//! says anything about a subscriber; these reads carry no personal data and are not audited.

use crate::alerts::alert::{ALERT_COLUMNS, ALERT_FROM, AlertRow, StoredArea};
use crate::alerts::topics;
use crate::db::{Db, format_time};
use crate::error::Result;
use chrono::{DateTime, Utc};
use harbour_domain::alerts::message::{AlertContent, AlertStatus, MessageType};
use harbour_domain::ids::AlertId;

/// A sent message as the public sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicAlert {
    pub id: AlertId,
    pub msg_type: MessageType,
    pub status: AlertStatus,
    pub content: AlertContent,
    pub topic_names: Vec<String>,
    pub sender: String,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub area: StoredArea,
    pub area_description: String,
    /// The message it amends: its id and when it was sent.
    pub references: Option<(AlertId, DateTime<Utc>)>,
    /// The area codes of its named areas, with their names.
    pub area_names: Vec<(String, String)>,
}

impl PublicAlert {
    /// Whether it is current at `now`: sent, not replaced, cancelled or expired, and not itself
    /// a cancellation.
    pub fn is_current(&self, now: DateTime<Utc>) -> bool {
        self.status == AlertStatus::Published
            && self.msg_type != MessageType::Cancel
            && self.expires_at > now
    }
}

async fn to_public(db: &Db, rows: Vec<(AlertRow, String)>) -> Result<Vec<PublicAlert>> {
    let all = topics::every(db).await?;
    let areas = crate::areas::list_areas(db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (row, sender) in rows {
        let references = match &row.amends_id {
            Some(a) => {
                let sent: Option<(Option<crate::db::Stamp>,)> =
                    sqlx::query_as("SELECT sent_at FROM alerts WHERE id = $1")
                        .bind(a)
                        .fetch_optional(db.pool())
                        .await?;
                sent.and_then(|s| s.0).map(|s| (a.clone(), s.0))
            }
            None => None,
        };
        let area = row.stored_area()?;
        let area_names = match &area {
            StoredArea::Named { codes } => codes
                .iter()
                .map(|c| {
                    let name = areas
                        .iter()
                        .find(|a| &a.gss_code == c)
                        .map_or_else(|| c.clone(), |a| a.name.clone());
                    (c.clone(), name)
                })
                .collect(),
            _ => Vec::new(),
        };
        let summary = row.summary();
        out.push(PublicAlert {
            id: row.id.clone(),
            msg_type: summary.msg_type,
            status: summary.status,
            content: row.content(&all),
            topic_names: topics::in_mask(&all, row.topics_mask)
                .into_iter()
                .map(|t| t.name.clone())
                .collect(),
            sender,
            sent_at: summary.sent_at.unwrap_or(summary.created_at),
            expires_at: summary.expires_at,
            area,
            area_description: row.area_description.clone(),
            references,
            area_names,
        });
    }
    Ok(out)
}

#[derive(sqlx::FromRow)]
struct WithSender {
    #[sqlx(flatten)]
    row: AlertRow,
    sender: String,
}

/// The alerts current at `now`, newest first.
pub async fn current(db: &Db, now: DateTime<Utc>) -> Result<Vec<PublicAlert>> {
    let rows: Vec<WithSender> = sqlx::query_as(&format!(
        "SELECT {ALERT_COLUMNS}, g.name AS sender {ALERT_FROM} JOIN agencies g ON g.id = a.agency_id \
         WHERE a.status = 'published' AND a.msg_type <> 'Cancel' AND a.expires_at > $1 \
         ORDER BY a.sent_at DESC LIMIT 200"
    ))
    .bind(format_time(now))
    .fetch_all(db.pool())
    .await?;
    to_public(db, rows.into_iter().map(|r| (r.row, r.sender)).collect()).await
}

/// A message that was sent, current or not; `None` for one never sent (waiting for approval,
/// declined) or unknown.
pub async fn sent(db: &Db, id: &AlertId) -> Result<Option<PublicAlert>> {
    let rows: Vec<WithSender> = sqlx::query_as(&format!(
        "SELECT {ALERT_COLUMNS}, g.name AS sender {ALERT_FROM} JOIN agencies g ON g.id = a.agency_id \
         WHERE a.id = $1 AND a.sent_at IS NOT NULL"
    ))
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(
        to_public(db, rows.into_iter().map(|r| (r.row, r.sender)).collect())
            .await?
            .pop(),
    )
}
