//! Settings the web layer needs, filled in by the binary from its configuration.

use harbour_storage::auth::SignInPolicy;

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure`: true when Harbour is served over HTTPS (behind TLS).
    pub secure_cookies: bool,
    pub sign_in: SignInPolicy,
    /// Sign-in attempts allowed per client address per minute, before any lock-out.
    pub sign_in_attempts_per_minute: u32,
    /// Self-referrals accepted per client address per hour.
    pub self_referrals_per_hour: u32,
    /// Requests to the open directory API per client address per minute.
    pub open_data_requests_per_minute: u32,
    /// The address people reach Harbour at, without a trailing slash (for links in the open API).
    pub public_url: String,
    /// Where "Exit this page" goes: a neutral site.
    pub quick_exit_url: String,
    /// The fewest seconds between showing the public form and accepting it (people are slower
    /// than that; form-filling robots are not).
    pub self_referral_min_seconds: i64,
    /// Whether agencies' webhooks may go to this machine (loopback).
    pub webhook_allow_loopback: bool,
    /// Report figures from 1 to below this are suppressed.
    pub report_suppress_below: u64,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            sign_in: SignInPolicy::default(),
            sign_in_attempts_per_minute: 20,
            self_referrals_per_hour: 10,
            open_data_requests_per_minute: 600,
            public_url: "http://127.0.0.1:8080".into(),
            quick_exit_url: "https://www.bbc.co.uk/weather".into(),
            self_referral_min_seconds: 3,
            webhook_allow_loopback: false,
            report_suppress_below: harbour_domain::stats::suppress::DEFAULT_THRESHOLD,
        }
    }
}
