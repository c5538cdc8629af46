//! The contact gate: the one place that decides whether a person may be contacted, by which
//! channel, at what moment, and at which number or address. Every outbound path asks it
//! (notifications about a person, letters, texts, calls a caseworker is about to make, any future
//! reminder) and does nothing it refuses.
//!
//! It refuses:
//! - everything when the person asked not to be contacted, or to be contacted only through the
//!   referrer;
//! - a channel the person did not allow;
//! - a channel suspended after an unsafe or wrong-number attempt, until a person reviews it;
//! - texts and voicemails when the abuser sees the phone, letters when the abuser sees the post;
//! - any moment outside the person's safe times (UK local time), saying when the next one opens;
//! - while referrals disagree with what is held about the person and a hub officer has not yet
//!   chosen between them, a channel whose number or address differs or that not all of them
//!   allow, and any moment when their safe times have none in common
//!   ([`crate::person_details::most_restrictive`]).

use crate::safe_contact::{Channel, SafeContact};
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;
use serde::{Deserialize, Serialize};

/// What the gate allows: the channel, the number or address to use, and the code word the
/// caller must use to confirm they are speaking to the right person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit {
    pub channel: Channel,
    pub to: String,
    pub code_word: Option<String>,
}

/// Why the gate refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    DoNotContact,
    OnlyThroughReferrer,
    ChannelNotAllowed(Channel),
    /// Suspended after an unsafe or wrong-number attempt; a person must review it first.
    ChannelSuspended(Channel),
    AbuserSeesPhone(Channel),
    AbuserSeesPost,
    /// Not a safe time; the next safe moment, if there is one within a week.
    OutsideSafeTimes {
        next: Option<DateTime<Utc>>,
    },
    /// Referrals give a different number or address for the channel, or not all allow it, and
    /// the hub has not yet confirmed which is right.
    DetailsUnconfirmed(Channel),
    /// Referrals give safe times with no time in common, and the hub has not yet confirmed which
    /// are right.
    NoAgreedSafeTime,
    /// The asking service declined the referral or its part has ended: it gets no way to
    /// contact the person.
    NotWorkingReferral,
}

impl Refusal {
    /// A sentence for staff (never names the number or address).
    pub fn message(&self) -> String {
        match self {
            Refusal::DoNotContact => "The person asked not to be contacted.".into(),
            Refusal::OnlyThroughReferrer => {
                "The person asked to be contacted only through the referrer.".into()
            }
            Refusal::ChannelNotAllowed(c) => format!(
                "The person did not say {} is safe.",
                c.label().to_lowercase()
            ),
            Refusal::ChannelSuspended(c) => format!(
                "{} is suspended after an unsafe or wrong-number attempt, until someone reviews it.",
                c.label()
            ),
            Refusal::AbuserSeesPhone(c) => format!(
                "{} is not safe: the abuser can see the person's phone.",
                c.label()
            ),
            Refusal::AbuserSeesPost => "Letters are not safe: the abuser can see the post.".into(),
            Refusal::OutsideSafeTimes { next: Some(t) } => format!(
                "This is not a safe time. The next safe time starts {}.",
                t.with_timezone(&London).format("%A %-d %B at %H:%M")
            ),
            Refusal::OutsideSafeTimes { next: None } => "This is not a safe time.".into(),
            Refusal::DetailsUnconfirmed(c) => format!(
                "{} is not used until the hub confirms the person's details: their referrals disagree about it.",
                c.label()
            ),
            Refusal::NoAgreedSafeTime => "No time is safe until the hub confirms the person's details: their referrals give safe times with nothing in common.".into(),
            Refusal::NotWorkingReferral => "Your service is no longer working this referral, so Harbour gives no way to contact the person.".into(),
        }
    }

    pub fn slug(&self) -> &'static str {
        match self {
            Refusal::DoNotContact => "do_not_contact",
            Refusal::OnlyThroughReferrer => "only_through_referrer",
            Refusal::ChannelNotAllowed(_) => "channel_not_allowed",
            Refusal::ChannelSuspended(_) => "channel_suspended",
            Refusal::AbuserSeesPhone(_) => "abuser_sees_phone",
            Refusal::AbuserSeesPost => "abuser_sees_post",
            Refusal::OutsideSafeTimes { .. } => "outside_safe_times",
            Refusal::DetailsUnconfirmed(_) => "details_unconfirmed",
            Refusal::NoAgreedSafeTime => "no_agreed_safe_time",
            Refusal::NotWorkingReferral => "not_working_referral",
        }
    }
}

