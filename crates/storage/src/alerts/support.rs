//! Helping a subscriber who asks: an administrator finds a subscription by its exact address
//! (never by browsing), sees what it is, sends its owner a link to change it, or deletes it.
//! Each look is audited.

use crate::alerts::subscribers;
use crate::db::Stamp;
use crate::error::{Result, StorageError};
use crate::jobs::SubscriberMail;
use crate::scoped::ScopedStore;
use chrono::{DateTime, Utc};
use harbour_domain::alerts::subscription::SubscriberKind;
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::SubscriberId;
use harbour_domain::permission::Action;

/// What support sees of a subscription: nothing of where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberSummary {
    pub id: SubscriberId,
    pub kind: SubscriberKind,
    pub confirmed: bool,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub places: i64,
    pub sent: i64,
}

impl ScopedStore {
    /// The subscription for exactly this address, if there is one.
    pub async fn find_subscriber(&self, email: &str) -> Result<Option<SubscriberSummary>> {
        self.grant(Action::SupportSubscribers)?;
        let key = email.trim().to_lowercase();
        let mut tx = self.db().begin_write().await?;
        #[allow(clippy::type_complexity)]
        let row: Option<(SubscriberId, String, String, Stamp, Option<Stamp>)> = sqlx::query_as(
            "SELECT id, kind, status, created_at, confirmed_at FROM alert_subscribers \
             WHERE email_key = $1",
        )
        .bind(&key)
        .fetch_optional(tx.conn())
        .await?;
        let Some((id, kind, status, created_at, confirmed_at)) = row else {
            self.audit(
                &mut tx,
                AuditAction::Read,
                "alert_subscriber",
                None,
                "support: looked for a subscription by address: none",
            )
            .await?;
            tx.commit().await?;
            return Ok(None);
        };
        let (places,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM alert_places WHERE subscriber_id = $1")
                .bind(&id)
                .fetch_one(tx.conn())
                .await?;
        let (sent,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM alert_deliveries WHERE subscriber_id = $1 AND state = 'sent'",
        )
        .bind(&id)
        .fetch_one(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "alert_subscriber",
            Some(id.as_str()),
            "support: looked up a subscription by address",
        )
        .await?;
        tx.commit().await?;
        Ok(Some(SubscriberSummary {
            kind: SubscriberKind::from_slug(&kind).unwrap_or(SubscriberKind::Resident),
            confirmed: status == "active",
            created_at: created_at.0,
            confirmed_at: confirmed_at.map(|c| c.0),
            places,
            sent,
            id,
        }))
    }

    /// E-mails the subscription's owner a link to change or stop it (or, unconfirmed, the
    /// confirmation again), at most once in a few minutes.
    pub async fn send_subscriber_link(&self, id: &SubscriberId) -> Result<bool> {
        self.grant(Action::SupportSubscribers)?;
        let now = Utc::now();
        let mut tx = self.db().begin_write().await?;
        let row: Option<(String, Option<String>)> =
            sqlx::query_as("SELECT status, mailed_at FROM alert_subscribers WHERE id = $1")
                .bind(id)
                .fetch_optional(tx.conn())
                .await?;
        let Some((status, mailed_at)) = row else {
            return Err(StorageError::NotFound("subscriber"));
        };
        let what = if status == "active" {
            SubscriberMail::Manage
        } else {
            SubscriberMail::Confirm
        };
        let sent =
            subscribers::mail_in(&mut tx, id.as_str(), mailed_at.as_deref(), what, now).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "alert_subscriber",
            Some(id.as_str()),
            if sent {
                "support: e-mailed the subscriber a link"
            } else {
                "support: a link was e-mailed minutes ago; not sent again"
            },
        )
        .await?;
        tx.commit().await?;
        Ok(sent)
    }

    /// Deletes a subscription and everything held about it, at its owner's request.
    pub async fn delete_subscriber(&self, id: &SubscriberId) -> Result<()> {
        self.grant(Action::SupportSubscribers)?;
        let mut tx = self.db().begin_write().await?;
        subscribers::erase(&mut tx, id.as_str()).await?;
        self.audit(
            &mut tx,
            AuditAction::Delete,
            "alert_subscriber",
            Some(id.as_str()),
            "support: deleted at its owner's request, with everything held",
        )
        .await?;
        tx.commit().await
    }
}
