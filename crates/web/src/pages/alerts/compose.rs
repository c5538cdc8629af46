//! Staff pages for community alerts: the agency's alerts, writing one (with the number of
//! subscribers it would reach shown before it is sent), approving a colleague's, and updating or
//! cancelling one that was sent. The author sees counts, never who.

use crate::access::Staff;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::alerts::{certainty_choices, severity_choices, urgency_choices};
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use askama::Template;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::alerts::area::DEFAULT_RADIUS_M;
use harbour_domain::alerts::message::{AlertInput, AlertStatus, EXPIRY_CHOICES, MessageType};
use harbour_domain::ids::AlertId;
use harbour_domain::permission::Action;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::alerts::alert::{AlertOptions, AlertSummary, AlertView, Reach, StoredArea};

#[derive(Template)]
#[template(path = "community_alerts.html")]
struct ListPage {
    chrome: Chrome,
    alerts: Vec<AlertSummary>,
    may_send: bool,
    may_approve: bool,
}

impl ListPage {
    fn when(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        crate::pages::words::when(t)
    }
    fn waiting(&self) -> Vec<&AlertSummary> {
        self.alerts
            .iter()
            .filter(|a| a.status == AlertStatus::AwaitingApproval)
            .collect()
    }
    fn status(&self, a: &AlertSummary) -> String {
        status_words(a)
    }
}

fn status_words(a: &AlertSummary) -> String {
    if a.msg_type == MessageType::Cancel {
        return "Cancellation sent".into();
    }
    if a.status == AlertStatus::Published && a.expires_at <= chrono::Utc::now() {
        return "Expired".into();
    }
    a.status.label().to_owned()
}

/// GET /community-alerts
pub async fn list(staff: Staff) -> Result<Response, AppError> {
    Ok(render(&ListPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/community-alerts"),
        alerts: staff.store.agency_alerts().await?,
        may_send: staff.store.may(Action::SendAlerts),
        may_approve: staff.store.may(Action::ApproveAlerts),
    }))
}

#[derive(Template)]
#[template(path = "alert_compose.html")]
struct ComposePage {
    chrome: Chrome,
    action: String,
    heading: String,
    /// The alert an update amends.
    amends: Option<AlertView>,
    form: FormData,
    errors: FieldErrors,
    options: AlertOptions,
    reach: Option<Reach>,
    urgencies: Vec<(String, String)>,
    severities: Vec<(String, String)>,
    certainties: Vec<(String, String)>,
    expiries: Vec<(String, String)>,
    area_kinds: Vec<(String, String)>,
    topic_choices: Vec<(String, String)>,
    area_choices: Vec<(String, String)>,
}

impl ComposePage {
    fn v(&self, name: &str) -> String {
        self.form.get(name).to_owned()
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.form.get_all(name)
    }
}

