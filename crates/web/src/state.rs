//! What every handler can reach.

use crate::config::WebConfig;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use harbour_storage::Db;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub(crate) db: Db,
    pub(crate) config: Arc<WebConfig>,
    pub(crate) sign_in_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl AppState {
    pub fn new(db: Db, config: WebConfig) -> AppState {
        let per_minute =
            NonZeroU32::new(config.sign_in_attempts_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        AppState {
            db,
            sign_in_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            config: Arc::new(config),
        }
    }
}
