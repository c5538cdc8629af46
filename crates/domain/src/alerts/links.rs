//! The links a subscriber uses without an account: to confirm a subscription, to change it, and
//! to stop it in one click. Each is signed with the site's key and expires; it names the
//! subscription by its id and the generation of its links, so a link stops working once the
//! subscription is deleted or its links are renewed. Nothing personal is in one.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What a link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Confirm,
    Manage,
    Unsubscribe,
}

impl Purpose {
    fn code(self) -> &'static str {
        match self {
            Purpose::Confirm => "c",
            Purpose::Manage => "m",
            Purpose::Unsubscribe => "u",
        }
    }

    fn from_code(c: &str) -> Option<Purpose> {
        [Purpose::Confirm, Purpose::Manage, Purpose::Unsubscribe]
            .into_iter()
            .find(|p| p.code() == c)
    }

    /// How long a link lasts: a week to confirm (unconfirmed subscriptions are deleted after
    /// that), three months to change preferences from a message, a year to unsubscribe, so an
    /// old message still stops them.
    pub fn lasts(self) -> Duration {
        match self {
            Purpose::Confirm => Duration::days(7),
            Purpose::Manage => Duration::days(90),
            Purpose::Unsubscribe => Duration::days(365),
        }
    }
}

/// A link's content once its signature is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub purpose: Purpose,
    pub subscriber: String,
    /// The subscription's link generation when the link was made.
    pub generation: i64,
    /// The alert whose message carried it, for the delivery report's count of unsubscribes.
    pub alert: Option<String>,
    pub expires: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkProblem {
    #[error("the link has expired")]
    Expired,
    #[error("the link is not one Harbour made")]
    Invalid,
}

fn mac(key: &[u8], message: &str) -> Hmac<Sha256> {
    let mut m =
        Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!("any key length"));
    m.update(message.as_bytes());
    m
}

/// A link's token: `purpose.subscriber.generation.alert.expires.signature`, URL-safe.
pub fn make(
    key: &[u8],
    purpose: Purpose,
    subscriber: &str,
    generation: i64,
    alert: Option<&str>,
    now: DateTime<Utc>,
) -> String {
    let expires = (now + purpose.lasts()).timestamp();
    let message = format!(
        "{}.{subscriber}.{generation}.{}.{expires}",
        purpose.code(),
        alert.unwrap_or("-")
    );
    let signature = hex::encode(mac(key, &message).finalize().into_bytes());
    format!("{message}.{signature}")
}

/// Reads a token made by [`make`] with the same key.
pub fn read(key: &[u8], token: &str, now: DateTime<Utc>) -> Result<Link, LinkProblem> {
    let (message, signature) = token.rsplit_once('.').ok_or(LinkProblem::Invalid)?;
    let signature = hex::decode(signature).map_err(|_| LinkProblem::Invalid)?;
    mac(key, message)
        .verify_slice(&signature)
        .map_err(|_| LinkProblem::Invalid)?;
    let parts: Vec<&str> = message.split('.').collect();
    let [purpose, subscriber, generation, alert, expires] = parts[..] else {
        return Err(LinkProblem::Invalid);
    };
    let purpose = Purpose::from_code(purpose).ok_or(LinkProblem::Invalid)?;
    let generation = generation.parse().map_err(|_| LinkProblem::Invalid)?;
    let expires = expires
        .parse::<i64>()
        .ok()
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .ok_or(LinkProblem::Invalid)?;
    if now > expires {
        return Err(LinkProblem::Expired);
    }
    Ok(Link {
        purpose,
        subscriber: subscriber.to_owned(),
        generation,
        alert: (alert != "-").then(|| alert.to_owned()),
        expires,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_reads_back_until_it_expires_and_not_at_all_if_altered() {
        let key = b"a key for the tests only";
        let now: DateTime<Utc> = "2026-12-03T10:00:00Z".parse().unwrap();
        let t = make(key, Purpose::Unsubscribe, "sub-1", 2, Some("alert-9"), now);
        let link = read(key, &t, now + Duration::days(364)).unwrap();
        assert_eq!(link.purpose, Purpose::Unsubscribe);
        assert_eq!(link.subscriber, "sub-1");
        assert_eq!(link.generation, 2);
        assert_eq!(link.alert.as_deref(), Some("alert-9"));
        assert_eq!(
            read(key, &t, now + Duration::days(366)),
            Err(LinkProblem::Expired)
        );
        let confirm = make(key, Purpose::Confirm, "sub-1", 2, None, now);
        assert_eq!(
            read(key, &confirm, now + Duration::days(8)),
            Err(LinkProblem::Expired)
        );
        // Another subscriber's id, another purpose, or another key: refused.
        assert_eq!(
            read(key, &t.replacen("sub-1", "sub-2", 1), now),
            Err(LinkProblem::Invalid)
        );
        assert_eq!(
            read(key, &t.replacen("u.", "m.", 1), now),
            Err(LinkProblem::Invalid)
        );
        assert_eq!(read(b"another key", &t, now), Err(LinkProblem::Invalid));
        assert_eq!(read(key, "nonsense", now), Err(LinkProblem::Invalid));
    }
}
