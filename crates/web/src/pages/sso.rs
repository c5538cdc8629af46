//! Signing in through an agency's own identity provider (OpenID Connect, authorization code
//! flow with PKCE and a nonce): the person gives their work e-mail address, Harbour sends them
//! to their agency's provider, and on their return checks the ID token (signature from the
//! provider's published keys, issuer, audience, expiry, nonce) before linking the verified
//! address to their Harbour account. The provider's settings are the agency administrator's.

use crate::access::{Staff, cookie, request_id};
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::pages::chrome::Chrome;
use crate::pages::second_factor::sign_in_again;
use crate::pages::sign_in::{device_of, part_way, second_factor_page, show_with_errors, signed_in};
use crate::pages::{render, render_invalid};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::ids::AgencyId;
use harbour_domain::validation::FieldErrors;
use harbour_storage::StorageError;
use harbour_storage::auth::SignInOutcome;
use harbour_storage::identity_providers::{self as idp, IdentityProvider, ProviderInput};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse, reqwest,
};
use serde::Deserialize;

/// Holds the state of a sign-in sent to a provider, to match its return.
const SSO_COOKIE: &str = "harbour_sso";

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

fn http() -> Result<reqwest::Client, AppError> {
    // Following redirects would let a provider's answer send Harbour anywhere.
    reqwest::ClientBuilder::new()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|_| AppError::Internal)
}

/// The provider's client, from its discovery document.
async fn client(
    state: &AppState,
    provider: &IdentityProvider,
    http: &reqwest::Client,
) -> Option<Client> {
    let issuer = IssuerUrl::new(provider.issuer.clone()).ok()?;
    let metadata = CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|e| tracing::warn!(error = %e, "identity provider discovery failed"))
        .ok()?;
    let redirect =
        RedirectUrl::new(format!("{}/sign-in/sso/callback", state.config.public_url)).ok()?;
    Some(
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.client_id.clone()),
            Some(ClientSecret::new(provider.client_secret.clone())),
        )
        .set_redirect_uri(redirect),
    )
}

fn unreachable_provider() -> Response {
    let mut r = sign_in_again(
        "Your organisation's sign-in is not available",
        "Harbour could not reach your organisation's sign-in service. Try again in a few minutes, or sign in with your Harbour password.",
    );
    *r.status_mut() = StatusCode::BAD_GATEWAY;
    r
}

/// Sends the person to their agency's provider.
pub async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    let email = form.get("sso_email").trim().to_owned();
    let mut errors = FieldErrors::new();
    if email.is_empty() {
        errors.add("sso_email", "Enter your work email address");
    }
    let provider = if errors.is_empty() {
        idp::for_email(&state.db, &email).await?
    } else {
        None
    };
    let Some(provider) = provider else {
        if errors.is_empty() {
            errors.add(
                "sso_email",
                "Your organisation does not sign in to Harbour this way. Sign in with your email address and password",
            );
        }
        return Ok(show_with_errors(&state, &headers, email, errors).await);
    };
    let http = http()?;
    let Some(client) = client(&state, &provider, &http).await else {
        return Ok(unreachable_provider());
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .add_extra_param("login_hint", &email)
        .url();
    idp::record_attempt(
        &state.db,
        csrf.secret(),
        &provider.agency_id,
        nonce.secret(),
        verifier.secret(),
    )
    .await?;
    let mut response = Redirect::to(url.as_str()).into_response();
    // Lax, not Strict: the provider's redirect back is a cross-site navigation.
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    if let Ok(v) = header::HeaderValue::from_str(&format!(
        "{SSO_COOKIE}={}; Path=/sign-in/sso; HttpOnly; SameSite=Lax; Max-Age=600{secure}",
        csrf.secret()
    )) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    error: String,
}

fn not_signed_in(reason: &'static str) -> Response {
    let mut r = sign_in_again("You have not been signed in", reason);
    *r.status_mut() = StatusCode::FORBIDDEN;
    r
}

