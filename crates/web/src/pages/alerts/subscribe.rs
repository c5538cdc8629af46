//! Subscribing without an account, and keeping a subscription by the signed links e-mailed to its
//! owner: sign up (nothing is sent before the address is confirmed), confirm, change
//! preferences, unsubscribe in one click, delete everything held.
//!
//! The sign-up form carries a signed, timed token and a field people never see, as the
//! self-referral form does, and is rate-limited per network address. What it says afterwards is
//! the same whether or not the address was already subscribed. A link's token goes in the path,
//! which the request log never records (it logs the route's template).

use crate::access::Visitor;
use crate::error::AppError;
use crate::forms::{FormData, WebForm};
use crate::pages::alerts::choices;
use crate::pages::chrome::Chrome;
use crate::pages::self_referral::{TokenCheck, check_token, new_token};
use crate::pages::{render, render_invalid};
use crate::state::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{Extensions, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use harbour_domain::alerts::subscription::{
    AgeGroup, BusinessSector, Priority, SubscriberKind, SubscriptionInput,
};
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::alerts::owner::{self, LinkRefused};
use harbour_storage::alerts::subscribers;
use harbour_storage::alerts::topics::topics;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

const HONEYPOT: &str = "website";

#[derive(Template)]
#[template(path = "alert_subscribe.html")]
struct FormPage {
    chrome: Chrome,
    /// Set for the sign-up; empty for preferences, which post to their own link.
    token: String,
    action: String,
    signing_up: bool,
    email: String,
    form: FormData,
    errors: FieldErrors,
    topics: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    sectors: Vec<(String, String)>,
    ages: Vec<(String, String)>,
    priorities: Vec<(String, String)>,
    honeypot: &'static str,
}

impl FormPage {
    fn v(&self, name: &str) -> String {
        self.form.get(name).to_owned()
    }
    fn chosen(&self) -> Vec<String> {
        self.form.get_all("topics")
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    chrome: Chrome,
    signing_up: bool,
    action: String,
    email: String,
    form: FormData,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let all = topics(&state.db).await?;
    let page = FormPage {
        chrome: chrome.exit_only_if(false),
        token: if signing_up {
            new_token(state)
        } else {
            String::new()
        },
        action,
        signing_up,
        email,
        form,
        topics: all
            .iter()
            .filter(|t| t.sector.is_none())
            .map(|t| (t.id.clone(), format!("{} — {}", t.name, t.hint)))
            .collect(),
        kinds: choices(
            SubscriberKind::ALL,
            SubscriberKind::slug,
            SubscriberKind::label,
        ),
        sectors: choices(
            BusinessSector::ALL,
            BusinessSector::slug,
            BusinessSector::label,
        ),
        ages: choices(&AgeGroup::ALL[1..], AgeGroup::slug, AgeGroup::label)
            .into_iter()
            .chain([(
                AgeGroup::Under12.slug().to_owned(),
                AgeGroup::Under12.label().to_owned(),
            )])
            .collect(),
        priorities: choices(Priority::ALL, Priority::slug, Priority::label),
        honeypot: HONEYPOT,
        errors,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

fn input_from(form: &FormData) -> SubscriptionInput {
    SubscriptionInput {
        email: form.get("email").to_owned(),
        kind: form.get("kind").to_owned(),
        sector: form.get("sector").to_owned(),
        age_group: form.get("age_group").to_owned(),
        postcode: form.get("postcode").to_owned(),
        second_postcode: form.get("second_postcode").to_owned(),
        topics: form.get_all("topics"),
        priority: form.get("priority").to_owned(),
        quiet_from: form.get("quiet_from").to_owned(),
        quiet_until: form.get("quiet_until").to_owned(),
    }
}

#[derive(Template)]
#[template(path = "alert_message.html")]
struct MessagePage {
    chrome: Chrome,
    heading: String,
    paragraphs: Vec<String>,
    /// A form to post, for a step that must not happen on merely opening a link (mail
    /// programs open links to check them): (action, button).
    button: Option<(String, String)>,
    warning: bool,
    /// A link onward: (href, text).
    link: Option<(String, String)>,
}

fn message(
    v: Option<&crate::access::SignedIn>,
    status: StatusCode,
    heading: &str,
    paragraphs: &[&str],
    button: Option<(String, &str)>,
) -> Response {
    let mut r = render(&MessagePage {
        chrome: Chrome::maybe(v).exit_only_if(false),
        heading: heading.to_owned(),
        paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
        warning: button.as_ref().is_some_and(|(a, _)| a.contains("/delete")),
        button: button.map(|(a, b)| (a, b.to_owned())),
        link: None,
    });
    *r.status_mut() = status;
    r
}

fn refused(v: Option<&crate::access::SignedIn>, why: LinkRefused) -> Response {
    match why {
        LinkRefused::Expired => message(
            v,
            StatusCode::GONE,
            "This link has expired",
            &[
                "Links to confirm a subscription last 7 days; links to change one last 90 days.",
                "You can sign up again, or ask for a new link to change your alerts.",
            ],
            None,
        ),
        LinkRefused::Invalid | LinkRefused::Gone => message(
            v,
            StatusCode::NOT_FOUND,
            "This link does not work",
            &[
                "It may have been copied incompletely, replaced by a newer link, or the subscription it was for has been deleted.",
                "You can sign up again, or ask for a new link to change your alerts.",
            ],
            None,
        ),
    }
}

/// GET /alerts/subscribe
pub async fn form(
    State(state): State<AppState>,
    Visitor(v): Visitor,
) -> Result<Response, AppError> {
    form_page(
        &state,
        Chrome::maybe(v.as_ref()),
        true,
        "/alerts/subscribe".into(),
        String::new(),
        FormData::default(),
        FieldErrors::new(),
    )
    .await
}

/// POST /alerts/subscribe
pub async fn submit(
    State(state): State<AppState>,
    Visitor(v): Visitor,
    ext: Extensions,
    WebForm(form): WebForm,
) -> Result<Response, AppError> {
    let token = form.get("form_token");
    if token.is_empty() {
        return Err(AppError::CsrfRejected);
    }
    let again = |errors: FieldErrors, form: FormData| {
        form_page(
            &state,
            Chrome::maybe(v.as_ref()),
            true,
            "/alerts/subscribe".into(),
            String::new(),
            form,
            errors,
        )
    };
    let mut errors = FieldErrors::new();
    match check_token(&state, token) {
        TokenCheck::Forged => return Err(AppError::CsrfRejected),
        TokenCheck::Expired => errors.add("email", "This form was open a long time, so it timed out. Nothing was sent: check your answers and send it again"),
        TokenCheck::TooFast => errors.add("email", "This form was sent within seconds of opening, faster than people usually can, so nothing was sent. Check your answers and send it again"),
        TokenCheck::Good => {}
    }
    if !form.get(HONEYPOT).is_empty() {
        return Ok((StatusCode::BAD_REQUEST, "The form could not be accepted.").into_response());
    }
    if !errors.is_empty() {
        return again(errors, form).await;
    }
    let ip = ext
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    if let Err(not_until) = state.alert_signup_limiter.check_key(&ip) {
        errors.add(
            "email",
            "Too many sign-ups have come from your network. Please try again in an hour",
        );
        let wait = not_until.wait_time_from(governor::clock::Clock::now(
            &governor::clock::DefaultClock::default(),
        ));
        let mut r = again(errors, form).await?;
        *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return Ok(crate::pages::sign_in::retry_after(r, wait.as_secs() + 1));
    }
    match subscribers::subscribe(&state.db, &input_from(&form), Utc::now()).await {
        Ok(()) => Ok(message(
            v.as_ref(),
            StatusCode::OK,
            "Check your email",
            &[
                "We have sent a message to the address you gave. Select the link in it to confirm, and your alerts will start.",
                "Nothing will be sent before you confirm. If you do not confirm within 7 days, what you gave us is deleted.",
                "If the message does not arrive within a few minutes, check your spam or junk folder.",
            ],
            None,
        )),
        Err(StorageError::Invalid(found)) => again(found, form).await,
        Err(e) => Err(e.into()),
    }
}

/// GET /alerts/confirm/{token}: a button, since mail programs open links to check them.
pub async fn confirm_page(Visitor(v): Visitor, Path(token): Path<String>) -> Response {
    message(
        v.as_ref(),
        StatusCode::OK,
        "Confirm your subscription",
        &["Confirm to start receiving community alerts at this address."],
        Some((
            format!("/alerts/confirm/{token}"),
            "Confirm and start my alerts",
        )),
    )
}

/// POST /alerts/confirm/{token}
pub async fn confirm(
    State(state): State<AppState>,
    Visitor(v): Visitor,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    Ok(match owner::confirm(&state.db, &token, Utc::now()).await? {
        Ok(()) => message(
            v.as_ref(),
            StatusCode::OK,
            "Your alerts have started",
            &[
                "You will receive community alerts for the places and topics you chose.",
                "Every alert has a link to change what you receive or to stop it.",
            ],
            None,
        ),
        Err(why) => refused(v.as_ref(), why),
    })
}

/// GET /alerts/manage/{token}
pub async fn manage(
    State(state): State<AppState>,
    Visitor(v): Visitor,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    match owner::open(&state.db, &token, Utc::now()).await? {
        Ok(s) => {
            let input = s.as_input();
            form_page(
                &state,
                Chrome::maybe(v.as_ref()),
                false,
                format!("/alerts/manage/{token}"),
                s.email.clone(),
                form_of(&input),
                FieldErrors::new(),
            )
            .await
        }
        Err(why) => Ok(refused(v.as_ref(), why)),
    }
}

fn form_of(i: &SubscriptionInput) -> FormData {
    let mut pairs = vec![
        ("kind".to_owned(), i.kind.clone()),
        ("sector".to_owned(), i.sector.clone()),
        ("age_group".to_owned(), i.age_group.clone()),
        ("postcode".to_owned(), i.postcode.clone()),
        ("second_postcode".to_owned(), i.second_postcode.clone()),
        ("priority".to_owned(), i.priority.clone()),
        ("quiet_from".to_owned(), i.quiet_from.clone()),
        ("quiet_until".to_owned(), i.quiet_until.clone()),
    ];
    pairs.extend(i.topics.iter().map(|t| ("topics".to_owned(), t.clone())));
    FormData::from_pairs(pairs)
}

/// POST /alerts/manage/{token}
pub async fn save(
    State(state): State<AppState>,
    Visitor(v): Visitor,
    Path(token): Path<String>,
    WebForm(form): WebForm,
) -> Result<Response, AppError> {
    let now = Utc::now();
    match owner::update(&state.db, &token, &input_from(&form), now).await {
        Ok(Ok(())) => Ok(Redirect::to(&format!("/alerts/manage/{token}/saved")).into_response()),
        Ok(Err(why)) => Ok(refused(v.as_ref(), why)),
        Err(StorageError::Invalid(found)) => {
            let email = match owner::open(&state.db, &token, now).await? {
                Ok(s) => s.email,
                Err(why) => return Ok(refused(v.as_ref(), why)),
            };
            form_page(
                &state,
                Chrome::maybe(v.as_ref()),
                false,
                format!("/alerts/manage/{token}"),
                email,
                form,
                found,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// GET /alerts/manage/{token}/saved
pub async fn saved(Visitor(v): Visitor, Path(token): Path<String>) -> Response {
    render(&MessagePage {
        chrome: Chrome::maybe(v.as_ref()).exit_only_if(false),
        heading: "Your alerts have been changed".into(),
        paragraphs: vec!["Alerts sent from now on follow your new choices.".into()],
        button: None,
        warning: false,
        link: Some((
            format!("/alerts/manage/{token}"),
            "Back to your alerts".into(),
        )),
    })
}

/// POST /alerts/manage/{token}/delete
pub async fn delete(
    State(state): State<AppState>,
    Visitor(v): Visitor,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    Ok(
        match owner::delete_by_link(&state.db, &token, Utc::now()).await? {
            Ok(()) => gone_page(v.as_ref()),
            Err(why) => refused(v.as_ref(), why),
        },
    )
}

fn gone_page(v: Option<&crate::access::SignedIn>) -> Response {
    message(
        v,
        StatusCode::OK,
        "You have unsubscribed",
        &[
            "You will not receive any more community alerts. We have deleted your subscription and everything we held about it: your email address, the places you chose and your preferences.",
            "You can sign up again at any time.",
        ],
        None,
    )
}

/// GET /alerts/unsubscribe/{token}: one button.
pub async fn unsubscribe_page(Visitor(v): Visitor, Path(token): Path<String>) -> Response {
    message(
        v.as_ref(),
        StatusCode::OK,
        "Stop your community alerts",
        &[
            "This stops every alert to your address and deletes your subscription and everything held about it.",
        ],
        Some((format!("/alerts/unsubscribe/{token}"), "Unsubscribe")),
    )
}

/// POST /alerts/unsubscribe/{token}: the button, and mail programs' own one-click unsubscribe
/// (RFC 8058), which posts here without a page.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Visitor(v): Visitor,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    Ok(
        match owner::delete_by_link(&state.db, &token, Utc::now()).await? {
            Ok(()) => gone_page(v.as_ref()),
            Err(LinkRefused::Gone) => gone_page(v.as_ref()),
            Err(why) => refused(v.as_ref(), why),
        },
    )
}

#[derive(Template)]
#[template(path = "alert_manage_request.html")]
struct RequestPage {
    chrome: Chrome,
    token: String,
    email: String,
    errors: FieldErrors,
    honeypot: &'static str,
}

/// GET /alerts/manage: ask for a link to change one's alerts.
pub async fn request_page(State(state): State<AppState>, Visitor(v): Visitor) -> Response {
    render(&RequestPage {
        chrome: Chrome::maybe(v.as_ref()).exit_only_if(false),
        token: new_token(&state),
        email: String::new(),
        errors: FieldErrors::new(),
        honeypot: HONEYPOT,
    })
}

/// POST /alerts/manage
pub async fn request_link(
    State(state): State<AppState>,
    Visitor(v): Visitor,
    ext: Extensions,
    WebForm(form): WebForm,
) -> Result<Response, AppError> {
    let email = form.get("email").trim().to_owned();
    let mut errors = FieldErrors::new();
    match check_token(&state, form.get("form_token")) {
        TokenCheck::Forged => return Err(AppError::CsrfRejected),
        TokenCheck::Expired => errors.add("email", "This form was open a long time, so it timed out. Send it again"),
        TokenCheck::TooFast => errors.add("email", "This form was sent within seconds of opening, faster than people usually can. Send it again"),
        TokenCheck::Good => {}
    }
    if !form.get(HONEYPOT).is_empty() {
        return Ok((StatusCode::BAD_REQUEST, "The form could not be accepted.").into_response());
    }
    if errors.is_empty() && !harbour_domain::user::is_plausible_email(&email) {
        errors.add(
            "email",
            "Enter an email address in the correct format, like name@example.org",
        );
    }
    if !errors.is_empty() {
        return Ok(render_invalid(&RequestPage {
            chrome: Chrome::maybe(v.as_ref()).exit_only_if(false),
            token: new_token(&state),
            email,
            errors,
            honeypot: HONEYPOT,
        }));
    }
    let ip = ext
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    if state.alert_signup_limiter.check_key(&ip).is_ok() {
        subscribers::request_manage_link(&state.db, &email, Utc::now()).await?;
    }
    Ok(message(
        v.as_ref(),
        StatusCode::OK,
        "Check your email",
        &[
            "If that address receives community alerts, we have sent it a link to change or stop them. The link works for 90 days.",
            "If nothing arrives, the address may not be subscribed: you can sign up instead.",
        ],
        None,
    ))
}
