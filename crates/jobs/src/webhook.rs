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
