//! The public start page, and the signed-in home page: each role's work page, leading with what
//! is waiting for this person now, with counts and links, then the rest of what they do.

use crate::access::{Staff, Visitor};
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::render;
use crate::pages::words::count;
use askama::Template;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use harbour_domain::calendar::uk_date;
use harbour_domain::directory::check_due;
use harbour_domain::permission::Action;
use harbour_storage::referrals::ReferralStatus;

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

/// A link on the home page, with a line saying what it is for.
pub struct Task {
    pub href: String,
    pub label: String,
    pub hint: &'static str,
}

impl Task {
    fn new(href: &str, label: impl Into<String>, hint: &'static str) -> Task {
        Task {
            href: href.to_owned(),
            label: label.into(),
            hint,
        }
    }
}

/// One part of someone's work: what is waiting in it, and what they can do there.
pub struct Section {
    pub title: &'static str,
    /// Counts of what is waiting, as links: "3 referrals overdue".
    pub waiting: Vec<Task>,
    pub tasks: Vec<Task>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    first_name: String,
    roles: Vec<&'static str>,
    sections: Vec<Section>,
    /// The referrals this person made most recently, with where each is.
    recent: Vec<ReferralStatus>,
    can_submit: bool,
    /// Devices the person signed in from for the first time, until they say it was them.
    new_devices: Vec<harbour_storage::own_sessions::NewDevice>,
}

impl HomePage {
    fn when<T: crate::pages::words::Moment + ?Sized>(&self, t: &T) -> String {
        crate::pages::words::when(t)
    }
}

