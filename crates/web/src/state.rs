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
    pub(crate) self_referral_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    pub(crate) open_data_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Community alerts sign-ups and link requests, per network address (the self-referral
    /// limit's rate).
    pub(crate) alert_signup_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Signs the public form's tokens; new each time Harbour starts.
    pub(crate) form_key: Arc<[u8; 32]>,
    /// What the audit trail's check at start-up found wrong, if anything.
    pub(crate) audit_alarm: Option<Arc<str>>,
}

impl AppState {
    pub fn new(db: Db, config: WebConfig) -> AppState {
        let per_minute =
            NonZeroU32::new(config.sign_in_attempts_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let per_hour =
            NonZeroU32::new(config.self_referrals_per_hour.max(1)).unwrap_or(NonZeroU32::MIN);
        let open_per_minute =
            NonZeroU32::new(config.open_data_requests_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let mut form_key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut form_key);
        AppState {
            db,
            sign_in_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            self_referral_limiter: Arc::new(RateLimiter::keyed(Quota::per_hour(per_hour))),
            alert_signup_limiter: Arc::new(RateLimiter::keyed(Quota::per_hour(per_hour))),
            open_data_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(open_per_minute))),
            form_key: Arc::new(form_key),
            audit_alarm: None,
            config: Arc::new(config),
        }
    }
}