/// Decides whether `channel` may be used to contact the person at `at`.
/// `suspended` lists the channels stopped by an unsafe or wrong-number result.
pub fn decide(
    safe: &SafeContact,
    suspended: &[Channel],
    channel: Channel,
    at: DateTime<Utc>,
) -> Result<Permit, Refusal> {
    if let Some(refusal) = blocked(safe) {
        return Err(refusal);
    }
    if safe.held_back.contains(&channel) {
        return Err(Refusal::DetailsUnconfirmed(channel));
    }
    let Some(allowed) = safe.channels.iter().find(|c| c.channel == channel) else {
        return Err(Refusal::ChannelNotAllowed(channel));
    };
    if suspended.contains(&channel) {
        return Err(Refusal::ChannelSuspended(channel));
    }
    match channel {
        Channel::Sms | Channel::Voicemail if safe.abuser_sees_phone => {
            return Err(Refusal::AbuserSeesPhone(channel));
        }
        Channel::Post if safe.abuser_sees_post => return Err(Refusal::AbuserSeesPost),
        _ => {}
    }
    if safe.no_common_safe_time {
        return Err(Refusal::NoAgreedSafeTime);
    }
    if !is_safe_time(safe, at) {
        return Err(Refusal::OutsideSafeTimes {
            next: next_safe_time(safe, at),
        });
    }
    Ok(Permit {
        channel,
        to: allowed.value.clone(),
        code_word: safe.code_word.clone(),
    })
}

/// What to ask of someone logging an attempt the gate would have refused at that moment (outside
/// the person's safe times, a channel they did not allow, one held back or suspended): the
/// attempt is recorded only with a reason.
pub fn attempt_reason_prompt(refusal: &Refusal) -> String {
    match refusal {
        Refusal::OutsideSafeTimes { .. } | Refusal::NoAgreedSafeTime => {
            "This is outside the times they said are safe. Say why you are recording contact at this time".into()
        }
        other => format!(
            "{} Say why you are recording this contact anyway",
            other.message()
        ),
    }
}

/// Why no channel at all may be used: the person asked not to be contacted, or to be reached
/// only through the referrer.
pub fn blocked(safe: &SafeContact) -> Option<Refusal> {
    if safe.do_not_contact {
        Some(Refusal::DoNotContact)
    } else if safe.only_through_referrer {
        Some(Refusal::OnlyThroughReferrer)
    } else {
        None
    }
}

/// The gate's answer at `at` for each channel the person allowed, in their order of preference,
/// then each channel held back while referrals disagree.
pub fn channels_now(
    safe: &SafeContact,
    suspended: &[Channel],
    at: DateTime<Utc>,
) -> Vec<(Channel, Result<Permit, Refusal>)> {
    safe.channels
        .iter()
        .map(|c| c.channel)
        .chain(safe.held_back.iter().copied())
        .map(|c| (c, decide(safe, suspended, c, at)))
        .collect()
}

/// The channels the gate would allow at `at`, in the person's order of preference.
pub fn usable_channels(
    safe: &SafeContact,
    suspended: &[Channel],
    at: DateTime<Utc>,
) -> Vec<Permit> {
    channels_now(safe, suspended, at)
        .into_iter()
        .filter_map(|(_, d)| d.ok())
        .collect()
}

/// Whether `at` falls in one of the safe times (UK local time). No safe times means any time.
pub fn is_safe_time(safe: &SafeContact, at: DateTime<Utc>) -> bool {
    if safe.no_common_safe_time {
        return false;
    }
    if safe.safe_times.is_empty() {
        return true;
    }
    let local = at.with_timezone(&London);
    let (day, time) = (local.weekday(), local.time());
    safe.safe_times
        .iter()
        .any(|w| w.days.contains(&day) && w.from <= time && time < w.to)
}

/// The start of the next safe time after `at`, within the coming week.
pub fn next_safe_time(safe: &SafeContact, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local_date = at.with_timezone(&London).date_naive();
    let mut best: Option<DateTime<Utc>> = None;
    for offset in 0..=7 {
        let date = local_date + Duration::days(offset);
        for w in &safe.safe_times {
            if !w.days.contains(&date.weekday()) {
                continue;
            }
            let Some(start) = local_instant(date.and_time(w.from)) else {
                continue;
            };
            if start > at && best.is_none_or(|b| start < b) {
                best = Some(start);
            }
        }
        if best.is_some() {
            break;
        }
    }
    best
}

