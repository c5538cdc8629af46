//! What is waiting for the person signed in: the counts their home page leads with. Counts
//! only, no one named, so reading them is not a read of anyone's personal data.

use crate::db::now;
use crate::error::Result;
use crate::scoped::ScopedStore;
use chrono::NaiveDate;
use harbour_domain::permission::Action;
use sqlx::Row;

/// The hub's queue: referrals received and not yet triaged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub waiting: i64,
    pub overdue: i64,
    pub due_today: i64,
    /// Waiting for someone to choose between what they say about the person and what is held.
    pub details_differ: i64,
}

/// Onward referrals on one side, not finished.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnwardCounts {
    pub open: i64,
    /// Sent or acknowledged: waiting for the service to accept or decline.
    pub awaiting_answer: i64,
    /// Declined, waiting for the hub to re-route or close.
    pub declined: i64,
    /// A deadline has passed.
    pub overdue: i64,
}

impl ScopedStore {
    /// The hub's queue in numbers, on `today` (UK).
    pub async fn queue_counts(&self, today: NaiveDate) -> Result<QueueCounts> {
        self.grant(Action::ViewReferrals)?;
        let r = sqlx::query(
            "SELECT COUNT(*) AS waiting, \
             COALESCE(SUM(CASE WHEN due_on < $1 THEN 1 ELSE 0 END), 0) AS overdue, \
             COALESCE(SUM(CASE WHEN due_on = $1 THEN 1 ELSE 0 END), 0) AS due_today, \
             COALESCE(SUM(CASE WHEN details_review = 'pending' THEN 1 ELSE 0 END), 0) AS differ \
             FROM referrals WHERE status = 'received'",
        )
        .bind(today.to_string())
        .fetch_one(self.db().pool())
        .await?;
        Ok(QueueCounts {
            waiting: r.try_get("waiting")?,
            overdue: r.try_get("overdue")?,
            due_today: r.try_get("due_today")?,
            details_differ: r.try_get("differ")?,
        })
    }

    /// The onward referrals the actor's agency sent that are not finished, in numbers.
    pub async fn sent_counts(&self) -> Result<OnwardCounts> {
        self.grant(Action::ReferOnward)?;
        self.onward_counts("sender_agency_id").await
    }

    /// The onward referrals sent to the actor's agency that are not finished, in numbers.
    pub async fn inbox_counts(&self) -> Result<OnwardCounts> {
        self.grant(Action::ReceiveReferrals)?;
        self.onward_counts("recipient_agency_id").await
    }

    async fn onward_counts(&self, side: &str) -> Result<OnwardCounts> {
        let rows = sqlx::query(&format!(
            "SELECT state, COUNT(*) AS n, \
             COALESCE(SUM(CASE WHEN next_due_at < $2 THEN 1 ELSE 0 END), 0) AS overdue \
             FROM onward_referrals WHERE {side} = $1 \
             AND state NOT IN ('rerouted', 'closed', 'withdrawn') GROUP BY state"
        ))
        .bind(&self.actor().agency_id)
        .bind(now())
        .fetch_all(self.db().pool())
        .await?;
        let mut c = OnwardCounts::default();
        for r in rows {
            let state: String = r.try_get("state")?;
            let n: i64 = r.try_get("n")?;
            c.open += n;
            c.overdue += r.try_get::<i64, _>("overdue")?;
            match state.as_str() {
                "sent" | "acknowledged" => c.awaiting_answer += n,
                "declined" => c.declined += n,
                _ => {}
            }
        }
        Ok(c)
    }
}
