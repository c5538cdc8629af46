//! Headers on every response: the request id, security headers and, for anything that is
//! not a static asset, `Cache-Control: no-store` so personal data is never kept in a cache.

use crate::access::RequestId;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// The route template that served a response, recorded for the request log.
#[derive(Debug, Clone, Copy)]
pub struct MatchedRoute(pub &'static str);

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// The policy for a page whose forms may also lead to these origins: the sign-in page, whose
/// single sign-on form is redirected to the agencies' identity providers.
pub(crate) fn csp_with_form_targets(origins: &[String]) -> String {
    CSP.replace(
        "form-action 'self'",
        &format!("form-action 'self' {}", origins.join(" ")),
    )
}

pub async fn security_headers(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let id = uuid::Uuid::new_v4().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let is_asset = req.uri().path().starts_with("/assets/");
    let method = req.method().clone();
    let started = std::time::Instant::now();
    let mut response = next.run(req).await;
    // The route template, not the path: a path can carry identifiers and a query anything.
    let route = response
        .extensions()
        .get::<MatchedRoute>()
        .map_or("unmatched", |r| r.0);
    tracing::info!(
        request_id = %id,
        %method,
        route,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    let h = response.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    // A page may widen its own policy (see `csp_with_form_targets`); otherwise the default.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        set(h, header::CONTENT_SECURITY_POLICY, CSP);
    }
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(
        h,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        h,
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    if state.config.secure_cookies {
        set(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    if !is_asset {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        h.insert(HeaderName::from_static("x-request-id"), v);
    }
    response
}
