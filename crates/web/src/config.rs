//! Settings the web layer needs, filled in by the binary from its configuration.

use harbour_storage::auth::SignInPolicy;

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure`: true when Harbour is served over HTTPS (behind TLS).
    pub secure_cookies: bool,
    pub sign_in: SignInPolicy,
    /// Sign-in attempts allowed per client address per minute, before any lock-out.
    pub sign_in_attempts_per_minute: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            sign_in: SignInPolicy::default(),
            sign_in_attempts_per_minute: 20,
        }
    }
}
