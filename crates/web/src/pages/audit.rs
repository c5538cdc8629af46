//! The auditor's search of the audit trail, by person, entity, action and date.

use crate::access::Staff;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::Query;
use axum::response::Response;
use chrono::{Days, NaiveDate};
use harbour_domain::audit::{AuditAction, AuditEntry};
use harbour_domain::user::User;
use harbour_domain::validation::FieldErrors;
use harbour_storage::audit::AuditFilter;
use serde::Deserialize;

const PAGE_SIZE: i64 = 50;
const ENTITY_KINDS: [&str; 12] = [
    "referral",
    "referral_draft",
    "person",
    "onward_referral",
    "contact_attempt",
    "person_message",
    "directory_service",
    "agency",
    "user",
    "api_token",
    "session",
    "audit_log",
];

/// How a kind of record reads on the page.
fn kind_label(kind: &str) -> &str {
    match kind {
        "agency" => "Agency",
        "user" => "Person (staff account)",
        "api_token" => "API token",
        "session" => "Sign-in session",
        "device" => "Device signed in from",
        "audit_log" => "Audit trail",
        "referral" => "Referral",
        "referral_draft" => "Referral draft",
        "person" => "Person referred",
        "onward_referral" => "Referral on to a service",
        "contact_attempt" => "Contact attempt",
        "person_message" => "Message to a person",
        "directory_service" => "Directory entry",
        "directory" => "Service directory",
        _ => "Other record",
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    person: String,
    #[serde(default)]
    entity_kind: String,
    #[serde(default)]
    entity_id: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    q: AuditQuery,
    people: Vec<User>,
    entries: Vec<AuditEntry>,
    searched: bool,
    next_page: Option<String>,
    entity_kinds: [&'static str; 12],
    /// What each record in the entries is called (names and references, not ids).
    record_names: std::collections::HashMap<String, String>,
    actions: [AuditAction; 9],
    errors: FieldErrors,
}

impl AuditPage {
    fn who(&self, entry: &AuditEntry) -> String {
        match &entry.actor_user_id {
            None => "Harbour (system)".to_owned(),
            Some(id) => self.people.iter().find(|p| p.id == *id).map_or_else(
                || id.clone(),
                |p| format!("{} ({})", p.display_name, p.agency_name),
            ),
        }
    }

    fn kind_label<'k>(&self, kind: &'k str) -> &'k str {
        kind_label(kind)
    }

    fn record_name(&self, id: &str) -> Option<&String> {
        self.record_names.get(id)
    }

    fn kind_selected(&self, kind: &str) -> bool {
        self.q.entity_kind == kind
    }

    fn action_label(&self, entry: &AuditEntry) -> &'static str {
        AuditAction::from_slug(&entry.action).map_or("Unknown", AuditAction::label)
    }
}

/// Accepts 2026-11-23 or 23/11/2026.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

fn filter_from(q: &AuditQuery, errors: &mut FieldErrors) -> AuditFilter {
    let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let mut date = |field: &str, value: &str| -> Option<NaiveDate> {
        if value.trim().is_empty() {
            return None;
        }
        let parsed = parse_date(value);
        if parsed.is_none() {
            errors.add(field, "Enter a real date, for example 23/11/2026");
        }
        parsed
    };
    let from = date("from", &q.from);
    let to = date("to", &q.to);
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.add(
            "to",
            "The end date must be the same as or after the start date",
        );
    }
    if !q.action.is_empty() && AuditAction::from_slug(&q.action).is_none() {
        errors.add("action", "Select an action from the list");
    }
    if !q.entity_kind.is_empty() && !ENTITY_KINDS.contains(&q.entity_kind.as_str()) {
        errors.add("entity_kind", "Select a kind of record from the list");
    }
    AuditFilter {
        actor_user_id: some(&q.person),
        entity_kind: some(&q.entity_kind),
        entity_id: some(&q.entity_id),
        action: some(&q.action),
        from: from.map(|d| format!("{d}T00:00:00Z")),
        // The end date is inclusive: search up to the start of the next day.
        until: to
            .and_then(|d| d.checked_add_days(Days::new(1)))
            .map(|d| format!("{d}T00:00:00Z")),
        before_seq: q.before,
        limit: PAGE_SIZE,
    }
}

pub async fn search(staff: Staff, Query(q): Query<AuditQuery>) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    let filter = filter_from(&q, &mut errors);
    let entries = if errors.is_empty() {
        staff.store.search_audit(&filter).await?
    } else {
        Vec::new()
    };
    let next_page = (entries.len() as i64 == PAGE_SIZE)
        .then(|| entries.last().map(|e| e.seq))
        .flatten()
        .map(|seq| {
            serde_urlencoded::to_string([
                ("person", q.person.as_str()),
                ("entity_kind", &q.entity_kind),
                ("entity_id", &q.entity_id),
                ("action", &q.action),
                ("from", &q.from),
                ("to", &q.to),
                ("before", &seq.to_string()),
            ])
            .unwrap_or_default()
        });
    let record_names = staff.store.audit_record_names(&entries).await?;
    let page = AuditPage {
        record_names,
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/audit"),
        people: staff.store.list_users().await?,
        searched: true,
        entries,
        next_page,
        entity_kinds: ENTITY_KINDS,
        actions: AuditAction::ALL,
        q,
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}
