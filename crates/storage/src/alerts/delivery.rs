//! An alert's delivery, for the job worker: its recipients are listed once, as one row each in
//! `alert_deliveries` (due now, or when the subscriber's quiet hours end unless the alert is
//! Immediate); then batches of due rows are leased, sent and marked. A row is sent only while
//! its lease holds and is marked sent straight after the mail server accepts it, so a crash
//! resends at most the few messages in flight at that moment, each with the Message-ID it had
//! (the delivery row's id), by which a receiving system knows a repeat.

use crate::alerts::alert::{ALERT_COLUMNS, ALERT_FROM, AlertRow, DeliveryReport};
use crate::alerts::reach::{self, Recipient, Wanted};
use crate::db::{Backend, Db, WriteTx, format_time, insert_json_rows, new_id, to_json};
use crate::error::{Result, StorageError};
use chrono::{DateTime, Duration, Utc};
use harbour_domain::alerts::cap::Urgency;
use harbour_domain::alerts::links::{self, Purpose};
use harbour_domain::audit::{AuditAction, AuditEvent};
use harbour_domain::ids::AlertId;
use serde::Serialize;

/// What a message about an alert says, read when it is sent.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AlertMessage {
    pub id: AlertId,
    pub msg_type: String,
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub reference: Option<String>,
    pub contact: String,
    pub sender: String,
    pub status: String,
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The delivery row's id: the message's Message-ID on every try.
    pub id: String,
    pub email: String,
    /// Links for this subscriber, carried in the message.
    pub manage: String,
    pub unsubscribe: String,
}

/// Where an alert's delivery stands after [`prepare`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepared {
    /// The alert is not one to send (not published, or gone).
    Nothing,
    /// Listed: this many recipients in all.
    Listed(i64),
}

#[derive(Serialize)]
struct DeliveryRow<'a> {
    id: String,
    alert_id: &'a str,
    subscriber_id: &'a str,
    channel: &'static str,
    state: &'static str,
    held: bool,
    due_at: String,
    attempts: i64,
    unsubscribed: bool,
}

