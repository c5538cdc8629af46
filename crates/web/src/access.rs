//! Access: who may reach a route, decided in one place.
//!
//! Each route in [`crate::routes::table`] names an [`Access`]. [`enforce`] runs before the
//! handler: it finds the session or API token, asks the permission table, and either
//! refuses or passes the caller on as a [`SignedIn`] or [`Integration`] that handlers
//! extract. A handler reached without one refuses too, so a misdeclared route fails closed.

use crate::error::{ApiError, AppError};
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use harbour_domain::permission::{Action, authorize};
use harbour_storage::auth::{self, Session};
use harbour_storage::{Actor, ScopedStore};

pub const SESSION_COOKIE: &str = "harbour_session";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, and no session is looked up: assets, health, the API's description.
    Open,
    /// Anyone. A session, if there is one, is still recognised (for the navigation).
    Public,
    /// A signed-in person whose roles grant the action.
    Staff(Action),
    /// An agency integration whose bearer token grants the action.
    Api(Action),
}

/// The request's id, for the audit trail and the logs.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A signed-in person, as a handler receives them.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: Session,
    /// The cookie's secret, needed to end this session.
    pub(crate) secret: String,
    pub request_id: String,
    /// What went wrong with the audit trail's check at start-up, for those who answer for it.
    pub audit_alarm: Option<std::sync::Arc<str>>,
}

/// The start-up audit alarm, for roles that may read the trail (administrators, auditors).
pub(crate) fn alarm_for(
    state: &AppState,
    roles: &[harbour_domain::role::Role],
) -> Option<std::sync::Arc<str>> {
    state.audit_alarm.clone().filter(|_| {
        harbour_domain::permission::authorize(roles, harbour_domain::permission::Action::ViewAudit)
            .is_ok()
    })
}

impl SignedIn {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.session.user_id.clone()),
            agency_id: self.session.agency_id.clone(),
            roles: self.session.roles.clone(),
            request_id: self.request_id.clone(),
            token_id: None,
        }
    }
}

/// An agency's integration, authenticated by its bearer token.
#[derive(Debug, Clone)]
pub struct Integration(pub Actor);

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

pub(crate) fn request_id(parts_or_req: &axum::http::Extensions) -> String {
    parts_or_req
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default()
}

/// Takes owned values: a borrowed request (its body is not `Sync`) cannot be held across an await.
async fn session_of(
    state: &AppState,
    secret: Option<String>,
    request_id: String,
) -> Result<Option<SignedIn>, AppError> {
    let Some(secret) = secret else {
        return Ok(None);
    };
    Ok(
        auth::load_session(&state.db, &state.config.sign_in, &secret)
            .await?
            .map(|session| SignedIn {
                audit_alarm: alarm_for(state, &session.roles),
                session,
                secret,
                request_id,
            }),
    )
}

/// The per-route guard. See the module documentation.
pub async fn enforce(
    State((state, access)): State<(AppState, Access)>,
    mut req: Request,
    next: Next,
) -> Response {
    let secret = cookie(req.headers(), SESSION_COOKIE).map(str::to_owned);
    let rid = request_id(req.extensions());
    match access {
        Access::Open => {}
        Access::Public => match session_of(&state, secret, rid).await {
            Ok(Some(signed_in)) => {
                req.extensions_mut().insert(signed_in);
            }
            Ok(None) => {}
            Err(e) => return e.into_response(),
        },
        Access::Staff(action) => match session_of(&state, secret, rid).await {
            Ok(None) => return Redirect::to("/sign-in").into_response(),
            Ok(Some(signed_in)) => {
                if authorize(&signed_in.session.roles, action).is_err() {
                    let chrome = crate::pages::chrome::Chrome::for_signed_in(&signed_in);
                    return AppError::Forbidden.with_chrome(chrome);
                }
                req.extensions_mut().insert(signed_in);
            }
            Err(e) => return e.into_response(),
        },
        Access::Api(action) => {
            let Some(secret) = bearer(req.headers()).map(str::to_owned) else {
                return ApiError::Unauthorized.into_response();
            };
            match auth::authenticate_token(&state.db, &secret, &rid).await {
                Ok(None) => return ApiError::Unauthorized.into_response(),
                Ok(Some(actor)) => {
                    if authorize(&actor.roles, action).is_err() {
                        return ApiError::Forbidden.into_response();
                    }
                    req.extensions_mut().insert(Integration(actor));
                }
                Err(e) => return ApiError::from(e).into_response(),
            }
        }
    }
    next.run(req).await
}

/// A handler's view of the signed-in person: their session and their scoped store.
pub struct Staff {
    pub signed_in: SignedIn,
    pub store: ScopedStore,
    /// The partnership's setting: everyone signs in with a second factor.
    pub everyone_needs_two_factor: bool,
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let signed_in = parts
            .extensions
            .get::<SignedIn>()
            .cloned()
            .ok_or(AppError::Forbidden)?;
        Ok(Staff {
            store: ScopedStore::new(state.db.clone(), signed_in.actor()),
            signed_in,
            everyone_needs_two_factor: state.config.sign_in.two_factor_for_everyone,
        })
    }
}

/// A handler's view of a public visitor, who may be signed in.
pub struct Visitor(pub Option<SignedIn>);

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Visitor(parts.extensions.get::<SignedIn>().cloned()))
    }
}

/// The integration's scoped store.
pub struct Api(pub ScopedStore);

impl FromRequestParts<AppState> for Api {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Integration(actor) = parts
            .extensions
            .get::<Integration>()
            .cloned()
            .ok_or(ApiError::Unauthorized)?;
        Ok(Api(ScopedStore::new(state.db.clone(), actor)))
    }
}
