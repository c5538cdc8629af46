//! Alerts as staff write them: the reach count before sending, sending (or asking a colleague's
//! approval where the agency wants one), updates and cancellations that reference the message
//! they amend, and each alert's delivery report. An alert belongs to the agency that sent it;
//! its author sees counts, never who.

use crate::alerts::alert::{
    ALERT_COLUMNS, ALERT_FROM, AlertOptions, AlertRow, AlertSummary, AlertView, Reach, StoredArea,
    nameable_areas, resolve_area,
};
use crate::alerts::reach::{self, Wanted};
use crate::alerts::topics;
use crate::db::{Flag, WriteTx, format_time, new_id};
use crate::error::{Result, StorageError};
use crate::jobs::{self, Work};
use crate::scoped::ScopedStore;
use chrono::{DateTime, Utc};
use harbour_domain::alerts::area::AlertArea;
use harbour_domain::alerts::message::{AlertContent, AlertInput, AlertStatus, MessageType, check};
use harbour_domain::alerts::subscription::Priority;
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::AlertId;
use harbour_domain::permission::{Action, Scope};
use harbour_domain::validation::FieldErrors;

impl ScopedStore {
    /// What the composer offers the actor.
    pub async fn alert_options(&self) -> Result<AlertOptions> {
        self.grant(Action::SendAlerts)?;
        let (needs,): (Flag,) =
            sqlx::query_as("SELECT alerts_need_approval FROM agencies WHERE id = $1")
                .bind(&self.actor().agency_id)
                .fetch_one(self.db().pool())
                .await?;
        Ok(AlertOptions {
            topics: topics::topics(self.db()).await?,
            areas: nameable_areas(self.db()).await?,
            needs_approval: needs.0,
        })
    }

    async fn checked(&self, input: &AlertInput) -> Result<(AlertContent, AlertArea, String, i64)> {
        let all = topics::topics(self.db()).await?;
        let areas = nameable_areas(self.db()).await?;
        let ids: Vec<String> = all.iter().map(|t| t.id.clone()).collect();
        let codes: Vec<String> = areas.iter().map(|a| a.gss_code.clone()).collect();
        let (content, request) = check(input, &ids, &codes, true).map_err(StorageError::Invalid)?;
        let request =
            request.ok_or_else(|| StorageError::invalid("area_kind", "Choose an area"))?;
        let (area, description) = resolve_area(self.db(), request, &areas).await?;
        Ok((
            content,
            area,
            description,
            topics::mask(&all, &input.topics),
        ))
    }

    /// How many subscribers the alert as written would reach, and its area in words. A count
    /// only: nothing about who.
    pub async fn alert_reach(&self, input: &AlertInput) -> Result<Reach> {
        self.grant(Action::SendAlerts)?;
        let (content, area, area_description, mask) = self.checked(input).await?;
        let subscribers = reach::count(
            self.db(),
            &area,
            Wanted {
                topics_mask: mask,
                level: Priority::of_alert(content.severity),
            },
        )
        .await?;
        Ok(Reach {
            subscribers,
            area_description,
        })
    }

