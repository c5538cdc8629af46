//! Messages to the person that Harbour sends, and what became of them.

use super::*;

/// When a message to the person will go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageQueued {
    Now,
    /// Not a safe time now: it waits for the next safe time.
    At(DateTime<Utc>),
}

impl ScopedStore {
    /// Queues a message to the person on an onward referral, if the contact gate allows the
    /// channel. Outside their safe times it waits for the next one; the gate is asked again
    /// when it is sent. Harbour sends e-mail itself; other channels are the service's own.
    pub async fn send_message(
        &self,
        id: &OnwardId,
        channel: &str,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<MessageQueued> {
        let id = id.as_str();
        self.grant(Action::RecordContact)?;
        let (channel, text) =
            checks::check_message(channel, text).map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        let (row, party) = self.onward_row(&mut tx, id).await?;
        let (safe, suspended) = contact_rules_for_row(&mut tx, &row, party).await?;
        let queued = match contact_gate::decide(&safe, &suspended, channel, at) {
            Ok(_) => MessageQueued::Now,
            Err(Refusal::OutsideSafeTimes { next: Some(t) }) => MessageQueued::At(t),
            Err(refusal) => {
                return Err(StorageError::invalid("channel", &refusal.message()));
            }
        };
        let run_at = match queued {
            MessageQueued::Now => at,
            MessageQueued::At(t) => t,
        };
        crate::jobs::enqueue(
            &mut tx,
            &crate::jobs::Work::PersonMessage {
                onward_referral_id: id.to_owned(),
                channel,
                subject: "A message for you".to_owned(),
                text: text.to_owned(),
            },
            None,
            run_at,
        )
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Create,
            "person_message",
            Some(id),
            &format!("queue a message to the person ({})", channel.slug()),
        )
        .await?;
        tx.commit().await?;
        Ok(queued)
    }
}

/// A message to the person queued through Harbour, and how it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub channel: Channel,
    pub text: String,
    pub queued_at: DateTime<Utc>,
    /// When it is (or was last) due.
    pub due_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    /// "delivered", or why it was held back.
    pub outcome: Option<String>,
}

impl ScopedStore {
    /// The messages queued to the person on an onward referral, newest first.
    pub async fn messages(&self, id: &OnwardId) -> Result<Vec<MessageRecord>> {
        let id = id.as_str();
        self.grant(Action::RecordContact)?;
        let mut tx = self.db().begin_write().await?;
        self.onward_row(&mut tx, id).await?;
        let rows = sqlx::query(
            "SELECT payload, created_at, run_at, done_at, outcome FROM jobs \
             WHERE onward_referral_id = $1 AND kind = 'person_message' ORDER BY created_at DESC",
        )
        .bind(id)
        .fetch_all(tx.conn())
        .await?;
        let mut list = Vec::new();
        for r in &rows {
            let work: crate::jobs::Work = from_json(&r.try_get::<String, _>("payload")?)?;
            if let crate::jobs::Work::PersonMessage { channel, text, .. } = work {
                list.push(MessageRecord {
                    channel,
                    text,
                    queued_at: r.try_get::<Stamp, _>("created_at")?.0,
                    due_at: r.try_get::<Stamp, _>("run_at")?.0,
                    done_at: r.try_get::<Option<Stamp>, _>("done_at")?.map(|s| s.0),
                    outcome: r.try_get("outcome")?,
                });
            }
        }
        self.audit(
            &mut tx,
            AuditAction::Read,
            "person_message",
            Some(id),
            &format!("view messages to the person ({})", list.len()),
        )
        .await?;
        tx.commit().await?;
        Ok(list)
    }
}
