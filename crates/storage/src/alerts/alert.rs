//! An alert as stored and as the pages see it: its area as kept, the views handed out (the
//! summary in a list, the whole alert with its delivery report), the row they are read from,
//! and finding an alert's area from what its author asked for.

use crate::alerts::topics;
use crate::db::{Flag, Stamp};
use crate::error::{Result, StorageError};
use chrono::{DateTime, Utc};
use harbour_domain::alerts::area::AlertArea;
use harbour_domain::alerts::cap::{Certainty, Severity, Urgency};
use harbour_domain::alerts::message::{AlertContent, AlertStatus, AreaRequest, MessageType};
use harbour_domain::area::Area;
use harbour_domain::ids::{AgencyId, AlertId};
use harbour_domain::place::Point;
use harbour_domain::postcode::Postcode;
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
pub(crate) async fn nameable_areas(db: &crate::db::Db) -> Result<Vec<Area>> {
    Ok(crate::areas::list_areas(db)
        .await?
        .into_iter()
        .filter(|a| matches!(a.kind.as_str(), "county" | "district" | "unitary" | "ward"))
        .collect())
}

/// The alert's area from what was asked, with its description in words. A circle is described
/// by the postcode's district (outward code) and area, not the full postcode.
pub(crate) async fn resolve_area(
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
                    and_list(&names)
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