pub async fn home(staff: Staff) -> Result<Response, AppError> {
    let store = &staff.store;
    let may = |a| store.may(a);
    let today = uk_date(Utc::now());
    let mut sections = Vec::new();

    if may(Action::ViewReferrals) {
        let q = store.queue_counts(today).await?;
        let mut waiting = vec![Task::new(
            "/referrals/queue",
            count(
                q.waiting,
                "referral waiting for triage",
                "referrals waiting for triage",
            ),
            "Oldest first, with when each is due",
        )];
        if q.overdue > 0 {
            waiting.push(Task::new(
                "/referrals/queue?overdue=yes",
                count(q.overdue, "referral overdue", "referrals overdue"),
                "Past the 2 working days to reach support services",
            ));
        }
        if q.due_today > 0 {
            waiting.push(Task::new(
                "/referrals/queue",
                count(q.due_today, "referral due today", "referrals due today"),
                "Due with support services by the end of today",
            ));
        }
        if q.details_differ > 0 {
            waiting.push(Task::new(
                "/referrals/queue",
                count(
                    q.details_differ,
                    "referral whose details differ from what we hold",
                    "referrals whose details differ from what we hold",
                ),
                "Check and confirm the person's details before anyone contacts them",
            ));
        }
        let mut tasks = Vec::new();
        if may(Action::RecognisePeople) {
            let matches = store.count_possible_matches().await?;
            let task = Task::new(
                "/recognition/matches",
                count(
                    matches,
                    "possible match to decide",
                    "possible matches to decide",
                ),
                "New referrals that may be about someone already known",
            );
            if matches > 0 {
                waiting.push(task);
            } else {
                tasks.push(task);
            }
        }
        sections.push(Section {
            title: "Referral queue",
            waiting,
            tasks,
        });
    }
    if may(Action::ReferOnward) {
        let c = store.sent_counts().await?;
        let mut waiting = Vec::new();
        if c.declined > 0 {
            waiting.push(Task::new(
                "/onward",
                count(
                    c.declined,
                    "declined referral to re-route",
                    "declined referrals to re-route",
                ),
                "A service said no: choose another, or close it",
            ));
        }
        if c.overdue > 0 {
            waiting.push(Task::new(
                "/onward",
                count(c.overdue, "referral on overdue", "referrals on overdue"),
                "A service has not answered or made contact in time",
            ));
        }
        sections.push(Section {
            title: "Referrals on to services",
            waiting,
            tasks: vec![Task::new(
                "/onward",
                count(c.open, "referral on still open", "referrals on still open"),
                "Follow each until the service has taken the person on",
            )],
        });
    }
    if may(Action::ReceiveReferrals) {
        let c = store.inbox_counts().await?;
        let mut waiting = vec![Task::new(
            "/inbox",
            count(
                c.awaiting_answer,
                "referral waiting for your answer",
                "referrals waiting for your answer",
            ),
            "Accept or decline each referral sent to your service",
        )];
        if c.overdue > 0 {
            waiting.push(Task::new(
                "/inbox",
                count(c.overdue, "referral overdue", "referrals overdue"),
                "A deadline to answer or make contact has passed",
            ));
        }
        sections.push(Section {
            title: "Your inbox",
            waiting,
            tasks: vec![Task::new(
                "/inbox",
                count(c.open, "referral open", "referrals open"),
                "Everyone your service is working with through Harbour",
            )],
        });
    }
    if may(Action::WorkCases) {
        let c = store.case_counts().await?;
        let mut waiting = Vec::new();
        if c.mine_review_overdue > 0 {
            waiting.push(Task::new(
                "/cases?review=overdue",
                count(
                    c.mine_review_overdue,
                    "case of yours overdue for review",
                    "cases of yours overdue for review",
                ),
                "Review the plan and the risk with the person",
            ));
        }
        if c.agency_unallocated > 0 {
            waiting.push(Task::new(
                "/cases?whose=unallocated",
                count(
                    c.agency_unallocated,
                    "case waiting for a caseworker",
                    "cases waiting for a caseworker",
                ),
                "Allocate each to someone in your service",
            ));
        }
        if c.agency_review_overdue > 0 {
            waiting.push(Task::new(
                "/cases?whose=everyone&review=overdue",
                count(
                    c.agency_review_overdue,
                    "case in your service overdue for review",
                    "cases in your service overdue for review",
                ),
                "Across the whole team",
            ));
        }
        let mut tasks = vec![Task::new(
            "/cases",
            count(c.mine_open, "open case of yours", "open cases of yours"),
            "Your caseload: notes, reviews and last contact",
        )];
        if may(Action::ManageCases) {
            tasks.push(Task::new(
                "/cases?whose=everyone",
                "Your service's caseload",
                "Everyone's cases: allocate and reassign them",
            ));
        }
        sections.push(Section {
            title: "Cases",
            waiting,
            tasks,
        });
    }
    if may(Action::AttendMarac) {
        let maracs = store.maracs().await?;
        if !maracs.is_empty() {
            let names: Vec<&str> = maracs.iter().map(|m| m.name.as_str()).collect();
            let c = store.marac_counts().await?;
            let mut waiting = Vec::new();
            if c.actions_overdue > 0 {
                waiting.push(Task::new(
                    "/marac/actions",
                    count(
                        c.actions_overdue,
                        "MARAC action of your agency's overdue",
                        "MARAC actions of your agency's overdue",
                    ),
                    "Say what was done, or why it was not possible",
                ));
            }
            if c.unlisted > 0 {
                waiting.push(Task::new(
                    "/marac",
                    count(
                        c.unlisted,
                        "MARAC case waiting for a meeting",
                        "MARAC cases waiting for a meeting",
                    ),
                    "Schedule a meeting: they are listed when one has room",
                ));
            }
            let mut tasks_extra = Vec::new();
            if c.actions_open > 0 {
                tasks_extra.push(Task::new(
                    "/marac/actions",
                    count(
                        c.actions_open,
                        "open MARAC action of your agency's",
                        "open MARAC actions of your agency's",
                    ),
                    "Agreed at MARAC meetings, owned by your agency",
                ));
            }
            sections.push(Section {
                title: "MARAC",
                waiting,
                tasks: vec![Task::new(
                    "/marac",
                    if may(Action::ManageMarac) {
                        "MARAC meetings and agendas: schedule and run them".to_owned()
                    } else {
                        format!("MARAC meetings and agendas: {}", names.join(", "))
                    },
                    "The conference for the highest-risk domestic-abuse cases",
                )]
                .into_iter()
                .chain(tasks_extra)
                .collect(),
            });
        }
    }
    let can_submit = may(Action::SubmitReferral);
    let mut recent = Vec::new();
    if can_submit {
        let drafts = store.drafts().await?.len();
        let mut tasks = vec![Task::new(
            "/referrals/mine",
            "Your referrals",
            "Where each referral you made is now, and your drafts",
        )];
        if may(Action::ImportReferrals) {
            tasks.push(Task::new(
                "/referrals/import",
                "Upload a file of referrals",
                "A file from your records system, checked line by line",
            ));
        }
        let waiting = if drafts > 0 {
            vec![Task::new(
                "/referrals/mine",
                count(drafts, "draft not yet sent", "drafts not yet sent"),
                "Finish and send them",
            )]
        } else {
            Vec::new()
        };
        recent = store.own_referrals(5).await?;
        sections.push(Section {
            title: "Referrals you make",
            waiting,
            tasks,
        });
    }
    if may(Action::SendAlerts) || may(Action::ApproveAlerts) {
        let alerts = store.agency_alerts().await?;
        let waiting = alerts
            .iter()
            .filter(|a| a.status == harbour_domain::alerts::message::AlertStatus::AwaitingApproval)
            .count();
        let mut tasks = Vec::new();
        if may(Action::SendAlerts) {
            tasks.push(Task::new(
                "/community-alerts/new",
                "Write a community alert",
                "Warn the residents and businesses near an incident; see how many it reaches before you send it",
            ));
        }
        tasks.push(Task::new(
            "/community-alerts",
            "Your agency's alerts",
            "What was sent, how many it reached, updates and cancellations",
        ));
        sections.push(Section {
            title: "Community alerts",
            waiting: if waiting > 0 && may(Action::ApproveAlerts) {
                vec![Task::new(
                    "/community-alerts",
                    count(
                        waiting,
                        "alert waiting for approval",
                        "alerts waiting for approval",
                    ),
                    "A colleague's alert waits for someone else to approve it",
                )]
            } else {
                Vec::new()
            },
            tasks,
        });
    }
    if may(Action::ViewStatistics) {
        sections.push(Section {
            title: "Reports",
            waiting: Vec::new(),
            tasks: vec![
                Task::new(
                    "/reports",
                    "The report pack for last quarter",
                    "Referrals and rates by area, unusual months, the funnel, timeliness, referrals on, outcomes, repeats and MARAC",
                ),
                Task::new(
                    "/reports#choose",
                    "Choose another period, area or comparison",
                    "A month, a quarter, a financial year or dates you choose, against the period before or a year earlier",
                ),
            ],
        });
    }
    if may(Action::ManageRetention)
        || may(Action::HoldRecords)
        || may(Action::HandleErasureRequests)
        || may(Action::AnswerSubjectAccess)
    {
        let mut waiting = Vec::new();
        let mut tasks = Vec::new();
        if may(Action::ManageRetention) {
            if let Some(run) = store.retention_run_waiting().await? {
                waiting.push(Task::new(
                    "/retention",
                    count(
                        run.due(),
                        "record is due for erasure",
                        "records are due for erasure",
                    ),
                    "Tonight's retention run waits for you to approve or decline it",
                ));
            }
            tasks.push(Task::new(
                "/retention",
                "Retention and erasure",
                "How long each kind of record is kept and why; approve each night's erasure",
            ));
        }
        if may(Action::AnswerSubjectAccess) {
            let (open, soon) = store.subject_access_open().await?;
            if open > 0 {
                waiting.push(Task::new(
                    "/subject-access",
                    count(
                        open,
                        "subject access request to answer",
                        "subject access requests to answer",
                    ),
                    if soon > 0 {
                        "Some must be answered within a week"
                    } else {
                        "Each must be answered within a calendar month of arriving"
                    },
                ));
            }
            tasks.push(Task::new(
                "/subject-access",
                "Subject access requests",
                "Gather what the partnership holds about a person who asks, review it and send it",
            ));
        }
        if may(Action::HandleErasureRequests) {
            let (open, soon) = store.erasure_requests_open().await?;
            if open > 0 {
                waiting.push(Task::new(
                    "/retention/requests",
                    count(
                        open,
                        "erasure request to answer",
                        "erasure requests to answer",
                    ),
                    if soon > 0 {
                        "Some must be answered within a week"
                    } else {
                        "Each must be answered within a calendar month of arriving"
                    },
                ));
            }
            tasks.push(Task::new(
                "/retention/requests",
                "Erasure requests",
                "Record a person's request to erase their records, and decide it",
            ));
        }
        if may(Action::HoldRecords) {
            tasks.push(Task::new(
                "/retention/holds",
                "Legal holds",
                "Keep a person's records from erasure while a review, claim or inquiry needs them",
            ));
        }
        sections.push(Section {
            title: "Data protection",
            waiting,
            tasks,
        });
    }
    let mut admin = Vec::new();
    let mut admin_waiting = Vec::new();
    if may(Action::ManageAgencies) {
        admin.push(Task::new(
            "/admin/agencies",
            "Agencies and API tokens",
            "Add agencies, the areas they serve, their API tokens, webhooks and single sign-on",
        ));
    } else if may(Action::ViewAgencies) {
        admin.push(Task::new(
            "/admin/agencies",
            "Agencies in the partnership",
            "Who is in the partnership and where they work",
        ));
    }
    if may(Action::ManageRecognition) {
        admin.push(Task::new(
            "/admin/recognition",
            "Person recognition",
            "How sure Harbour must be to join a referral to someone known; train it again",
        ));
    }
    if may(Action::ManagePeople) {
        admin.push(Task::new(
            "/admin/people",
            "People",
            "Add staff, give them roles, deactivate accounts",
        ));
    } else if may(Action::ViewPeople) {
        admin.push(Task::new("/admin/people", "People", "Staff in your agency"));
    }
    if may(Action::ViewDirectory) {
        if may(Action::ManageDirectory) {
            let agency = store.actor().agency_id.clone();
            let everything = may(Action::ManageAgencies);
            let due = store
                .list_directory()
                .await?
                .iter()
                .filter(|s| everything || s.agency_id.as_deref() == Some(agency.as_str()))
                .filter(|s| {
                    check_due(
                        s.last_checked_on.as_deref().and_then(|d| d.parse().ok()),
                        today,
                    )
                })
                .count();
            if due > 0 {
                admin_waiting.push(Task::new(
                    if everything {
                        "/directory"
                    } else {
                        "/directory?mine=yes"
                    },
                    count(
                        due,
                        "directory entry due for a check",
                        "directory entries due for a check",
                    ),
                    "Not checked for six months: confirm or correct them",
                ));
            }
        }
        admin.push(Task::new(
            "/directory",
            "Service directory",
            "The partnership's services, who they are for and how to refer",
        ));
    }
    if may(Action::ManageAlertTopics) {
        admin.push(Task::new(
            "/admin/alert-topics",
            "Community alerts topics",
            "The topics subscribers choose from and alerts are about: add them, retire them",
        ));
    }
    if may(Action::SupportSubscribers) {
        admin.push(Task::new(
            "/admin/subscribers",
            "Help an alerts subscriber",
            "Find a community alerts subscription by its address, send its owner a link, or delete it",
        ));
    }
    if may(Action::ViewCoverage) {
        admin.push(Task::new(
            "/coverage",
            "Coverage",
            "Services per area and need, and where there are none",
        ));
    }
    if may(Action::ViewAudit) {
        admin.push(Task::new(
            "/audit",
            "Audit trail",
            "Who read or changed what, and when",
        ));
    }
    admin.push(Task::new(
        "/account",
        "Your account",
        "Your details and password, and where you are signed in",
    ));
    sections.push(Section {
        title: "Also",
        waiting: admin_waiting,
        tasks: admin,
    });
    let session = &staff.signed_in.session;
    Ok(render(&HomePage {
        first_name: session
            .display_name
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_owned(),
        roles: session.roles.iter().map(|r| r.label()).collect(),
        sections,
        recent,
        can_submit,
        new_devices: store.new_devices().await?,
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/home"),
    }))
}