/// The provider sends the person back: check everything, then sign them in.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    req_ext: axum::http::Extensions,
    Query(q): Query<Callback>,
) -> Result<Response, AppError> {
    let expected = cookie(&headers, SSO_COOKIE).unwrap_or_default();
    let bad_return = |reason| {
        let mut r = sign_in_again("You have not been signed in", reason);
        *r.status_mut() = StatusCode::BAD_REQUEST;
        r
    };
    if !q.error.is_empty() {
        return Ok(bad_return(
            "Your organisation's sign-in did not complete. Try again, or sign in with your Harbour password.",
        ));
    }
    if q.state.is_empty() || q.code.is_empty() || expected != q.state {
        return Ok(bad_return(
            "This sign-in did not start in this browser, or has already been used. Sign in again.",
        ));
    }
    let Some(attempt) = idp::take_attempt(&state.db, &q.state).await? else {
        return Ok(sign_in_again(
            "Your sign-in has timed out",
            "For your security, a sign-in through your organisation must finish within 10 minutes. Sign in again.",
        ));
    };
    let Some(provider) = idp::for_agency(&state.db, &attempt.agency_id).await? else {
        return Ok(not_signed_in(
            "Your organisation no longer signs in to Harbour this way. Sign in with your Harbour password.",
        ));
    };
    let http = http()?;
    let Some(client) = client(&state, &provider, &http).await else {
        return Ok(unreachable_provider());
    };
    let exchange = match client.exchange_code(AuthorizationCode::new(q.code.clone())) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "identity provider has no token endpoint");
            return Ok(unreachable_provider());
        }
    };
    let token = match exchange
        .set_pkce_verifier(PkceCodeVerifier::new(attempt.pkce_verifier.clone()))
        .request_async(&http)
        .await
    {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "identity provider code exchange failed");
            return Ok(not_signed_in(
                "Your organisation's sign-in could not be confirmed. Sign in again.",
            ));
        }
    };
    let nonce = Nonce::new(attempt.nonce.clone());
    let claims = token
        .id_token()
        .and_then(|t| t.claims(&client.id_token_verifier(), &nonce).ok());
    let Some(claims) = claims else {
        tracing::warn!("identity provider ID token failed verification");
        return Ok(not_signed_in(
            "Your organisation's sign-in could not be confirmed. Sign in again.",
        ));
    };
    let mut email = claims.email().map(|e| e.as_str().to_owned());
    let mut verified = claims.email_verified();
    // Many providers put the e-mail claims in the UserInfo answer rather than the ID token.
    if (email.is_none() || verified.is_none())
        && let Ok(request) =
            client.user_info(token.access_token().to_owned(), Some(claims.subject().clone()))
        && let Ok(info) = request
            .request_async::<openidconnect::EmptyAdditionalClaims, _, openidconnect::core::CoreGenderClaim>(&http)
            .await
    {
        email = email.or_else(|| info.email().map(|e| e.as_str().to_owned()));
        verified = verified.or(info.email_verified());
    }
    let email = email.unwrap_or_default();
    let verified = verified.unwrap_or(false);
    let device = device_of(&headers);
    let rid = request_id(&req_ext);
    let outcome = idp::sign_in(
        &state.db,
        &state.config.sign_in,
        &provider,
        &email,
        verified,
        &device,
        &rid,
    )
    .await?;
    let mut response = match outcome {
        Err(refused) => not_signed_in(refused.message()),
        Ok(SignInOutcome::SignedIn {
            session_secret,
            device_secret,
            ..
        }) => signed_in(
            &state,
            continue_to("/home"),
            &session_secret,
            &device_secret,
        ),
        Ok(SignInOutcome::SecondFactor {
            pending_secret,
            set_up,
        }) => part_way(
            &state,
            continue_to(second_factor_page(set_up)),
            &pending_secret,
        ),
        Ok(_) => not_signed_in("Sign in again."),
    };
    if let Ok(v) = header::HeaderValue::from_str(&format!(
        "{SSO_COOKIE}=; Path=/sign-in/sso; HttpOnly; SameSite=Lax; Max-Age=0"
    )) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// The page the provider's redirect lands on, which moves on at once to `next`. A redirect
