//! The second step of signing in, for those with two-factor sign-in: the code from their
//! authenticator (or a recovery code), or, for someone whose role requires it and who has none
//! yet, setting an authenticator up. Both come after a right password, with a short-lived
//! cookie naming the sign-in part-way; a session starts only when the second factor is proved.
//! Setting it up from the account page lives here too.

use crate::access::{Staff, Visitor, cookie, request_id};
use crate::csrf::{CsrfForm, PRE_SESSION_COOKIE};
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::sign_in::{PENDING_COOKIE, device_of, retry_after, set_cookie, signed_in};
use crate::pages::{render, render_invalid};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::two_factor::{self, CodeOutcome, Enrolment};

#[derive(Template)]
#[template(path = "sign_in_code.html")]
struct CodePage {
    chrome: Chrome,
    csrf_token: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "two_factor_set_up.html")]
struct SetUpPage {
    chrome: Chrome,
    csrf_token: String,
    errors: FieldErrors,
    enrolment: Enrolment,
    qr_svg: String,
    /// Setting up as part of signing in, because the person's role requires it.
    at_sign_in: bool,
    action: &'static str,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct CodesPage {
    chrome: Chrome,
    codes: Vec<String>,
    /// Shown just after setting up, rather than on asking for new ones.
    set_up: bool,
    next: &'static str,
}

/// The enrolment address as a QR code, inline SVG named for screen readers.
fn qr_svg(url: &str) -> String {
    qrcode::QrCode::new(url.as_bytes()).map_or_else(
        |_| String::new(),
        |code| {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .build();
            let svg = svg.split_once("?>").map_or(svg.as_str(), |(_, s)| s);
            svg.replacen(
                "<svg ",
                "<svg role=\"img\" aria-label=\"QR code for your authenticator app\" ",
                1,
            )
        },
    )
}

fn csrf_of(headers: &HeaderMap) -> String {
    cookie(headers, PRE_SESSION_COOKIE)
        .unwrap_or_default()
        .to_owned()
}

#[derive(Template)]
#[template(path = "sign_in_again.html")]
struct AgainPage {
    chrome: Chrome,
    heading: &'static str,
    reason: &'static str,
}

/// A page saying the sign-in did not happen, and why, with a way to start again.
pub(crate) fn sign_in_again(heading: &'static str, reason: &'static str) -> Response {
    render(&AgainPage {
        chrome: Chrome::signed_out(),
        heading,
        reason,
    })
}

/// The sign-in part-way has ended, or there was none: say so, and offer to start again.
fn back_to_sign_in() -> Response {
    sign_in_again(
        "Your sign-in has timed out",
        "For your security, you have 10 minutes after entering your password to enter your code. Sign in again to continue.",
    )
}

fn too_many_codes() -> Response {
    render(&AgainPage {
        chrome: Chrome::signed_out(),
        heading: "Sign in again",
        reason: "A wrong code was entered too many times. For your security, start again with your email address and password.",
    })
}

/// The page asking for the code.
pub async fn code_form(Visitor(visitor): Visitor, headers: HeaderMap) -> Response {
    if visitor.is_some() {
        return Redirect::to("/home").into_response();
    }
    if cookie(&headers, PENDING_COOKIE).is_none() {
        return back_to_sign_in();
    }
    code_page(&headers, FieldErrors::new())
}

fn code_page(headers: &HeaderMap, errors: FieldErrors) -> Response {
    let page = CodePage {
        chrome: Chrome::signed_out(),
        csrf_token: csrf_of(headers),
        errors,
    };
    if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    }
}

/// The page setting up an authenticator at sign-in.
pub async fn set_up_form(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if visitor.is_some() {
        return Ok(Redirect::to("/home").into_response());
    }
    let Some(pending) = cookie(&headers, PENDING_COOKIE) else {
        return Ok(back_to_sign_in());
    };
    let Some(enrolment) = two_factor::enrolment_for_sign_in(&state.db, pending).await? else {
        return Ok(back_to_sign_in());
    };
    Ok(set_up_page(
        csrf_of(&headers),
        Chrome::signed_out(),
        enrolment,
        FieldErrors::new(),
        true,
    ))
}