async fn compose_page(
    staff: &Staff,
    action: String,
    amends: Option<AlertView>,
    form: FormData,
    errors: FieldErrors,
    reach: Option<Reach>,
) -> Result<Response, AppError> {
    let options = staff.store.alert_options().await?;
    let page = ComposePage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/community-alerts"),
        heading: if amends.is_some() {
            "Update an alert".into()
        } else {
            "Write a community alert".into()
        },
        action,
        amends,
        form,
        errors,
        reach,
        urgencies: urgency_choices(),
        severities: severity_choices(),
        certainties: certainty_choices(),
        expiries: EXPIRY_CHOICES
            .iter()
            .map(|(h, l)| (h.to_string(), (*l).to_owned()))
            .collect(),
        area_kinds: vec![
            ("circle".into(), "A circle around a postcode".into()),
            ("named".into(), "Whole areas".into()),
            ("polygon".into(), "A shape you draw".into()),
        ],
        topic_choices: options
            .topics
            .iter()
            .map(|t| (t.id.clone(), t.name.clone()))
            .collect(),
        area_choices: options
            .areas
            .iter()
            .map(|a| (a.gss_code.clone(), a.name.clone()))
            .collect(),
        options,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

fn input_from(form: &FormData) -> AlertInput {
    AlertInput {
        headline: form.get("headline").to_owned(),
        description: form.get("description").to_owned(),
        instruction: form.get("instruction").to_owned(),
        reference: form.get("reference").to_owned(),
        contact: form.get("contact").to_owned(),
        topics: form.get_all("topics"),
        urgency: form.get("urgency").to_owned(),
        severity: form.get("severity").to_owned(),
        certainty: form.get("certainty").to_owned(),
        expires_hours: form.get("expires_hours").to_owned(),
        area_kind: form.get("area_kind").to_owned(),
        postcode: form.get("postcode").to_owned(),
        radius_m: form.get("radius_m").to_owned(),
        areas: form.get_all("areas"),
        polygon: form.get("polygon").to_owned(),
        exit_control: form.get("exit_control") == "yes",
    }
}

fn starting_form() -> FormData {
    FormData::from_pairs(vec![
        ("area_kind".into(), "circle".into()),
        ("radius_m".into(), format!("{DEFAULT_RADIUS_M:.0}")),
        ("urgency".into(), "Expected".into()),
        ("severity".into(), "Moderate".into()),
        ("certainty".into(), "Observed".into()),
        ("expires_hours".into(), "72".into()),
        (
            "contact".into(),
            "Call 101, quoting the reference, or report online. In an emergency call 999.".into(),
        ),
    ])
}

/// GET /community-alerts/new
pub async fn new(staff: Staff) -> Result<Response, AppError> {
    compose_page(
        &staff,
        "/community-alerts/new".into(),
        None,
        starting_form(),
        FieldErrors::new(),
        None,
    )
    .await
}

/// POST /community-alerts/new and POST /community-alerts/{id}/update: "Check who it reaches"
/// shows the count under the form, with the send button; "Send" sends.
async fn compose_post(
    staff: Staff,
    action: String,
    amends: Option<AlertId>,
    form: FormData,
) -> Result<Response, AppError> {
    let input = input_from(&form);
    let amended = match &amends {
        Some(id) => Some(staff.store.alert(id).await?),
        None => None,
    };
    if form.get("go") == "send" {
        return match staff.store.send_alert(&input, amends.as_ref()).await {
            Ok(id) => Ok(Redirect::to(&format!("/community-alerts/{id}?sent=1")).into_response()),
            Err(StorageError::Invalid(errors)) => {
                compose_page(&staff, action, amended, form, errors, None).await
            }
            Err(e) => Err(e.into()),
        };
    }
    match staff.store.alert_reach(&input).await {
        Ok(reach) => {
            compose_page(
                &staff,
                action,
                amended,
                form,
                FieldErrors::new(),
                Some(reach),
            )
            .await
        }
        Err(StorageError::Invalid(errors)) => {
            compose_page(&staff, action, amended, form, errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /community-alerts/new
pub async fn create(staff: Staff, CsrfForm(form): CsrfForm) -> Result<Response, AppError> {
    compose_post(staff, "/community-alerts/new".into(), None, form).await
}

/// The form filled with a sent alert, to update it.
fn form_of(a: &AlertView) -> FormData {
    let c = &a.content;
    let mut pairs: Vec<(String, String)> = vec![
        ("headline".into(), c.headline.clone()),
        ("description".into(), c.description.clone()),
        ("instruction".into(), c.instruction.clone()),
        ("reference".into(), c.reference.clone().unwrap_or_default()),
        ("contact".into(), c.contact.clone()),
        ("urgency".into(), c.urgency.slug().into()),
        ("severity".into(), c.severity.slug().into()),
        ("certainty".into(), c.certainty.slug().into()),
        ("expires_hours".into(), "72".into()),
        (
            "exit_control".into(),
            if c.exit_control { "yes" } else { "" }.into(),
        ),
    ];
    pairs.extend(c.topics.iter().map(|t| ("topics".to_owned(), t.clone())));
    match &a.area {
        StoredArea::Circle { radius_m, .. } => {
            // The centre was a postcode, which is not kept: the author gives it again.
            pairs.push(("area_kind".into(), "circle".into()));
            pairs.push(("radius_m".into(), format!("{radius_m:.0}")));
        }
        StoredArea::Named { codes } => {
            pairs.push(("area_kind".into(), "named".into()));
            pairs.extend(codes.iter().map(|c| ("areas".to_owned(), c.clone())));
        }
        StoredArea::Polygon { corners } => {
            pairs.push(("area_kind".into(), "polygon".into()));
            pairs.push((
                "polygon".into(),
                corners
                    .iter()
                    .map(|[la, lo]| format!("{la},{lo}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            ));
        }
    }
    FormData::from_pairs(pairs)
}

/// GET /community-alerts/{id}/update
pub async fn update_form(staff: Staff, Path(id): Path<AlertId>) -> Result<Response, AppError> {
    let a = staff.store.alert(&id).await?;
    let form = form_of(&a);
    compose_page(
        &staff,
        format!("/community-alerts/{id}/update"),
        Some(a),
        form,
        FieldErrors::new(),
        None,
    )
    .await
}

/// POST /community-alerts/{id}/update
pub async fn update(
    staff: Staff,
    Path(id): Path<AlertId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    compose_post(
        staff,
        format!("/community-alerts/{id}/update"),
        Some(id),
        form,
    )
    .await
}

#[derive(Template)]
#[template(path = "alert_staff.html")]
struct AlertPage {
    chrome: Chrome,
    a: AlertView,
    status: String,
    sent_now: bool,
    may_send: bool,
    may_approve: bool,
    errors: FieldErrors,
    reason: String,
}

impl AlertPage {
    fn when(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        crate::pages::words::when(t)
    }
    fn live(&self) -> bool {
        self.a.summary.status == AlertStatus::Published
            && self.a.summary.msg_type != MessageType::Cancel
    }
    fn awaiting(&self) -> bool {
        self.a.summary.status == AlertStatus::AwaitingApproval
    }
}

async fn alert_page(
    staff: &Staff,
    id: &AlertId,
    sent_now: bool,
    errors: FieldErrors,
    reason: String,
) -> Result<Response, AppError> {
    let a = staff.store.alert(id).await?;
    let page = AlertPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/community-alerts"),
        status: status_words(&a.summary),
        a,
        sent_now,
        may_send: staff.store.may(Action::SendAlerts),
        may_approve: staff.store.may(Action::ApproveAlerts),
        errors,
        reason,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

/// GET /community-alerts/{id}
pub async fn show(
    staff: Staff,
    Path(id): Path<AlertId>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    alert_page(
        &staff,
        &id,
        q.contains_key("sent"),
        FieldErrors::new(),
        String::new(),
    )
    .await
}

/// POST /community-alerts/{id}/cancel
pub async fn cancel(
    staff: Staff,
    Path(id): Path<AlertId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let reason = form.get("reason").to_owned();
    match staff.store.cancel_alert(&id, &reason).await {
        Ok(c) => Ok(Redirect::to(&format!("/community-alerts/{c}?sent=1")).into_response()),
        Err(StorageError::Invalid(errors)) => {
            alert_page(
                &staff,
                &id,
                false,
                crate::pages::under("cancel/", errors),
                reason,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /community-alerts/{id}/approve
pub async fn approve(
    staff: Staff,
    Path(id): Path<AlertId>,
    CsrfForm(_form): CsrfForm,
) -> Result<Response, AppError> {
    match staff.store.approve_alert(&id).await {
        Ok(()) => Ok(Redirect::to(&format!("/community-alerts/{id}?sent=1")).into_response()),
        Err(StorageError::Invalid(errors)) => {
            alert_page(
                &staff,
                &id,
                false,
                crate::pages::under("decide/", errors),
                String::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// POST /community-alerts/{id}/decline
pub async fn decline(
    staff: Staff,
    Path(id): Path<AlertId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let reason = form.get("reason").to_owned();
    match staff.store.decline_alert(&id, &reason).await {
        Ok(()) => Ok(Redirect::to(&format!("/community-alerts/{id}")).into_response()),
        Err(StorageError::Invalid(errors)) => {
            alert_page(
                &staff,
                &id,
                false,
                crate::pages::under("decide/", errors),
                reason,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
