//! Tidying the server does beside its requests.

use harbour_storage::Db;
use harbour_storage::auth::{SignInPolicy, purge_expired};
use std::time::Duration;

/// Every five minutes, removes ended sessions and spent sign-in failure counts, so the tables
/// hold only what is live. Timeouts are enforced on every request regardless; this is tidying.
pub fn spawn_session_purge(db: Db, policy: SignInPolicy) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(300));
        loop {
            every.tick().await;
            match purge_expired(&db, &policy).await {
                Ok((sessions, failures)) if sessions + failures > 0 => {
                    tracing::info!(
                        sessions,
                        failures,
                        "purged ended sessions and sign-in failures"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "session purge failed; will retry"),
            }
        }
    })
}