fn set_up_page(
    csrf_token: String,
    chrome: Chrome,
    enrolment: Enrolment,
    errors: FieldErrors,
    at_sign_in: bool,
) -> Response {
    let page = SetUpPage {
        chrome,
        csrf_token,
        qr_svg: qr_svg(&enrolment.url),
        enrolment,
        errors,
        at_sign_in,
        action: if at_sign_in {
            "/sign-in/set-up"
        } else {
            "/account/two-factor"
        },
    };
    if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    }
}

/// Finishes signing in with a code, from either page.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    req_ext: axum::http::Extensions,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let Some(pending) = cookie(&headers, PENDING_COOKIE) else {
        return Ok(back_to_sign_in());
    };
    let code = form.get("code").trim().to_owned();
    let setting_up = form.get("setting_up") == "yes";
    let mut errors = FieldErrors::new();
    if code.is_empty() {
        errors.add(
            "code",
            "Enter the 6-digit code your authenticator app shows, or a recovery code",
        );
        return Ok(code_page(&headers, errors));
    }
    let device = device_of(&headers);
    let rid = request_id(&req_ext);
    let outcome = two_factor::finish_sign_in(
        &state.db,
        &state.config.sign_in,
        pending,
        &code,
        &device,
        &rid,
    )
    .await?;
    Ok(match outcome {
        CodeOutcome::SignedIn {
            session_secret,
            device_secret,
            recovery_codes,
        } => {
            let response = if recovery_codes.is_empty() {
                Redirect::to("/home").into_response()
            } else {
                render(&CodesPage {
                    chrome: Chrome::signed_out(),
                    codes: recovery_codes,
                    set_up: true,
                    next: "/home",
                })
            };
            signed_in(&state, response, &session_secret, &device_secret)
        }
        CodeOutcome::Refused(message) => {
            errors.add("code", message);
            if setting_up
                && let Some(enrolment) =
                    two_factor::enrolment_for_sign_in(&state.db, pending).await?
            {
                set_up_page(
                    csrf_of(&headers),
                    Chrome::signed_out(),
                    enrolment,
                    errors,
                    true,
                )
            } else {
                code_page(&headers, errors)
            }
        }
        CodeOutcome::TimedOut => back_to_sign_in(),
        CodeOutcome::StartAgain => {
            let mut response = too_many_codes();
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, PENDING_COOKIE, "", Some(0)),
            );
            response
        }
        CodeOutcome::LockedOut { until } => {
            errors.add(
                "code",
                format!(
                    "There have been too many failed attempts to sign in with this email address. Try again after {} UTC",
                    until.format("%H:%M")
                ),
            );
            let wait = (until - chrono::Utc::now()).num_seconds().max(1);
            let mut response = code_page(&headers, errors);
            *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, PENDING_COOKIE, "", Some(0)),
            );
            retry_after(response, u64::try_from(wait).unwrap_or(1))
        }
    })
}

/// Setting up an authenticator from the account page.
pub async fn account_set_up(staff: Staff) -> Result<Response, AppError> {
    let enrolment = staff.store.begin_two_factor().await?;
    Ok(set_up_page(
        staff.signed_in.session.csrf_token.clone(),
        Chrome::for_signed_in(&staff.signed_in).current("/account"),
        enrolment,
        FieldErrors::new(),
        false,
    ))
}

/// Confirms the authenticator with its first code; shows the recovery codes.
pub async fn account_confirm(staff: Staff, CsrfForm(form): CsrfForm) -> Result<Response, AppError> {
    match staff.store.confirm_two_factor(form.get("code")).await {
        Ok(codes) => Ok(render(&CodesPage {
            chrome: Chrome::for_signed_in(&staff.signed_in).current("/account"),
            codes,
            set_up: true,
            next: "/account",
        })),
        Err(StorageError::Invalid(errors)) => {
            let enrolment = staff.store.begin_two_factor().await?;
            Ok(set_up_page(
                staff.signed_in.session.csrf_token.clone(),
                Chrome::for_signed_in(&staff.signed_in).current("/account"),
                enrolment,
                errors,
                false,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// New recovery codes in place of the old.
pub async fn account_new_codes(staff: Staff, _form: CsrfForm) -> Result<Response, AppError> {
    let codes = staff.store.new_recovery_codes().await?;
    Ok(render(&CodesPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/account"),
        codes,
        set_up: false,
        next: "/account",
    }))
}
