//! Harbour's web layer: GOV.UK Design System pages, the JSON API, sign-in and sessions,
//! CSRF protection, security headers.
//!
//! Every route is declared once in [`routes::table`] with the access it needs; the router is
//! built from that table and access is enforced around each handler ([`access`]). Handlers
//! get a [`storage::ScopedStore`](harbour_storage::ScopedStore) for the signed-in person,
//! never a connection.

pub mod access;
mod api;
mod assets;
pub mod config;
mod csrf;
mod error;
mod forms;
mod headers;
mod pages;
pub mod routes;
mod state;

pub use config::WebConfig;
pub use routes::router;
pub use state::AppState;

/// Serves Harbour on `listener` until `shutdown` completes.
/// Checks the audit trail's tail since its last checkpoint as Harbour starts. A broken chain
/// does not stop Harbour (victims' referrals must still come in), but it is logged as an error
/// and shown to administrators and auditors on every page until a restart finds it whole.
async fn check_audit_trail(db: &harbour_storage::Db) -> Option<std::sync::Arc<str>> {
    use harbour_storage::audit::Verification;
    match harbour_storage::audit_guard::check_tail(db).await {
        Ok(Verification::Intact { entries }) => {
            tracing::info!(entries, "audit trail checked since its last checkpoint");
            None
        }
        Ok(Verification::Broken(b)) => {
            tracing::error!(problem = %b, "THE AUDIT TRAIL IS BROKEN: someone changed the database behind Harbour");
            Some(format!("The audit trail failed its check when Harbour started: {b}. Run harbour audit verify and tell your data protection officer.").into())
        }
        Err(e) => {
            tracing::error!(error = %e, "the audit trail could not be checked at start-up");
            Some("The audit trail could not be checked when Harbour started. Run harbour audit verify and tell your data protection officer.".into())
        }
    }
}

pub async fn serve(
    listener: tokio::net::TcpListener,
    db: harbour_storage::Db,
    config: WebConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut state = AppState::new(db.clone(), config);
    state.audit_alarm = check_audit_trail(&db).await;
    let app = router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