/// Lists the alert's recipients, once: later calls find them listed and return their count.
/// An alert or update reaches the subscribers in its area with a topic in common and a low
/// enough priority; a cancellation reaches those its original was sent to.
pub async fn prepare(db: &Db, alert: &AlertId, now: DateTime<Utc>) -> Result<Prepared> {
    let row: Option<(String, String, Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT status, msg_type, recipients_at, reach FROM alerts WHERE id = $1")
            .bind(alert)
            .fetch_optional(db.pool())
            .await?;
    let Some((status, msg_type, listed, reach)) = row else {
        return Ok(Prepared::Nothing);
    };
    if listed.is_some() {
        return Ok(Prepared::Listed(reach.unwrap_or(0)));
    }
    if status == "awaiting_approval" || status == "declined" {
        return Ok(Prepared::Nothing);
    }
    if status != "published" {
        // Updated or cancelled before its recipients were listed: it goes to no one (the
        // update or the cancellation speaks for it), and its report says so.
        let mut tx = db.begin_write().await?;
        sqlx::query(
            "UPDATE alerts SET recipients_at = $1, reach = 0 WHERE id = $2 AND recipients_at IS NULL",
        )
        .bind(format_time(now))
        .bind(alert)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        return Ok(Prepared::Nothing);
    }
    let full: AlertRow = sqlx::query_as(&format!(
        "SELECT {ALERT_COLUMNS} {ALERT_FROM} WHERE a.id = $1"
    ))
    .bind(alert)
    .fetch_one(db.pool())
    .await?;
    let immediate = full.urgency == Urgency::Immediate.slug();
    let recipients: Vec<Recipient> = if msg_type == "Cancel" {
        let original = full
            .amends_id
            .clone()
            .ok_or_else(|| StorageError::Corrupt("a cancellation amends nothing".into()))?;
        let ids: Vec<(String,)> = sqlx::query_as(
            "SELECT subscriber_id FROM alert_deliveries WHERE alert_id = $1 AND state = 'sent' \
             AND subscriber_id IS NOT NULL",
        )
        .bind(&original)
        .fetch_all(db.pool())
        .await?;
        // A cancellation is not held: it takes back a message that already went.
        ids.into_iter()
            .map(|(id,)| Recipient {
                subscriber_id: id,
                quiet: None,
            })
            .collect()
    } else {
        let area = full
            .stored_area()?
            .area()
            .ok_or_else(|| StorageError::Corrupt("an alert's area is off the globe".into()))?;
        reach::recipients(
            db,
            &area,
            Wanted {
                topics_mask: full.topics_mask,
                level: full.level,
            },
        )
        .await?
    };
    let at = format_time(now);
    let rows: Vec<DeliveryRow<'_>> = recipients
        .iter()
        .map(|r| {
            let release = if immediate {
                None
            } else {
                r.quiet.and_then(|q| q.release(now))
            };
            DeliveryRow {
                id: new_id(),
                alert_id: alert.as_str(),
                subscriber_id: &r.subscriber_id,
                channel: EMAIL,
                state: "waiting",
                held: release.is_some(),
                due_at: release.map_or_else(|| at.clone(), format_time),
                attempts: 0,
                unsubscribed: false,
            }
        })
        .collect();
    let insert = insert_json_rows(
        db.backend(),
        "alert_deliveries",
        &[
            ("id", "text"),
            ("alert_id", "text"),
            ("subscriber_id", "text"),
            ("channel", "text"),
            ("state", "text"),
            ("held", "boolean"),
            ("due_at", "text"),
            ("attempts", "bigint"),
            ("unsubscribed", "boolean"),
        ],
    );
    let mut tx = db.begin_write().await?;
    // Listed by another worker meanwhile: theirs stands.
    let (again,): (Option<String>,) =
        sqlx::query_as("SELECT recipients_at FROM alerts WHERE id = $1")
            .bind(alert)
            .fetch_one(tx.conn())
            .await?;
    if again.is_some() {
        return Ok(Prepared::Listed(full.reach.unwrap_or(0)));
    }
    for chunk in rows.chunks(10_000) {
        sqlx::query(&insert)
            .bind(to_json(chunk)?)
            .execute(tx.conn())
            .await?;
    }
    let n = rows.len() as i64;
    sqlx::query("UPDATE alerts SET recipients_at = $1, reach = $2 WHERE id = $3")
        .bind(&at)
        .bind(n)
        .bind(alert)
        .execute(tx.conn())
        .await?;
    crate::audit::append(
        &mut tx,
        &AuditEvent {
            actor_user_id: None,
            actor_agency_id: Some(full.agency_id.to_string()),
            action: AuditAction::Read,
            entity_kind: "alert".into(),
            entity_id: Some(alert.to_string()),
            purpose: format!("community alert's recipients listed for delivery: {n}"),
            request_id: new_id(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Prepared::Listed(n))
}

/// What the alert's messages say, with its agency's name.
pub async fn message(db: &Db, alert: &AlertId) -> Result<Option<AlertMessage>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.msg_type, a.headline, a.description, a.instruction, a.reference, \
         a.contact, g.name AS sender, a.status FROM alerts a JOIN agencies g ON g.id = a.agency_id \
         WHERE a.id = $1",
    )
    .bind(alert)
    .fetch_optional(db.pool())
    .await?)
}

/// The channel every message goes by so far. A further sender (SMS, app push) would list its
/// own rows beside these and lease them by its channel.
pub const EMAIL: &str = "email";

/// Leases up to `limit` of the alert's messages by `channel` due at `now` for `lease`, with the
/// address and fresh links of each. A message whose subscription was deleted meanwhile is
/// withdrawn.
pub async fn claim(
    db: &Db,
    alert: &AlertId,
    channel: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Outgoing>> {
    let now_text = format_time(now);
    let skip_locked = match db.backend() {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let mut tx = db.begin_write().await?;
    let leased: Vec<(String, Option<String>)> = sqlx::query_as(&format!(
        "UPDATE alert_deliveries SET locked_until = $1, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM alert_deliveries WHERE alert_id = $2 AND channel = $5 \
         AND state = 'waiting' AND due_at <= $3 AND (locked_until IS NULL OR locked_until < $3) \
         ORDER BY due_at LIMIT $4 {skip_locked}) RETURNING id, subscriber_id"
    ))
    .bind(format_time(now + lease))
    .bind(alert)
    .bind(&now_text)
    .bind(limit)
    .bind(channel)
    .fetch_all(tx.conn())
    .await?;
    if leased.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = leased.iter().map(|(id, _)| id.as_str()).collect();
    let in_list = json_ids(db.backend(), 1);
    let found: Vec<(String, String, String, i64)> = sqlx::query_as(&format!(
        "SELECT d.id, s.id, s.email, s.generation FROM alert_deliveries d \
         JOIN alert_subscribers s ON s.id = d.subscriber_id WHERE d.id IN ({in_list})"
    ))
    .bind(to_json(&ids)?)
    .fetch_all(tx.conn())
    .await?;
    let gone: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| !found.iter().any(|f| f.0 == *id))
        .collect();
    if !gone.is_empty() {
        sqlx::query(&format!(
            "UPDATE alert_deliveries SET state = 'withdrawn', locked_until = NULL \
             WHERE id IN ({in_list})"
        ))
        .bind(to_json(&gone)?)
        .execute(tx.conn())
        .await?;
    }
    tx.commit().await?;
    let key = crate::alerts::keys::link_key(db).await?;
    Ok(found
        .into_iter()
        .map(|(id, subscriber, email, generation)| Outgoing {
            manage: links::make(&key, Purpose::Manage, &subscriber, generation, None, now),
            unsubscribe: links::make(
                &key,
                Purpose::Unsubscribe,
                &subscriber,
                generation,
                Some(alert.as_str()),
                now,
            ),
            id,
            email,
        })
        .collect())
}

/// `SELECT` of the ids in the JSON array parameter `$n`.
fn json_ids(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => format!("SELECT value FROM json_each(${n})"),
        Backend::Postgres => format!("SELECT json_array_elements_text(${n}::json)"),
    }
}

