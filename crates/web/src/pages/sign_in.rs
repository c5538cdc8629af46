//! Sign-in and sign-out.

use crate::access::{SESSION_COOKIE, Staff, Visitor, cookie, request_id};
use crate::csrf::{CsrfForm, PRE_SESSION_COOKIE};
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::{render, render_invalid};
use crate::state::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::validation::FieldErrors;
use harbour_storage::auth::{self, SignInOutcome};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    csrf_token: String,
    email: String,
    errors: FieldErrors,
    /// Whether any agency signs its staff in through its own identity provider.
    sso: bool,
    /// The address entered for signing in through one.
    sso_email: String,
}

/// The long-lived cookie that tells Harbour a browser has signed in before, so a sign-in from
/// a new one can be shown on the person's home page. It proves nothing on its own.
pub(crate) const DEVICE_COOKIE: &str = "harbour_device";
/// A year, in seconds.
pub(crate) const DEVICE_COOKIE_AGE: i64 = 365 * 24 * 60 * 60;
/// Names a sign-in part-way (password right, second factor to come) for its ten minutes.
pub(crate) const PENDING_COOKIE: &str = "harbour_pending";

/// The browser signing in: its device cookie and its User-Agent in words.
pub(crate) fn device_of(headers: &HeaderMap) -> auth::Device<'_> {
    auth::Device {
        secret: cookie(headers, DEVICE_COOKIE),
        label: harbour_domain::device::label(
            headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default(),
        ),
    }
}

/// Where a sign-in part-way goes next: setting an authenticator up, or entering its code.
pub(crate) fn second_factor_page(set_up: bool) -> &'static str {
    if set_up {
        "/sign-in/set-up"
    } else {
        "/sign-in/code"
    }
}

/// Sets the cookies of a completed sign-in on `response`: the session, the device, and the
/// pre-session token and any sign-in part-way cleared.
pub(crate) fn signed_in(
    state: &AppState,
    mut response: Response,
    session_secret: &str,
    device_secret: &str,
) -> Response {
    let h = response.headers_mut();
    for c in [
        set_cookie(state, DEVICE_COOKIE, device_secret, Some(DEVICE_COOKIE_AGE)),
        set_cookie(state, SESSION_COOKIE, session_secret, None),
        set_cookie(state, PRE_SESSION_COOKIE, "", Some(0)),
        set_cookie(state, PENDING_COOKIE, "", Some(0)),
    ] {
        h.append(header::SET_COOKIE, c);
    }
    response
}

/// Sets the cookie naming a sign-in part-way on `response`, for its ten minutes.
pub(crate) fn part_way(state: &AppState, mut response: Response, pending_secret: &str) -> Response {
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, PENDING_COOKIE, pending_secret, Some(10 * 60)),
    );
    response
}

