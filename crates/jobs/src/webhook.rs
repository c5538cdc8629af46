//! Webhooks: a JSON POST to an agency's system, signed with its secret (HMAC-SHA256, see
//! [`harbour_domain::notification::sign`]). The body names the event and links to the
//! referral; it carries nothing about the person.

use harbour_domain::notification::{Event, sign};
use serde_json::json;

/// The body of a webhook for `event`. `delivery` is the same on every try, so a receiver can
/// drop a repeat.
pub fn body(delivery: &str, event: Event, onward_referral_id: &str, link: &str) -> Vec<u8> {
    let mut b = json!({
        "delivery": delivery,
        "event": event.name(),
        "onward_referral_id": onward_referral_id,
        "link": link,
    });
    match event {
        Event::Received => {}
        Event::Changed { state } => b["state"] = json!(state.slug()),
        Event::Overdue { milestone } => b["milestone"] = json!(milestone.slug()),
    }
    b.to_string().into_bytes()
}

/// Resolves the host of a webhook's address and keeps only the addresses a webhook may go to
/// (`harbour_domain::webhook_address::ip_allowed`): a name that resolves to a private,
/// link-local or loopback address is refused when the webhook is sent, whatever it resolved to
/// when it was saved.
pub struct PublicOnly {
    pub allow_loopback: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| harbour_domain::webhook_address::ip_allowed(a.ip(), allow_loopback))
                .collect();
            if found.is_empty() {
                return Err(
                    "the address resolves only to private, link-local or loopback addresses".into(),
                );
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// Posts `body` to `url`, signed with `secret`. Any 2xx answer is delivery.
pub async fn post(
    http: &reqwest::Client,
    url: &str,
    secret: &str,
    delivery: &str,
    body: Vec<u8>,
) -> Result<(), String> {
    let now = chrono::Utc::now().timestamp();
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .header("harbour-delivery", delivery)
        .header("harbour-signature", sign(secret, now, &body))
        .body(body)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "the agency's system did not answer in time".to_owned()
            } else {
                "could not reach the agency's system".to_owned()
            }
        })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the agency's system answered {}", status.as_u16()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::dns::Resolve;

    /// A name that resolves to this machine is refused at sending unless loopback is allowed,
    /// whatever the address looked like when it was saved.
    #[tokio::test]
    async fn names_resolving_to_this_machine_are_refused_unless_allowed() {
        let name = |n: &str| n.parse::<reqwest::dns::Name>().unwrap();
        let refused = PublicOnly {
            allow_loopback: false,
        }
        .resolve(name("localhost"))
        .await;
        assert!(refused.is_err());
        let allowed = PublicOnly {
            allow_loopback: true,
        }
        .resolve(name("localhost"))
        .await
        .map(Iterator::count);
        assert!(allowed.is_ok_and(|n| n > 0));
    }
}
