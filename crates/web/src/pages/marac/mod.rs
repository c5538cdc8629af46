//! MARAC for people: the MARACs one's agency attends (every one, for a coordinator) with their
//! coming meetings and how full each agenda is; scheduling a meeting; an agenda, inside Harbour
//! with names and as circulated with initials; referring a victim from a triaged referral.

pub mod actions;
pub mod cases;
pub mod meetings;
pub mod record;
pub mod refer;
pub mod returns;
pub mod setup;

use crate::access::Staff;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::render;
use askama::Template;
use axum::response::Response;
use chrono::{NaiveDate, Utc};
use harbour_domain::calendar::uk_date;
use harbour_domain::permission::Action;
use harbour_storage::marac::{Marac, MeetingSummary};

pub(crate) fn day(d: &NaiveDate) -> String {
    d.format("%A %-d %B %Y").to_string()
}

/// A MARAC with its coming meetings.
pub struct MaracLine {
    pub marac: Marac,
    pub meetings: Vec<MeetingSummary>,
}

#[derive(Template)]
#[template(path = "marac.html")]
struct MaracPage {
    chrome: Chrome,
    lines: Vec<MaracLine>,
    coordinator: bool,
}

impl MaracPage {
    fn day(&self, d: &NaiveDate) -> String {
        day(d)
    }
}

/// GET /marac
pub async fn home(staff: Staff) -> Result<Response, AppError> {
    let today = uk_date(Utc::now());
    let mut lines = Vec::new();
    for marac in staff.store.maracs().await? {
        let meetings = staff.store.meetings(&marac.id, Some(today)).await?;
        lines.push(MaracLine { marac, meetings });
    }
    Ok(render(&MaracPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/marac"),
        lines,
        coordinator: staff.store.may(Action::ManageMarac),
    }))
}