pub(crate) fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: Option<i64>,
) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict{secure}{age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The sign-in page, with a fresh pre-session CSRF token unless the browser has one.
pub async fn show(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    headers: HeaderMap,
) -> Response {
    if visitor.is_some() {
        return Redirect::to("/home").into_response();
    }
    page(
        &state,
        &headers,
        String::new(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// The sign-in page with an error in signing in through an agency's identity provider.
pub(crate) async fn show_with_errors(
    state: &AppState,
    headers: &HeaderMap,
    sso_email: String,
    errors: FieldErrors,
) -> Response {
    page_with(
        state,
        headers,
        (String::new(), sso_email),
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    email: String,
    errors: FieldErrors,
    status: StatusCode,
) -> Response {
    page_with(state, headers, (email, String::new()), errors, status).await
}

/// The sign-in page with the addresses entered in each form.
async fn page_with(
    state: &AppState,
    headers: &HeaderMap,
    (email, sso_email): (String, String),
    errors: FieldErrors,
    status: StatusCode,
) -> Response {
    let existing = cookie(headers, PRE_SESSION_COOKIE).map(str::to_owned);
    let csrf_token = existing.clone().unwrap_or_else(new_token);
    let sso_origins = harbour_storage::identity_providers::origins(&state.db)
        .await
        .unwrap_or_default();
    let template = SignInPage {
        chrome: Chrome::signed_out(),
        csrf_token: csrf_token.clone(),
        email,
        errors,
        sso: !sso_origins.is_empty(),
        sso_email,
    };
    let mut response = if status == StatusCode::OK {
        render(&template)
    } else {
        render_invalid(&template)
    };
    *response.status_mut() = status;
    if !sso_origins.is_empty()
        && let Ok(csp) = HeaderValue::from_str(&crate::headers::csp_with_form_targets(&sso_origins))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    if existing.is_none() {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(state, PRE_SESSION_COOKIE, &csrf_token, None),
        );
    }
    response
}

/// A 429 answer says, in seconds, when to try again (RFC 9110 Retry-After).
pub(crate) fn retry_after(mut response: Response, seconds: u64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    response
}

pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    req_ext: axum::http::Extensions,
    CsrfForm(form): CsrfForm,
) -> Response {
    let email = form.get("email").trim().to_owned();
    let password = form.get("password");
    let mut errors = FieldErrors::new();
    if email.is_empty() {
        errors.add("email", "Enter your email address");
    }
    if password.is_empty() {
        errors.add("password", "Enter your password");
    }
    if !errors.is_empty() {
        return page(
            &state,
            &headers,
            email,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let ip = req_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    if let Err(not_until) = state.sign_in_limiter.check_key(&ip) {
        errors.add("email", "There have been too many attempts to sign in from your network. Wait a minute and try again");
        let wait = not_until.wait_time_from(governor::clock::Clock::now(
            &governor::clock::DefaultClock::default(),
        ));
        return retry_after(
            page(
                &state,
                &headers,
                email,
                errors,
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await,
            wait.as_secs() + 1,
        );
    }
    let rid = request_id(&req_ext);
    let device = device_of(&headers);
    let outcome = auth::sign_in(
        &state.db,
        &state.config.sign_in,
        &email,
        password,
        &device,
        &rid,
    )
    .await;
    match outcome {
        Ok(SignInOutcome::SignedIn {
            session_secret,
            device_secret,
            ..
        }) => signed_in(
            &state,
            Redirect::to("/home").into_response(),
            &session_secret,
            &device_secret,
        ),
        Ok(SignInOutcome::SecondFactor {
            pending_secret,
            set_up,
        }) => part_way(
            &state,
            Redirect::to(second_factor_page(set_up)).into_response(),
            &pending_secret,
        ),
        Ok(SignInOutcome::UseIdentityProvider) => {
            errors.add(
                "email",
                "Your agency signs in to Harbour through your organisation's account. Use \"Sign in with your organisation's account\"",
            );
            page(
                &state,
                &headers,
                email,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Ok(SignInOutcome::WrongCredentials) => {
            errors.add("email", "Enter a correct email address and password");
            errors.add("password", "Enter a correct email address and password");
            page(&state, &headers, email, errors, StatusCode::UNAUTHORIZED).await
        }
        Ok(SignInOutcome::LockedOut { until }) => {
            errors.add(
                "email",
                format!(
                    "There have been too many failed attempts to sign in with this email address. Try again after {} UTC",
                    until.format("%H:%M")
                ),
            );
            let wait = (until - chrono::Utc::now()).num_seconds().max(1);
            retry_after(
                page(
                    &state,
                    &headers,
                    email,
                    errors,
                    StatusCode::TOO_MANY_REQUESTS,
                )
                .await,
                u64::try_from(wait).unwrap_or(1),
            )
        }
        Err(e) => AppError::from(e).into_response(),
    }
}

pub async fn sign_out(State(state): State<AppState>, staff: Staff, _form: CsrfForm) -> Response {
    let s = &staff.signed_in;
    if let Err(e) = auth::sign_out(&state.db, &s.secret, &s.session, &s.request_id).await {
        return AppError::from(e).into_response();
    }
    signed_out_response(&state)
}

pub fn signed_out_response(state: &AppState) -> Response {
    let mut response = Redirect::to("/sign-in").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, SESSION_COOKIE, "", Some(0)),
    );
    response
}
