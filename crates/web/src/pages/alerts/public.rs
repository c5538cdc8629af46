//! What anyone can read: the alerts current now, each message that was sent (with a banner when
//! it has been updated, cancelled or has expired), its CAP 1.2 message at a stable address, and
//! the Atom feed of current alerts. "Exit this page" shows only on an alert whose author asked
//! for it (an alert about domestic abuse, say), not on every alert.

use crate::access::Visitor;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::render;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use harbour_domain::alerts::cap_xml::{CapArea, CapMessage, FeedEntry, atom_feed, cap_message};
use harbour_domain::alerts::message::{AlertStatus, MessageType};
use harbour_domain::ids::AlertId;
use harbour_storage::alerts::alert::StoredArea;
use harbour_storage::alerts::public::{PublicAlert, current, sent};

/// CAP's `sender`: Harbour's own address, from its public host name.
fn sender(state: &AppState) -> String {
    let host = url::Url::parse(&state.config.public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "harbour.invalid".into());
    format!("alerts@{host}")
}

fn base(state: &AppState) -> &str {
    state.config.public_url.trim_end_matches('/')
}

#[derive(Template)]
#[template(path = "alerts_public.html")]
struct ListPage {
    chrome: Chrome,
    alerts: Vec<PublicAlert>,
}

impl ListPage {
    fn when(&self, t: &chrono::DateTime<Utc>) -> String {
        crate::pages::words::when(t)
    }
}

/// GET /alerts
pub async fn list(
    State(state): State<AppState>,
    Visitor(v): Visitor,
) -> Result<Response, AppError> {
    Ok(render(&ListPage {
        chrome: Chrome::maybe(v.as_ref()).exit_only_if(false),
        alerts: current(&state.db, Utc::now()).await?,
    }))
}

#[derive(Template)]
#[template(path = "alert_public.html")]
struct AlertPage {
    chrome: Chrome,
    a: PublicAlert,
    expired: bool,
}

impl AlertPage {
    fn when(&self, t: &chrono::DateTime<Utc>) -> String {
        crate::pages::words::when(t)
    }
    fn is_cancel(&self) -> bool {
        self.a.msg_type == MessageType::Cancel
    }
    fn was_replaced(&self) -> bool {
        self.a.status == AlertStatus::Superseded
    }
    fn was_cancelled(&self) -> bool {
        self.a.status == AlertStatus::Cancelled
    }
}

/// GET /alerts/{id}
pub async fn show(
    State(state): State<AppState>,
    Visitor(v): Visitor,
    Path(id): Path<AlertId>,
) -> Result<Response, AppError> {
    let a = sent(&state.db, &id).await?.ok_or(AppError::NotFound)?;
    let now = Utc::now();
    Ok(render(&AlertPage {
        chrome: Chrome::maybe(v.as_ref()).exit_only_if(a.content.exit_control),
        expired: a.expires_at <= now && a.status == AlertStatus::Published,
        a,
    }))
}

fn cap_of(state: &AppState, a: &PublicAlert) -> CapMessage {
    let area = match &a.area {
        StoredArea::Circle {
            latitude,
            longitude,
            radius_m,
        } => CapArea::Circle(*latitude, *longitude, radius_m / 1_000.0),
        StoredArea::Polygon { corners } => {
            CapArea::Polygon(corners.iter().map(|[la, lo]| (*la, *lo)).collect())
        }
        StoredArea::Named { codes } => CapArea::Geocodes(codes.clone()),
    };
    CapMessage {
        identifier: a.id.to_string(),
        sender: sender(state),
        sent: a.sent_at,
        msg_type: a.msg_type.slug().to_owned(),
        references: a.references.as_ref().map(|(id, t)| (id.to_string(), *t)),
        event: a.topic_names.join(", "),
        urgency: a.content.urgency,
        severity: a.content.severity,
        certainty: a.content.certainty,
        expires: a.expires_at,
        sender_name: a.sender.clone(),
        headline: a.content.headline.clone(),
        description: a.content.description.clone(),
        instruction: a.content.instruction.clone(),
        web: format!("{}/alerts/{}", base(state), a.id),
        contact: a.content.contact.clone(),
        reference: a.content.reference.clone(),
        area_description: a.area_description.clone(),
        area,
    }
}

/// GET /alerts/{id}/cap.xml: the message as CAP 1.2, at an address that does not change.
pub async fn cap(
    State(state): State<AppState>,
    Path(id): Path<AlertId>,
) -> Result<Response, AppError> {
    let a = sent(&state.db, &id).await?.ok_or(AppError::NotFound)?;
    Ok((
        [(header::CONTENT_TYPE, "application/cap+xml; charset=utf-8")],
        cap_message(&cap_of(&state, &a)),
    )
        .into_response())
}

/// GET /alerts/feed.atom: the current alerts, each linking to its CAP message.
pub async fn feed(State(state): State<AppState>) -> Result<Response, AppError> {
    let now = Utc::now();
    let alerts = current(&state.db, now).await?;
    let base = base(&state);
    let entries: Vec<FeedEntry> = alerts
        .iter()
        .map(|a| FeedEntry {
            id: format!("{base}/alerts/{}", a.id),
            title: a.content.headline.clone(),
            summary: format!("{}. {}", a.area_description, a.content.instruction),
            updated: a.sent_at,
            page: format!("{base}/alerts/{}", a.id),
            cap: format!("{base}/alerts/{}/cap.xml", a.id),
        })
        .collect();
    let updated = alerts.iter().map(|a| a.sent_at).max().unwrap_or(now);
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        atom_feed(
            "Community alerts",
            &format!("{base}/alerts/feed.atom"),
            &format!("{base}/alerts"),
            updated,
            &entries,
        ),
    )
        .into_response())
}
