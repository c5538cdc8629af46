//! An administrator helping a subscriber who asks: find their subscription by its exact
//! address (posted, so the address never goes in a URL), send them a link, or delete it.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::render;
use askama::Template;
use axum::extract::Path;
use axum::response::Response;
use harbour_domain::ids::SubscriberId;
use harbour_domain::validation::FieldErrors;
use harbour_storage::alerts::support::SubscriberSummary;

#[derive(Template)]
#[template(path = "alert_support.html")]
struct SupportPage {
    chrome: Chrome,
    email: String,
    searched: bool,
    found: Option<SubscriberSummary>,
    done: Option<&'static str>,
    errors: FieldErrors,
}

impl SupportPage {
    fn when(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        crate::pages::words::when(t)
    }
}

fn page(staff: &Staff) -> SupportPage {
    SupportPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/admin/subscribers"),
        email: String::new(),
        searched: false,
        found: None,
        done: None,
        errors: FieldErrors::new(),
    }
}

/// GET /admin/subscribers
pub async fn show(staff: Staff) -> Response {
    render(&page(&staff))
}

/// POST /admin/subscribers
pub async fn find(staff: Staff, CsrfForm(form): CsrfForm) -> Result<Response, AppError> {
    let email = form.get("email").trim().to_owned();
    let mut p = page(&staff);
    if !harbour_domain::user::is_plausible_email(&email) {
        p.errors.add(
            "email",
            "Enter the subscriber's email address in full, like name@example.org",
        );
        p.email = email;
        return Ok(crate::pages::render_invalid(&p));
    }
    p.found = staff.store.find_subscriber(&email).await?;
    p.searched = true;
    p.email = email;
    Ok(render(&p))
}

/// POST /admin/subscribers/{id}/link
pub async fn link(
    staff: Staff,
    Path(id): Path<SubscriberId>,
    CsrfForm(_form): CsrfForm,
) -> Result<Response, AppError> {
    let sent = staff.store.send_subscriber_link(&id).await?;
    let mut p = page(&staff);
    p.done = Some(if sent {
        "A link has been e-mailed to the subscriber."
    } else {
        "A link was e-mailed to the subscriber a few minutes ago, so another was not sent."
    });
    Ok(render(&p))
}

/// POST /admin/subscribers/{id}/delete
pub async fn delete(
    staff: Staff,
    Path(id): Path<SubscriberId>,
    CsrfForm(_form): CsrfForm,
) -> Result<Response, AppError> {
    staff.store.delete_subscriber(&id).await?;
    let mut p = page(&staff);
    p.done = Some("The subscription and everything held about it have been deleted.");
    Ok(render(&p))
}