/// would not do: the navigation began on the provider's site, so the browser would not send
/// Harbour's strict same-site cookies with it; this page's own move is same-site.
#[derive(Template)]
#[template(path = "sso_continue.html")]
struct ContinuePage {
    chrome: Chrome,
    next: &'static str,
}

fn continue_to(next: &'static str) -> Response {
    render(&ContinuePage {
        chrome: Chrome::signed_out(),
        next,
    })
}

#[derive(Template)]
#[template(path = "agency_sign_in.html")]
struct SettingsPage {
    chrome: Chrome,
    agency_id: AgencyId,
    agency_name: String,
    issuer: String,
    client_id: String,
    has_secret: bool,
    domains: String,
    idp_checks_second_factor: bool,
    domains_verified_by_provider: bool,
    passwords_off: bool,
    redirect_uri: String,
    errors: FieldErrors,
    done: Option<&'static str>,
}

async fn settings_page(
    state: &AppState,
    staff: &Staff,
    agency_id: AgencyId,
    entered: Option<&ProviderInput>,
    errors: FieldErrors,
    done: Option<&'static str>,
) -> Result<Response, AppError> {
    let agency = staff.store.get_agency(&agency_id).await?;
    let stored = staff.store.agency_identity_provider(&agency_id).await?;
    let input = match (entered, &stored) {
        (Some(e), _) => e.clone(),
        (None, Some(s)) => ProviderInput {
            issuer: s.issuer.clone(),
            client_id: s.client_id.clone(),
            client_secret: String::new(),
            domains: s.domains.clone(),
            idp_checks_second_factor: s.idp_checks_second_factor,
            domains_verified_by_provider: s.domains_verified_by_provider,
            passwords_off: s.passwords_off,
        },
        (None, None) => ProviderInput::default(),
    };
    let page = SettingsPage {
        chrome: Chrome::for_signed_in(&staff.signed_in).current("/admin/agencies"),
        agency_name: agency.name,
        agency_id,
        issuer: input.issuer,
        client_id: input.client_id,
        has_secret: stored.is_some(),
        domains: input.domains,
        idp_checks_second_factor: input.idp_checks_second_factor,
        domains_verified_by_provider: input.domains_verified_by_provider,
        passwords_off: input.passwords_off,
        redirect_uri: format!("{}/sign-in/sso/callback", state.config.public_url),
        errors,
        done,
    };
    Ok(if page.errors.is_empty() {
        render(&page)
    } else {
        render_invalid(&page)
    })
}

/// The agency's single sign-on settings.
pub async fn settings(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<AgencyId>,
) -> Result<Response, AppError> {
    settings_page(&state, &staff, id, None, FieldErrors::new(), None).await
}

/// Saves the settings, or removes them.
pub async fn save_settings(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<AgencyId>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, AppError> {
    if form.get("remove") == "yes" {
        staff.store.remove_agency_identity_provider(&id).await?;
        return settings_page(
            &state,
            &staff,
            id,
            None,
            FieldErrors::new(),
            Some("Single sign-on is off. The agency's staff sign in with their Harbour passwords."),
        )
        .await;
    }
    let input = ProviderInput {
        issuer: form.get("issuer").trim().to_owned(),
        client_id: form.get("client_id").trim().to_owned(),
        client_secret: form.get("client_secret").to_owned(),
        domains: form.get("domains").to_owned(),
        idp_checks_second_factor: form.get("idp_checks_second_factor") == "yes",
        domains_verified_by_provider: form.get("domains_verified_by_provider") == "yes",
        passwords_off: form.get("passwords_off") == "yes",
    };
    match staff.store.set_agency_identity_provider(&id, &input).await {
        Ok(()) => settings_page(
            &state,
            &staff,
            id,
            None,
            FieldErrors::new(),
            Some("Saved. The agency's staff can now sign in through their organisation's account."),
        )
        .await,
        Err(StorageError::Invalid(errors)) => {
            settings_page(&state, &staff, id, Some(&input), errors, None).await
        }
        Err(e) => Err(e.into()),
    }
}