    /// Sends an alert, or an update of `amends`: at once, or for a colleague's approval where
    /// the agency asks for one. Returns its id.
    pub async fn send_alert(
        &self,
        input: &AlertInput,
        amends: Option<&AlertId>,
    ) -> Result<AlertId> {
        let grant = self.grant(Action::SendAlerts)?;
        let (content, area, area_description, mask) = self.checked(input).await?;
        let (needs_approval,): (Flag,) =
            sqlx::query_as("SELECT alerts_need_approval FROM agencies WHERE id = $1")
                .bind(&self.actor().agency_id)
                .fetch_one(self.db().pool())
                .await?;
        let now = Utc::now();
        let id = AlertId::from(new_id());
        let mut tx = self.db().begin_write().await?;
        let msg_type = match amends {
            Some(original) => {
                let row = self.alert_row(&mut tx, original, grant.scope()).await?;
                if row.status != AlertStatus::Published.slug() || row.msg_type == "Cancel" {
                    return Err(StorageError::invalid(
                        "headline",
                        "Only an alert that has been sent and not cancelled or updated since can be updated",
                    ));
                }
                MessageType::Update
            }
            None => MessageType::Alert,
        };
        let status = if needs_approval.0 {
            AlertStatus::AwaitingApproval
        } else {
            AlertStatus::Published
        };
        let all = topics::topics(self.db()).await?;
        sqlx::query(
            "INSERT INTO alerts (id, agency_id, author_id, msg_type, amends_id, status, headline, \
             description, instruction, reference, contact, topics, topics_mask, urgency, severity, \
             certainty, level, area_kind, area, area_description, exit_control, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $15, $16, $17, $18, $19, $20, $21, $22, $23)",
        )
        .bind(&id)
        .bind(&self.actor().agency_id)
        .bind(self.actor().user_id.as_ref())
        .bind(msg_type.slug())
        .bind(amends)
        .bind(status.slug())
        .bind(&content.headline)
        .bind(&content.description)
        .bind(&content.instruction)
        .bind(&content.reference)
        .bind(&content.contact)
        .bind(topics::ids(&all, mask).join(","))
        .bind(mask)
        .bind(content.urgency.slug())
        .bind(content.severity.slug())
        .bind(content.certainty.slug())
        .bind(Priority::of_alert(content.severity))
        .bind(match area {
            AlertArea::Circle { .. } => "circle",
            AlertArea::Named(_) => "named",
            AlertArea::Polygon(_) => "polygon",
        })
        .bind(crate::db::to_json(&StoredArea::of(&area))?)
        .bind(&area_description)
        .bind(content.exit_control)
        .bind(format_time(now))
        .bind(format_time(now + content.lasts))
        .execute(tx.conn())
        .await?;
        let purpose = if status == AlertStatus::Published {
            publish(&mut tx, &id, amends, now).await?;
            "community alert sent"
        } else {
            "community alert written: waiting for approval"
        };
        self.audit(
            &mut tx,
            AuditAction::Create,
            "alert",
            Some(id.as_str()),
            purpose,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Cancels a sent alert: a cancellation message that references it goes to everyone the
    /// alert reached, messages still held for quiet hours are withdrawn, and it leaves the feed.
    /// A cancellation goes at once, without approval: stopping a wrong alert must not wait.
    pub async fn cancel_alert(&self, id: &AlertId, reason: &str) -> Result<AlertId> {
        let grant = self.grant(Action::SendAlerts)?;
        let mut errors = FieldErrors::new();
        let reason = harbour_domain::validation::required_text(
            &mut errors,
            "reason",
            reason,
            "Say why it is cancelled, for the people who received it: like “The missing man has been found safe”",
            500,
        );
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        let now = Utc::now();
        let mut tx = self.db().begin_write().await?;
        let row = self.alert_row(&mut tx, id, grant.scope()).await?;
        if row.status != AlertStatus::Published.slug() || row.msg_type == "Cancel" {
            return Err(StorageError::invalid(
                "reason",
                "Only an alert that has been sent and not cancelled or updated since can be cancelled",
            ));
        }
        let cancel = AlertId::from(new_id());
        sqlx::query(
            "INSERT INTO alerts (id, agency_id, author_id, msg_type, amends_id, status, headline, \
             description, instruction, reference, contact, topics, topics_mask, urgency, severity, \
             certainty, level, area_kind, area, area_description, exit_control, created_at, \
             expires_at) SELECT $1, agency_id, $2, 'Cancel', id, 'published', headline, $3, \
             'No action is needed now.', reference, contact, topics, topics_mask, 'Past', severity, \
             certainty, level, area_kind, area, area_description, exit_control, $4, $4 \
             FROM alerts WHERE id = $5",
        )
        .bind(&cancel)
        .bind(self.actor().user_id.as_ref())
        .bind(&reason)
        .bind(format_time(now))
        .bind(id)
        .execute(tx.conn())
        .await?;
        publish(&mut tx, &cancel, Some(id), now).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "alert",
            Some(id.as_str()),
            "community alert cancelled",
        )
        .await?;
        tx.commit().await?;
        Ok(cancel)
    }

    /// Approves a colleague's alert: it goes at once.
    pub async fn approve_alert(&self, id: &AlertId) -> Result<()> {
        self.decide(id, None).await
    }

    /// Declines a colleague's alert with a reason its author sees. It never goes.
    pub async fn decline_alert(&self, id: &AlertId, reason: &str) -> Result<()> {
        let mut errors = FieldErrors::new();
        let reason = harbour_domain::validation::required_text(
            &mut errors,
            "reason",
            reason,
            "Say why it is not approved, so its author can put it right",
            500,
        );
        if !errors.is_empty() {
            return Err(StorageError::Invalid(errors));
        }
        self.decide(id, Some(&reason)).await
    }

    async fn decide(&self, id: &AlertId, declined: Option<&str>) -> Result<()> {
        let grant = self.grant(Action::ApproveAlerts)?;
        let now = Utc::now();
        let mut tx = self.db().begin_write().await?;
        let row = self.alert_row(&mut tx, id, grant.scope()).await?;
        if row.status != AlertStatus::AwaitingApproval.slug() {
            return Err(StorageError::invalid(
                "decision",
                "This alert is no longer waiting for approval",
            ));
        }
        if self.actor().user_id.as_ref().map(|u| u.as_str()) == Some(row.author_id.as_str()) {
            return Err(StorageError::invalid(
                "decision",
                "You wrote this alert, so a colleague must approve it",
            ));
        }
        let status = if declined.is_some() {
            AlertStatus::Declined
        } else {
            AlertStatus::Published
        };
        sqlx::query(
            "UPDATE alerts SET status = $1, decided_by = $2, decided_at = $3, decline_reason = $4 \
             WHERE id = $5",
        )
        .bind(status.slug())
        .bind(self.actor().user_id.as_ref())
        .bind(format_time(now))
        .bind(declined)
        .bind(id)
        .execute(tx.conn())
        .await?;
        if declined.is_none() {
            // Its time to expire runs from when it is sent.
            let lasts = row.expires_at.0 - row.created_at.0;
            sqlx::query("UPDATE alerts SET expires_at = $1 WHERE id = $2")
                .bind(format_time(now + lasts))
                .bind(id)
                .execute(tx.conn())
                .await?;
            publish(&mut tx, id, row.amends_id.as_ref(), now).await?;
        }
        self.audit(
            &mut tx,
            AuditAction::Change,
            "alert",
            Some(id.as_str()),
            if declined.is_some() {
                "community alert not approved"
            } else {
                "community alert approved and sent"
            },
        )
        .await?;
        tx.commit().await
    }

    async fn alert_row(&self, tx: &mut WriteTx, id: &AlertId, scope: Scope) -> Result<AlertRow> {
        let row: Option<AlertRow> = sqlx::query_as(&format!(
            "SELECT {ALERT_COLUMNS} {ALERT_FROM} WHERE a.id = $1"
        ))
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
        match row {
            Some(r) if scope == Scope::Partnership || r.agency_id == self.actor().agency_id => {
                Ok(r)
            }
            _ => Err(StorageError::NotFound("alert")),
        }
    }

    /// The actor's agency's alerts, newest first.
    pub async fn agency_alerts(&self) -> Result<Vec<AlertSummary>> {
        self.grant(Action::SendAlerts)
            .or_else(|_| self.grant(Action::ApproveAlerts))?;
        let rows: Vec<AlertRow> = sqlx::query_as(&format!(
            "SELECT {ALERT_COLUMNS} {ALERT_FROM} WHERE a.agency_id = $1 \
             ORDER BY a.created_at DESC LIMIT 200"
        ))
        .bind(&self.actor().agency_id)
        .fetch_all(self.db().pool())
        .await?;
        Ok(rows.iter().map(AlertRow::summary).collect())
    }

    /// One of the agency's alerts with its delivery report.
    pub async fn alert(&self, id: &AlertId) -> Result<AlertView> {
        let grant = self
            .grant(Action::SendAlerts)
            .or_else(|_| self.grant(Action::ApproveAlerts))?;
        let mut tx = self.db().begin_write().await?;
        let row = self.alert_row(&mut tx, id, grant.scope()).await?;
        let amended_by: Option<(AlertId,)> = sqlx::query_as(
            "SELECT id FROM alerts WHERE amends_id = $1 AND status = 'published' \
             ORDER BY created_at DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
        let report = crate::alerts::delivery::report(&mut tx, id).await?;
        tx.commit().await?;
        let all = topics::every(self.db()).await?;
        let topic_names = topics::in_mask(&all, row.topics_mask)
            .into_iter()
            .map(|t| t.name.clone())
            .collect();
        Ok(AlertView {
            summary: row.summary(),
            agency_id: row.agency_id.clone(),
            content: row.content(&all),
            topic_names,
            area: row.stored_area()?,
            amends: row.amends_id.clone(),
            amended_by: amended_by.map(|a| a.0),
            decline_reason: row.decline_reason.clone(),
            decided_by: row.decider_name.clone(),
            report: report.unwrap_or_default(),
            by_actor: self.actor().user_id.as_ref().map(|u| u.as_str())
                == Some(row.author_id.as_str()),
        })
    }
}

/// Makes an alert live: it is sent now, the message it amends (if any) is superseded or
/// cancelled and that one's messages still held for quiet hours are withdrawn, and its delivery
/// is queued for the job worker, in the caller's transaction.
async fn publish(
    tx: &mut WriteTx,
    id: &AlertId,
    amends: Option<&AlertId>,
    now: DateTime<Utc>,
) -> Result<()> {
    let at = format_time(now);
    sqlx::query("UPDATE alerts SET status = 'published', sent_at = $1 WHERE id = $2")
        .bind(&at)
        .bind(id)
        .execute(tx.conn())
        .await?;
    if let Some(original) = amends {
        sqlx::query(
            "UPDATE alerts SET status = CASE WHEN (SELECT msg_type FROM alerts WHERE id = $1) = \
             'Cancel' THEN 'cancelled' ELSE 'superseded' END, ended_at = $2 WHERE id = $3",
        )
        .bind(id)
        .bind(&at)
        .bind(original)
        .execute(tx.conn())
        .await?;
        sqlx::query(
            "UPDATE alert_deliveries SET state = 'withdrawn', locked_until = NULL \
             WHERE alert_id = $1 AND state = 'waiting'",
        )
        .bind(original)
        .execute(tx.conn())
        .await?;
    }
    jobs::enqueue(
        tx,
        &Work::AlertDelivery {
            alert_id: id.to_string(),
        },
        Some(&format!("alert-delivery-{id}")),
        now,
    )
    .await
}
