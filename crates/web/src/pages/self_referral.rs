//! Asking for help without an account: the public self-referral pages.
//!
//! As few questions as possible; how and when it is safe to be contacted; what happens next.
//! "Exit this page" on every one. No cookie is set and nothing personal goes in a URL. The form
//! carries a signed, timed token instead of a CSRF cookie: it proves the form came from here, turns
//! away robots that post too fast, and makes a double submit create one referral. A hidden field
//! that people never see catches robots that fill in everything. Rate-limited per address.

use crate::access::{Visitor, request_id};
use crate::error::AppError;
use crate::forms::FormData;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use crate::state::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, StatusCode};
use axum::response::{IntoResponse, Response};
use harbour_domain::area::Area;
use harbour_domain::referral::{PersonInput, ReferralInput};
use harbour_domain::safe_contact::{ChannelInput, SafeContactInput, SafeTimeInput};
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::areas::list_areas;
use harbour_storage::intake::Submitted;
use harbour_storage::referrals::submit_self_referral;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

const MAX_FORM_AGE_SECONDS: i64 = 2 * 60 * 60;
const HONEYPOT: &str = "website";

const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

pub(crate) fn sign(state: &AppState, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(state.form_key.as_slice())
        .unwrap_or_else(|_| unreachable!("any key length works"));
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// `issued.nonce.signature`
pub(crate) fn new_token(state: &AppState) -> String {
    use rand::RngCore;
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let message = format!("{}.{}", chrono::Utc::now().timestamp(), hex::encode(nonce));
    format!("{message}.{}", sign(state, &message))
}

pub(crate) enum TokenCheck {
    Good,
    TooFast,
    Expired,
    Forged,
}

pub(crate) fn check_token(state: &AppState, token: &str) -> TokenCheck {
    let Some((message, signature)) = token.rsplit_once('.') else {
        return TokenCheck::Forged;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(state.form_key.as_slice())
        .unwrap_or_else(|_| unreachable!("any key length works"));
    mac.update(message.as_bytes());
    let Ok(signature) = hex::decode(signature) else {
        return TokenCheck::Forged;
    };
    if mac.verify_slice(&signature).is_err() {
        return TokenCheck::Forged;
    }
    let issued: i64 = message
        .split('.')
        .next()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let age = chrono::Utc::now().timestamp() - issued;
    if age < state.config.self_referral_min_seconds {
        TokenCheck::TooFast
    } else if age > MAX_FORM_AGE_SECONDS {
        TokenCheck::Expired
    } else {
        TokenCheck::Good
    }
}

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage {
    chrome: Chrome,
}

pub async fn help(Visitor(v): Visitor) -> Response {
    render(&HelpPage {
        chrome: Chrome::maybe(v.as_ref()),
    })
}

/// "Exit this page" leads here, and on at once to the neutral site configured.
pub async fn exit(State(state): State<AppState>) -> Response {
    axum::response::Redirect::to(&state.config.quick_exit_url).into_response()
}

#[derive(Template)]
#[template(path = "self_referral.html")]
struct FormPage {
    chrome: Chrome,
    token: String,
    form: FormData,
    errors: FieldErrors,
    areas: Vec<Area>,
    what: [(&'static str, &'static str); 10],
    days: [(&'static str, &'static str); 7],
    honeypot: &'static str,
}

impl FormPage {
    fn v(&self, name: &str) -> &str {
        self.form.get(name)
    }
    fn is(&self, name: &str, value: &str) -> bool {
        self.form.get_all(name).iter().any(|v| v == value)
    }
}

async fn form_page(
    state: &AppState,
    visitor: Option<&crate::access::SignedIn>,
    form: FormData,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let page = FormPage {
        chrome: Chrome::maybe(visitor),
        token: new_token(state),
        form,
        areas: list_areas(&state.db)
            .await?
            .into_iter()
            .filter(|a| a.kind != "county")
            .collect(),
        what: crate::pages::words::WHAT_HAPPENED,
        days: DAYS,
        honeypot: HONEYPOT,
        errors,
    };
    let mut response = if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    };
    *response.status_mut() = status;
    Ok(response)
}

pub async fn form(
    State(state): State<AppState>,
    Visitor(v): Visitor,
) -> Result<Response, AppError> {
    form_page(
        &state,
        v.as_ref(),
        FormData::default(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

fn input_from(f: &FormData) -> (ReferralInput, Vec<(String, String)>) {
    let mut renames = Vec::new();
    let phone = f.get("phone").trim().to_owned();
    let mut channels = Vec::new();
    for (choice, channel, value, field) in [
        ("phone_call", "phone_call", phone.clone(), "phone"),
        ("sms", "sms", phone.clone(), "phone"),
        ("voicemail", "voicemail", phone.clone(), "phone"),
        ("email", "email", f.get("email").trim().to_owned(), "email"),
    ] {
        if f.get_all("contact").iter().any(|c| c == choice) {
            renames.push((
                format!("safe_contact/channels/{}/value", channels.len()),
                field.to_owned(),
            ));
            channels.push(ChannelInput {
                channel: channel.into(),
                value,
            });
        }
    }
    renames.push(("safe_contact/channels".into(), "contact".into()));
    let days = f.get_all("days");
    let (from, to) = (
        f.get("from").trim().to_owned(),
        f.get("to").trim().to_owned(),
    );
    let safe_times = if days.is_empty() && from.is_empty() && to.is_empty() {
        vec![]
    } else {
        renames.push(("safe_contact/safe_times/0/days".into(), "days".into()));
        renames.push(("safe_contact/safe_times/0/from".into(), "from".into()));
        renames.push(("safe_contact/safe_times/0/to".into(), "to".into()));
        vec![SafeTimeInput { days, from, to }]
    };
    renames.push(("person/given_name".into(), "name".into()));
    renames.push(("crime_category".into(), "what".into()));
    renames.push(("person/area".into(), "area".into()));
    let told = f.get("told_police");
    let input = ReferralInput {
        source: "self".into(),
        crime_category: f.get("what").to_owned(),
        reported_to_police: match told {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        person: PersonInput {
            given_name: f.get("name").to_owned(),
            area: f.get("area").to_owned(),
            ..Default::default()
        },
        // Asking for help is agreeing to the hub's contact; referral onward is asked again, per service.
        consent_to_referral: "given".into(),
        consent_to_aggregate: Some(false),
        safe_contact: SafeContactInput {
            channels,
            safe_times,
            abuser_sees_phone: f.get("sees_phone") == "yes",
            ..Default::default()
        },
        notes: f.get("more").to_owned(),
        ..Default::default()
    };
    (input, renames)
}

#[derive(Template)]
#[template(path = "self_referral_sent.html")]
struct SentPage {
    chrome: Chrome,
    reference: String,
}

pub async fn submit(
    State(state): State<AppState>,
    Visitor(v): Visitor,
    ext: Extensions,
    crate::forms::WebForm(form): crate::forms::WebForm,
) -> Result<Response, AppError> {
    let token = form.get("form_token");
    if token.is_empty() {
        return Err(AppError::CsrfRejected);
    }
    let ip = ext
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let mut errors = FieldErrors::new();
    match check_token(&state, token) {
        TokenCheck::Forged => return Err(AppError::CsrfRejected),
        TokenCheck::Expired => errors.add("send", "This form was open a long time, so for your safety it timed out. Nothing was sent: check your answers and send it again"),
        TokenCheck::TooFast => errors.add("send", "This form was sent within seconds of opening, faster than people usually can, so nothing was sent. Check your answers and send it again"),
        TokenCheck::Good => {}
    }
    if !form.get(HONEYPOT).is_empty() {
        // A robot filled in the field people never see. Say nothing useful to it.
        tracing::info!(request_id = %request_id(&ext), "self-referral refused: honeypot filled");
        return Ok((StatusCode::BAD_REQUEST, "The form could not be accepted.").into_response());
    }
    if !errors.is_empty() {
        return form_page(
            &state,
            v.as_ref(),
            form,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if let Err(not_until) = state.self_referral_limiter.check_key(&ip) {
        errors.add("name", "Too many forms have been sent from your network. Please call the number on this page instead, or try again in an hour");
        let wait = not_until.wait_time_from(governor::clock::Clock::now(
            &governor::clock::DefaultClock::default(),
        ));
        return form_page(
            &state,
            v.as_ref(),
            form,
            errors,
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await
        .map(|r| crate::pages::sign_in::retry_after(r, wait.as_secs() + 1));
    }
    let (input, renames) = input_from(&form);
    match submit_self_referral(&state.db, &input, token).await {
        Ok(Submitted::Created(r) | Submitted::Replayed(r)) => Ok(render(&SentPage {
            chrome: Chrome::maybe(v.as_ref()),
            reference: r.reference,
        })),
        Ok(_) => Err(AppError::Internal),
        Err(StorageError::Invalid(found)) => {
            let mut shown = FieldErrors::new();
            for e in found.iter() {
                let field = renames
                    .iter()
                    .find(|(from, _)| *from == e.field)
                    .map_or(e.field.as_str(), |(_, to)| to.as_str());
                // The form's own words for the rules' messages where they would not fit it;
                // any other problem with the field keeps its own message.
                let message = match (field, e.message.as_str()) {
                    ("name", m) if m.starts_with("Enter the person's name") => {
                        "Tell us what to call you: a first name is enough".to_owned()
                    }
                    ("name", m) if m.contains("characters or fewer") => {
                        "What we should call you must be 100 characters or fewer".to_owned()
                    }
                    ("what", m) if m.starts_with("Choose the kind of crime") => {
                        "Choose what has happened".to_owned()
                    }
                    ("contact", m) if m.starts_with("Say how it is safe") => {
                        "Choose at least one safe way for us to contact you".to_owned()
                    }
                    _ => e.message.clone(),
                };
                shown.add(field, message);
            }
            form_page(
                &state,
                v.as_ref(),
                form,
                shown,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
