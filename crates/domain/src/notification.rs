//! Notifications: what staff and agencies' systems are told when an onward referral needs
//! them, how a webhook is signed, and how long to wait before trying an undelivered message
//! again. Messages say only that there is something to look at, with a link: never a name,
//! an address or anything else about the person.

use crate::deadline::Milestone;
use crate::onward::State;
use chrono::Duration;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What happened that someone should know about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A referral was sent to the agency's service.
    Received,
    /// The onward referral moved to a new state.
    Changed { state: State },
    /// A deadline passed without being met.
    Overdue { milestone: Milestone },
}

impl Event {
    /// The event's name in webhooks.
    pub fn name(self) -> &'static str {
        match self {
            Event::Received => "onward_referral.received",
            Event::Changed { .. } => "onward_referral.changed",
            Event::Overdue { .. } => "onward_referral.overdue",
        }
    }
}

/// An e-mail to staff: a subject and a body that carry nothing about the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffEmail {
    pub subject: String,
    pub body: String,
}

/// The e-mail telling staff about `event`, with a link to the referral in Harbour.
pub fn staff_email(event: Event, link: &str) -> StaffEmail {
    let (subject, what) = match event {
        Event::Received => (
            "Harbour: a new referral for your service".to_owned(),
            "A new referral is waiting for your service in Harbour.".to_owned(),
        ),
        Event::Changed { state } => (
            format!(
                "Harbour: a referral you sent is now {}",
                state.label().to_lowercase()
            ),
            format!(
                "A referral you sent on is now {}.",
                state.label().to_lowercase()
            ),
        ),
        Event::Overdue { milestone } => (
            "Harbour: a referral is overdue".to_owned(),
            format!(
                "A referral is overdue: \"{}\" has not been done in time.",
                milestone.label()
            ),
        ),
    };
    StaffEmail {
        subject,
        body: format!(
            "{what}\n\nOpen it in Harbour (you will need to sign in):\n{link}\n\n\
             This message holds no personal details on purpose. Please do not forward it.\n"
        ),
    }
}

/// The e-mail chasing an agency's overdue MARAC actions, with a link to them in Harbour.
pub fn marac_chase_email(overdue: usize, link: &str) -> StaffEmail {
    let what = if overdue == 1 {
        "An action your agency agreed to at MARAC is past its due date.".to_owned()
    } else {
        format!("{overdue} actions your agency agreed to at MARAC are past their due date.")
    };
    StaffEmail {
        subject: "Harbour: MARAC actions overdue".to_owned(),
        body: format!(
            "{what} Say what was done, or why it was not possible.\n\nOpen them in Harbour \
             (you will need to sign in):\n{link}\n\nThis message holds no personal details on \
             purpose. Please do not forward it.\n"
        ),
    }
}

/// The quarterly report's e-mail to the commissioner's office: that it is ready, and a link.
/// Nothing else, not even a figure: the pack is read signed in.
pub fn quarterly_report_email(quarter: &str, link: &str) -> StaffEmail {
    StaffEmail {
        subject: format!("Harbour: the partnership report for {quarter} is ready"),
        body: format!(
            "The partnership's report pack for {quarter} is ready.\n\nOpen it in Harbour \
             (you will need to sign in):\n{link}\n"
        ),
    }
}

/// The value of the `Harbour-Signature` header on a webhook: `t=<unix seconds>,v1=<hex>`,
/// where the hex is HMAC-SHA256 with the agency's secret over `<unix seconds>.<body>`. The
/// receiver recomputes it and rejects a message whose time is far from its own clock.
pub fn sign(secret: &str, unix_seconds: i64, body: &[u8]) -> String {
    format!(
        "t={unix_seconds},v1={}",
        signature(secret, unix_seconds, body)
    )
}

fn signature(secret: &str, unix_seconds: i64, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        unreachable!("HMAC takes a key of any length")
    };
    mac.update(unix_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a `Harbour-Signature` header against the body, as a receiving system would.
pub fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = x.parse::<i64>().ok(),
            Some(("v1", x)) => v1 = hex::decode(x).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&v1).is_ok()
}

/// How long to wait before the next try after `attempts` failed ones: 30 seconds, doubling,
/// at most an hour. A message is never given up on.
pub fn backoff(attempts: u32) -> Duration {
    let seconds = 30i64.saturating_mul(1i64 << attempts.saturating_sub(1).min(20));
    Duration::seconds(seconds.min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_any_change_breaks_it() {
        let header = sign("s3cret", 1_790_000_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1790000000,v1="));
        assert!(verify("s3cret", &header, b"{\"a\":1}"));
        assert!(!verify("s3cret", &header, b"{\"a\":2}"));
        assert!(!verify("other", &header, b"{\"a\":1}"));
        assert!(!verify(
            "s3cret",
            &header.replace("t=1790000000", "t=1790000001"),
            b"{\"a\":1}"
        ));
        assert!(!verify("s3cret", "garbage", b"{\"a\":1}"));
    }

    #[test]
    fn backoff_doubles_to_an_hour_and_stays_there() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(8), Duration::seconds(3600));
        assert_eq!(backoff(1000), Duration::seconds(3600));
    }

    #[test]
    fn staff_emails_carry_a_link_and_nothing_else_about_the_referral() {
        let e = staff_email(
            Event::Overdue {
                milestone: Milestone::FirstContactAttempt,
            },
            "https://harbour.example/onward/abc",
        );
        assert!(e.subject.contains("overdue"));
        assert!(e.body.contains("https://harbour.example/onward/abc"));
        let e = staff_email(
            Event::Changed {
                state: State::Declined,
            },
            "x",
        );
        assert_eq!(e.subject, "Harbour: a referral you sent is now declined");
    }
}
