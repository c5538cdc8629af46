//! The public start page, and the signed-in home page.

use crate::access::{Staff, Visitor};
use crate::pages::chrome::Chrome;
use crate::pages::render;
use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::permission::Action;

#[derive(Template)]
#[template(path = "start.html")]
struct StartPage {
    chrome: Chrome,
}

pub async fn start(Visitor(visitor): Visitor) -> Response {
    if visitor.is_some() {
        return Redirect::to("/home").into_response();
    }
    render(&StartPage {
        chrome: Chrome::signed_out(),
    })
}

pub struct Task {
    pub href: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    first_name: String,
    roles: Vec<&'static str>,
    tasks: Vec<Task>,
}

pub async fn home(staff: Staff) -> Response {
    let may = |a| staff.store.may(a);
    let mut tasks = Vec::new();
    if may(Action::ManageAgencies) {
        tasks.push(Task {
            href: "/admin/agencies",
            label: "Manage agencies",
            hint: "Add agencies, the areas they serve and their API tokens",
        });
    } else if may(Action::ViewAgencies) {
        tasks.push(Task {
            href: "/admin/agencies",
            label: "Agencies in the partnership",
            hint: "Who is in the partnership and where they work",
        });
    }
    if may(Action::ManagePeople) {
        tasks.push(Task {
            href: "/admin/people",
            label: "Manage people",
            hint: "Add staff, give them roles, deactivate accounts",
        });
    } else if may(Action::ViewPeople) {
        tasks.push(Task {
            href: "/admin/people",
            label: "People",
            hint: "Staff in your agency",
        });
    }
    if may(Action::ViewAudit) {
        tasks.push(Task {
            href: "/audit",
            label: "Search the audit trail",
            hint: "Who read or changed what, and when",
        });
    }
    tasks.push(Task {
        href: "/account",
        label: "Your account",
        hint: "Your details, and signing out of every device",
    });
    let session = &staff.signed_in.session;
    render(&HomePage {
        first_name: session
            .display_name
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_owned(),
        roles: session.roles.iter().map(|r| r.label()).collect(),
        tasks,
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/home"),
    })
}