/// A UK local time as an instant; in the autumn hour that happens twice, the first; in the spring
/// hour that never happens, an hour later.
fn local_instant(t: chrono::NaiveDateTime) -> Option<DateTime<Utc>> {
    London
        .from_local_datetime(&t)
        .earliest()
        .or_else(|| {
            London
                .from_local_datetime(&(t + Duration::hours(1)))
                .earliest()
        })
        .map(|d| d.with_timezone(&Utc))
}

/// The result of an attempt to contact the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptResult {
    Spoke,
    NoAnswer,
    LeftMessage,
    /// Someone else answered: the channel may be known to the abuser.
    Unsafe,
    WrongNumber,
    /// A letter or email sent.
    Sent,
}

impl AttemptResult {
    pub const ALL: [AttemptResult; 6] = [
        AttemptResult::Spoke,
        AttemptResult::NoAnswer,
        AttemptResult::LeftMessage,
        AttemptResult::Unsafe,
        AttemptResult::WrongNumber,
        AttemptResult::Sent,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            AttemptResult::Spoke => "spoke",
            AttemptResult::NoAnswer => "no_answer",
            AttemptResult::LeftMessage => "left_message",
            AttemptResult::Unsafe => "unsafe",
            AttemptResult::WrongNumber => "wrong_number",
            AttemptResult::Sent => "sent",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AttemptResult::Spoke => "Spoke to the person",
            AttemptResult::NoAnswer => "No answer",
            AttemptResult::LeftMessage => "Left a message",
            AttemptResult::Unsafe => "Unsafe: someone else answered",
            AttemptResult::WrongNumber => "Wrong number or address",
            AttemptResult::Sent => "Sent (letter or email)",
        }
    }

    pub fn from_slug(s: &str) -> Option<AttemptResult> {
        AttemptResult::ALL.into_iter().find(|r| r.slug() == s)
    }

    /// An unsafe or wrong-number result stops the channel until a person reviews it.
    pub fn suspends_channel(self) -> bool {
        matches!(self, AttemptResult::Unsafe | AttemptResult::WrongNumber)
    }

    /// Whether the attempt reached the person (it meets a "first contact" deadline).
    pub fn made_contact(self) -> bool {
        matches!(self, AttemptResult::Spoke)
    }
}