/// Marks messages the mail server accepted as sent.
pub async fn mark_sent(db: &Db, ids: &[String], now: DateTime<Utc>) -> Result<()> {
    set_state(db, ids, "sent", Some(now)).await
}

/// Marks messages the mail server refused for good as bounced.
pub async fn mark_bounced(db: &Db, ids: &[String]) -> Result<()> {
    set_state(db, ids, "bounced", None).await
}

async fn set_state(db: &Db, ids: &[String], state: &str, at: Option<DateTime<Utc>>) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(&format!(
        "UPDATE alert_deliveries SET state = $1, sent_at = $2, locked_until = NULL \
         WHERE state = 'waiting' AND id IN ({})",
        json_ids(db.backend(), 3)
    ))
    .bind(state)
    .bind(at.map(format_time))
    .bind(to_json(ids)?)
    .execute(tx.conn())
    .await?;
    tx.commit().await
}

/// Puts messages back to be tried again at `at` (the mail server refused them for now).
pub async fn retry_at(db: &Db, ids: &[String], at: DateTime<Utc>) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(&format!(
        "UPDATE alert_deliveries SET due_at = $1, locked_until = NULL \
         WHERE state = 'waiting' AND id IN ({})",
        json_ids(db.backend(), 2)
    ))
    .bind(format_time(at))
    .bind(to_json(ids)?)
    .execute(tx.conn())
    .await?;
    tx.commit().await
}

/// When the alert's next waiting message is due, if any is left.
pub async fn next_due(db: &Db, alert: &AlertId) -> Result<Option<DateTime<Utc>>> {
    let (due,): (Option<String>,) = sqlx::query_as(
        "SELECT MIN(CASE WHEN locked_until IS NOT NULL AND locked_until > due_at \
         THEN locked_until ELSE due_at END) FROM alert_deliveries \
         WHERE alert_id = $1 AND state = 'waiting'",
    )
    .bind(alert)
    .fetch_one(db.pool())
    .await?;
    due.map(|d| crate::db::parse_time(&d)).transpose()
}

/// The alert's delivery report: counts only. `None` before its recipients are listed.
pub(crate) async fn report(tx: &mut WriteTx, alert: &AlertId) -> Result<Option<DeliveryReport>> {
    let (listed,): (Option<String>,) =
        sqlx::query_as("SELECT recipients_at FROM alerts WHERE id = $1")
            .bind(alert)
            .fetch_one(tx.conn())
            .await?;
    if listed.is_none() {
        return Ok(None);
    }
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "SELECT state, COUNT(*), SUM(CASE WHEN held THEN 1 ELSE 0 END), \
         SUM(CASE WHEN unsubscribed THEN 1 ELSE 0 END) FROM alert_deliveries \
         WHERE alert_id = $1 GROUP BY state",
    )
    .bind(alert)
    .fetch_all(tx.conn())
    .await?;
    let mut r = DeliveryReport {
        listed: true,
        ..DeliveryReport::default()
    };
    for (state, n, held, unsubscribed) in rows {
        r.recipients += n;
        r.unsubscribed += unsubscribed;
        match state.as_str() {
            "sent" => {
                r.sent += n;
                r.held += held;
            }
            "waiting" => {
                r.waiting += n;
                r.held += held;
            }
            "bounced" => r.bounced += n,
            _ => r.withdrawn += n,
        }
    }
    Ok(Some(r))
}
