//! Alerts as staff write them: the reach count before sending, sending (or asking a colleague's
//! approval where the agency wants one), updates and cancellations that reference the message
//! they amend, and each alert's delivery report. An alert belongs to the agency that sent it;
//! its author sees counts, never who.

use crate::alerts::reach::{self, Wanted};
use crate::alerts::topics;
use crate::db::{Flag, Stamp, WriteTx, format_time, new_id};
use crate::error::{Result, StorageError};
use crate::jobs::{self, Work};
use crate::scoped::ScopedStore;
use chrono::{DateTime, Utc};
use harbour_domain::alerts::area::AlertArea;
use harbour_domain::alerts::cap::{Certainty, Severity, Urgency};
use harbour_domain::alerts::message::{
    AlertContent, AlertInput, AlertStatus, AreaRequest, MessageType, check,
};
use harbour_domain::alerts::subscription::Priority;
use harbour_domain::area::Area;
use harbour_domain::audit::AuditAction;
use harbour_domain::ids::{AgencyId, AlertId};
use harbour_domain::permission::{Action, Scope};
use harbour_domain::place::Point;
use harbour_domain::postcode::Postcode;
use harbour_domain::validation::FieldErrors;
use serde::{Deserialize, Serialize};

/// What the composer offers.
#[derive(Debug, Clone)]
pub struct AlertOptions {
    pub topics: Vec<topics::Topic>,
    /// Areas an alert may name: the county and its districts.
    pub areas: Vec<Area>,
    /// Whether the actor's agency asks for a colleague's approval before an alert goes.
    pub needs_approval: bool,
}

/// An area as `alerts.area` keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoredArea {
    Circle {
        latitude: f64,
        longitude: f64,
        radius_m: f64,
    },
    Named {
        codes: Vec<String>,
    },
    Polygon {
        /// `[latitude, longitude]` each.
        corners: Vec<[f64; 2]>,
    },
}

impl StoredArea {
    pub fn of(a: &AlertArea) -> StoredArea {
        match a {
            AlertArea::Circle { centre, radius_m } => StoredArea::Circle {
                latitude: centre.latitude,
                longitude: centre.longitude,
                radius_m: *radius_m,
            },
            AlertArea::Named(codes) => StoredArea::Named {
                codes: codes.clone(),
            },
            AlertArea::Polygon(c) => StoredArea::Polygon {
                corners: c.iter().map(|p| [p.latitude, p.longitude]).collect(),
            },
        }
    }

    pub fn area(&self) -> Option<AlertArea> {
        Some(match self {
            StoredArea::Circle {
                latitude,
                longitude,
                radius_m,
            } => AlertArea::Circle {
                centre: Point::new(*latitude, *longitude)?,
                radius_m: *radius_m,
            },
            StoredArea::Named { codes } => AlertArea::Named(codes.clone()),
            StoredArea::Polygon { corners } => AlertArea::Polygon(
                corners
                    .iter()
                    .map(|[la, lo]| Point::new(*la, *lo))
                    .collect::<Option<Vec<_>>>()?,
            ),
        })
    }
}

/// The reach count shown before sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub subscribers: i64,
    pub area_description: String,
}

/// An alert in its agency's list.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSummary {
    pub id: AlertId,
    pub msg_type: MessageType,
    pub status: AlertStatus,
    pub headline: String,
    pub area_description: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub reach: Option<i64>,
    pub author: String,
}

/// What became of an alert's messages: counts only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Whether the recipients have been listed yet (just after sending, not for a moment).
    pub listed: bool,
    pub recipients: i64,
    pub sent: i64,
    /// Waiting for the subscriber's quiet hours to end (or about to go).
    pub waiting: i64,
    /// Of those sent or waiting, how many were held for quiet hours when it was sent.
    pub held: i64,
    pub bounced: i64,
    /// Not sent: the subscriber unsubscribed, or the alert was cancelled or updated first.
    pub withdrawn: i64,
    /// Unsubscribed by the link in this alert's message.
    pub unsubscribed: i64,
}

/// One alert in full, for its page.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertView {
    pub summary: AlertSummary,
    pub agency_id: AgencyId,
    pub content: AlertContent,
    pub topic_names: Vec<String>,
    pub area: StoredArea,
    pub amends: Option<AlertId>,
    /// The update or cancellation that amended it, if any.
    pub amended_by: Option<AlertId>,
    pub decline_reason: Option<String>,
    pub decided_by: Option<String>,
    pub report: DeliveryReport,
    /// Whether the actor wrote it (an author never approves their own).
    pub by_actor: bool,
}

#[derive(sqlx::FromRow)]
pub(crate) struct AlertRow {
    pub id: AlertId,
    pub agency_id: AgencyId,
    pub author_id: String,
    pub msg_type: String,
    pub amends_id: Option<AlertId>,
    pub status: String,
    pub headline: String,
    pub description: String,
    pub instruction: String,
    pub reference: Option<String>,
    pub contact: String,
    pub topics_mask: i64,
    pub urgency: String,
    pub severity: String,
    pub certainty: String,
    pub level: i64,
    pub area: String,
    pub area_description: String,
    pub exit_control: Flag,
    pub reach: Option<i64>,
    pub created_at: Stamp,
    pub sent_at: Option<Stamp>,
    pub expires_at: Stamp,
    pub decline_reason: Option<String>,
    pub author_name: Option<String>,
    pub decider_name: Option<String>,
}