/// A moment for tests and callers: a UK local date and time as an instant.
pub fn uk_time(date: chrono::NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    local_instant(date.and_time(time)).unwrap_or_else(|| date.and_time(time).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::safe_contact::{AllowedChannel, SafeTime};
    use chrono::{NaiveDate, Weekday};
    use proptest::prelude::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    /// Email only, weekdays 10:00–12:00.
    fn email_only() -> SafeContact {
        SafeContact {
            channels: vec![AllowedChannel {
                channel: Channel::Email,
                value: "safe@example.org".into(),
            }],
            safe_times: vec![SafeTime {
                days: vec![
                    Weekday::Mon,
                    Weekday::Tue,
                    Weekday::Wed,
                    Weekday::Thu,
                    Weekday::Fri,
                ],
                from: t(10, 0),
                to: t(12, 0),
            }],
            code_word: Some("bluebell".into()),
            ..Default::default()
        }
    }

    // Monday 23 November 2026.
    fn monday() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn an_allowed_channel_at_a_safe_time_gets_its_address_and_code_word() {
        let p = decide(
            &email_only(),
            &[],
            Channel::Email,
            uk_time(monday(), t(10, 30)),
        )
        .unwrap();
        assert_eq!(p.to, "safe@example.org");
        assert_eq!(p.code_word.as_deref(), Some("bluebell"));
    }

    #[test]
    fn other_channels_and_other_times_are_refused() {
        let sc = email_only();
        let ok_time = uk_time(monday(), t(10, 30));
        for c in [Channel::Sms, Channel::Post, Channel::PhoneCall] {
            assert_eq!(
                decide(&sc, &[], c, ok_time),
                Err(Refusal::ChannelNotAllowed(c))
            );
        }
        let late = uk_time(monday(), t(12, 0));
        let Err(Refusal::OutsideSafeTimes { next: Some(next) }) =
            decide(&sc, &[], Channel::Email, late)
        else {
            panic!("refused for the time");
        };
        assert_eq!(next, uk_time(monday().succ_opt().unwrap(), t(10, 0)));
        // Saturday: the next is Monday.
        let saturday = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let Err(Refusal::OutsideSafeTimes { next: Some(next) }) =
            decide(&sc, &[], Channel::Email, uk_time(saturday, t(11, 0)))
        else {
            panic!("refused for the day");
        };
        assert_eq!(
            next,
            uk_time(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(), t(10, 0))
        );
    }

    #[test]
    fn safe_times_are_uk_local_across_the_clock_change() {
        // 10:30 in London in summer is 09:30 UTC; 11:30 UTC is 12:30 there, after the window.
        let mut sc = email_only();
        sc.safe_times[0].days.push(Weekday::Sat);
        let june = NaiveDate::from_ymd_opt(2026, 6, 6).unwrap();
        let at = june.and_time(t(9, 30)).and_utc();
        assert!(decide(&sc, &[], Channel::Email, at).is_ok());
        let at = june.and_time(t(11, 30)).and_utc();
        assert!(decide(&sc, &[], Channel::Email, at).is_err());
        let at = june.and_time(t(8, 30)).and_utc();
        assert!(
            decide(&sc, &[], Channel::Email, at).is_err(),
            "09:30 in London"
        );
    }

    #[test]
    fn the_person_s_wishes_come_first() {
        let at = uk_time(monday(), t(10, 30));
        let mut sc = email_only();
        sc.only_through_referrer = true;
        assert_eq!(
            decide(&sc, &[], Channel::Email, at),
            Err(Refusal::OnlyThroughReferrer)
        );
        sc.do_not_contact = true;
        assert_eq!(
            decide(&sc, &[], Channel::Email, at),
            Err(Refusal::DoNotContact)
        );
    }

    #[test]
    fn a_suspended_channel_is_refused_until_reviewed() {
        let at = uk_time(monday(), t(10, 30));
        assert_eq!(
            decide(&email_only(), &[Channel::Email], Channel::Email, at),
            Err(Refusal::ChannelSuspended(Channel::Email))
        );
        assert!(AttemptResult::Unsafe.suspends_channel());
        assert!(AttemptResult::WrongNumber.suspends_channel());
        assert!(!AttemptResult::NoAnswer.suspends_channel());
    }

    #[test]
    fn texts_and_letters_are_refused_where_the_abuser_sees_them() {
        let at = uk_time(monday(), t(10, 30));
        let mut sc = email_only();
        sc.channels = vec![
            AllowedChannel {
                channel: Channel::Sms,
                value: "07700 900982".into(),
            },
            AllowedChannel {
                channel: Channel::PhoneCall,
                value: "07700 900982".into(),
            },
            AllowedChannel {
                channel: Channel::Post,
                value: "1 Safe Street".into(),
            },
        ];
        sc.abuser_sees_phone = true;
        sc.abuser_sees_post = true;
        assert_eq!(
            decide(&sc, &[], Channel::Sms, at),
            Err(Refusal::AbuserSeesPhone(Channel::Sms))
        );
        assert_eq!(
            decide(&sc, &[], Channel::Post, at),
            Err(Refusal::AbuserSeesPost)
        );
        assert!(decide(&sc, &[], Channel::PhoneCall, at).is_ok());
        assert_eq!(
            usable_channels(&sc, &[], at)
                .iter()
                .map(|p| p.channel)
                .collect::<Vec<_>>(),
            [Channel::PhoneCall]
        );
    }

    proptest! {
        /// Whatever the moment and channel, the gate allows only a channel the person listed,
        /// not suspended, inside a safe time, and never when they asked not to be contacted.
        #[test]
        fn nothing_is_allowed_that_the_person_did_not_allow(
            minutes in 0i64..(60 * 24 * 21),
            channel in 0usize..6,
            suspend in any::<bool>(),
            only_referrer in any::<bool>(),
        ) {
            let mut sc = email_only();
            sc.only_through_referrer = only_referrer;
            let channel = Channel::ALL[channel];
            let at = uk_time(monday(), t(0, 0)) + Duration::minutes(minutes);
            let suspended = if suspend { vec![Channel::Email] } else { vec![] };
            if let Ok(p) = decide(&sc, &suspended, channel, at) {
                prop_assert_eq!(p.channel, Channel::Email);
                prop_assert!(!suspend && !only_referrer);
                let local = at.with_timezone(&London);
                prop_assert!(local.weekday().num_days_from_monday() < 5);
                prop_assert!(local.time() >= t(10, 0) && local.time() < t(12, 0));
            }
            if let Err(Refusal::OutsideSafeTimes { next: Some(next) }) = decide(&sc, &suspended, channel, at) {
                prop_assert!(next > at);
                prop_assert!(is_safe_time(&sc, next));
            }
        }
    }
}
