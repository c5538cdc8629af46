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
pub async fn serve(
    listener: tokio::net::TcpListener,
    db: harbour_storage::Db,
    config: WebConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(AppState::new(db, config));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