pub(crate) const ALERT_COLUMNS: &str = "a.id, a.agency_id, a.author_id, a.msg_type, a.amends_id, \
     a.status, a.headline, a.description, a.instruction, a.reference, a.contact, a.topics_mask, \
     a.urgency, a.severity, a.certainty, a.level, a.area, a.area_description, a.exit_control, \
     a.reach, a.created_at, a.sent_at, a.expires_at, a.decline_reason, \
     u.display_name AS author_name, d.display_name AS decider_name";

pub(crate) const ALERT_FROM: &str = "FROM alerts a LEFT JOIN users u ON u.id = a.author_id \
     LEFT JOIN users d ON d.id = a.decided_by";

impl AlertRow {
    pub(crate) fn summary(&self) -> AlertSummary {
        AlertSummary {
            id: self.id.clone(),
            msg_type: MessageType::from_slug(&self.msg_type).unwrap_or(MessageType::Alert),
            status: AlertStatus::from_slug(&self.status).unwrap_or(AlertStatus::Published),
            headline: self.headline.clone(),
            area_description: self.area_description.clone(),
            created_at: self.created_at.0,
            sent_at: self.sent_at.map(|s| s.0),
            expires_at: self.expires_at.0,
            reach: self.reach,
            author: self.author_name.clone().unwrap_or_default(),
        }
    }

    pub(crate) fn content(&self, all: &[topics::Topic]) -> AlertContent {
        AlertContent {
            headline: self.headline.clone(),
            description: self.description.clone(),
            instruction: self.instruction.clone(),
            reference: self.reference.clone(),
            contact: self.contact.clone(),
            topics: topics::ids(all, self.topics_mask),
            urgency: Urgency::from_slug(&self.urgency).unwrap_or(Urgency::Unknown),
            severity: Severity::from_slug(&self.severity).unwrap_or(Severity::Unknown),
            certainty: Certainty::from_slug(&self.certainty).unwrap_or(Certainty::Unknown),
            lasts: self.expires_at.0 - self.sent_at.map_or(self.created_at.0, |s| s.0),
            exit_control: self.exit_control.0,
        }
    }

    pub(crate) fn stored_area(&self) -> Result<StoredArea> {
        serde_json::from_str(&self.area)
            .map_err(|e| StorageError::Corrupt(format!("an alert's area: {e}")))
    }
}

/// The areas an alert may name.
async fn nameable_areas(db: &crate::db::Db) -> Result<Vec<Area>> {
    Ok(crate::areas::list_areas(db)
        .await?
        .into_iter()
        .filter(|a| matches!(a.kind.as_str(), "county" | "district" | "unitary" | "ward"))
        .collect())
}

/// The alert's area from what was asked, with its description in words. A circle is described
/// by the postcode's district (outward code) and area, not the full postcode.
async fn resolve_area(
    db: &crate::db::Db,
    request: AreaRequest,
    areas: &[Area],
) -> Result<(AlertArea, String)> {
    let name_of = |code: &str| {
        areas
            .iter()
            .find(|a| a.gss_code == code)
            .map_or_else(|| code.to_owned(), |a| a.name.clone())
    };
    match request {
        AreaRequest::CircleAroundPostcode { postcode, radius_m } => {
            let parsed = Postcode::parse(&postcode)
                .ok_or_else(|| StorageError::invalid("postcode", "Enter a full UK postcode"))?;
            let Some((point, area)) = crate::postcodes::locate(db, &parsed).await? else {
                return Err(StorageError::invalid(
                    "postcode",
                    "We could not find that postcode in this area. Check it, or enter a postcode nearby",
                ));
            };
            let circle = AlertArea::circle(point, radius_m)
                .map_err(|e| StorageError::invalid("radius_m", &e.0))?;
            let distance = if radius_m >= 1_000.0 {
                format!("{} km", trim_number(radius_m / 1_000.0))
            } else {
                format!("{} metres", trim_number(radius_m))
            };
            let place = match area {
                Some(code) => format!("{}, {}", parsed.outward(), name_of(&code)),
                None => parsed.outward().to_owned(),
            };
            Ok((circle, format!("Within {distance} of a point in {place}")))
        }
        AreaRequest::Ready(a) => {
            let description = match &a {
                AlertArea::Named(codes) => {
                    let names: Vec<String> = codes.iter().map(|c| name_of(c)).collect();
                    crate::alerts::compose::and_list(&names)
                }
                AlertArea::Polygon(_) => "A drawn area".to_owned(),
                AlertArea::Circle { .. } => "A circle".to_owned(),
            };
            Ok((a, description))
        }
    }
}

fn trim_number(v: f64) -> String {
    let s = format!("{v:.1}");
    s.trim_end_matches(".0").to_owned()
}

pub(crate) fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

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
        let options = self.alert_options().await?;
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
        let status = if options.needs_approval {
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
        let all = topics::topics(self.db()).await?;
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
