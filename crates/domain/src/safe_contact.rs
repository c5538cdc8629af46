//! How it is safe to contact a person: the channels they allow, a safe number or address for
//! each, safe times, a code word, whether the abuser sees their phone or post, and whether
//! contact must go only through the referrer. Recorded at intake; every outbound path will ask
//! the contact gate built on this before contacting anyone.

use crate::validation::FieldErrors;
use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    PhoneCall,
    Voicemail,
    Sms,
    Email,
    Post,
    /// Through a named third party (a friend, a support worker).
    ThirdParty,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::PhoneCall,
        Channel::Voicemail,
        Channel::Sms,
        Channel::Email,
        Channel::Post,
        Channel::ThirdParty,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Channel::PhoneCall => "phone_call",
            Channel::Voicemail => "voicemail",
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Post => "post",
            Channel::ThirdParty => "third_party",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::PhoneCall => "Phone call",
            Channel::Voicemail => "Voicemail message",
            Channel::Sms => "Text message",
            Channel::Email => "Email",
            Channel::Post => "Letter",
            Channel::ThirdParty => "Through someone they trust",
        }
    }

    /// What the safe value for this channel is called.
    pub fn value_label(self) -> &'static str {
        match self {
            Channel::PhoneCall | Channel::Voicemail | Channel::Sms => "a safe phone number",
            Channel::Email => "a safe email address",
            Channel::Post => "a safe postal address",
            Channel::ThirdParty => "the name and phone number of the person to go through",
        }
    }

    pub fn from_slug(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.slug() == s)
    }
}

/// A channel the person allows, with the number or address that is safe to use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedChannel {
    pub channel: Channel,
    pub value: String,
}

/// A window in the week when contact is safe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeTime {
    pub days: Vec<Weekday>,
    pub from: NaiveTime,
    pub to: NaiveTime,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeContact {
    pub channels: Vec<AllowedChannel>,
    /// Empty means any time is safe.
    pub safe_times: Vec<SafeTime>,
    pub code_word: Option<String>,
    pub abuser_sees_phone: bool,
    pub abuser_sees_post: bool,
    pub only_through_referrer: bool,
    pub do_not_contact: bool,
    /// Never stored: set only on the combination the contact gate uses while referrals disagree
    /// with what is held ([`crate::person_details::most_restrictive`]). The channels held back
    /// because their numbers or addresses differ, or not all of them allow the channel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_back: Vec<Channel>,
    /// Never stored, as `held_back`: their safe times have no time in common.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_common_safe_time: bool,
}

/// Safe contact as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SafeContactInput {
    pub channels: Vec<ChannelInput>,
    pub safe_times: Vec<SafeTimeInput>,
    pub code_word: String,
    pub abuser_sees_phone: bool,
    pub abuser_sees_post: bool,
    pub only_through_referrer: bool,
    pub do_not_contact: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelInput {
    pub channel: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SafeTimeInput {
    /// mon, tue, … sun
    pub days: Vec<String>,
    /// HH:MM, 24-hour
    pub from: String,
    pub to: String,
}

fn parse_day(s: &str) -> Option<Weekday> {
    match s.trim().to_lowercase().get(..3)? {
        "mon" => Some(Weekday::Mon),
        "tue" => Some(Weekday::Tue),
        "wed" => Some(Weekday::Wed),
        "thu" => Some(Weekday::Thu),
        "fri" => Some(Weekday::Fri),
        "sat" => Some(Weekday::Sat),
        "sun" => Some(Weekday::Sun),
        _ => None,
    }
}

/// A UK phone number: digits with optional spaces, a leading + and brackets; 10 to 13 digits.
pub fn is_plausible_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (10..=13).contains(&digits)
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-'))
}

impl SafeContactInput {
    /// Checks the preferences; errors are named under `prefix` (for example `safe_contact`).
    pub fn validate(&self, prefix: &str, errors: &mut FieldErrors) -> SafeContact {
        let mut channels = Vec::new();
        for (i, c) in self.channels.iter().enumerate() {
            let at = |f: &str| format!("{prefix}/channels/{i}/{f}");
            let Some(channel) = Channel::from_slug(c.channel.trim()) else {
                errors.add(
                    &at("channel"),
                    "Choose how it is safe to make contact from the list",
                );
                continue;
            };
            let value = c.value.trim().to_owned();
            let ok = match channel {
                _ if value.is_empty() => {
                    errors.add(
                        &at("value"),
                        format!(
                            "Enter {} for {}",
                            channel.value_label(),
                            channel.label().to_lowercase()
                        ),
                    );
                    continue;
                }
                Channel::PhoneCall | Channel::Voicemail | Channel::Sms => {
                    is_plausible_phone(&value)
                }
                Channel::Email => crate::user::is_plausible_email(&value),
                Channel::Post | Channel::ThirdParty => value.chars().count() <= 500,
            };
            if !ok {
                errors.add(
                    &at("value"),
                    match channel {
                        Channel::Email => {
                            "Enter an email address in the correct format, like name@example.org"
                                .to_owned()
                        }
                        Channel::Post | Channel::ThirdParty => {
                            "Must be 500 characters or fewer".to_owned()
                        }
                        _ => "Enter a phone number, like 01632 960 001 or 07700 900 982".to_owned(),
                    },
                );
                continue;
            }
            if channels
                .iter()
                .any(|a: &AllowedChannel| a.channel == channel)
            {
                errors.add(
                    &at("channel"),
                    format!("{} is listed twice", channel.label()),
                );
                continue;
            }
            channels.push(AllowedChannel { channel, value });
        }
        let mut safe_times = Vec::new();
        for (i, t) in self.safe_times.iter().enumerate() {
            let at = |f: &str| format!("{prefix}/safe_times/{i}/{f}");
            let days: Vec<Weekday> = t.days.iter().filter_map(|d| parse_day(d)).collect();
            if days.is_empty() || days.len() != t.days.len() {
                errors.add(&at("days"), "Choose the days when contact is safe");
            }
            let from = NaiveTime::parse_from_str(t.from.trim(), "%H:%M");
            let to = NaiveTime::parse_from_str(t.to.trim(), "%H:%M");
            match (from, to) {
                (Ok(from), Ok(to)) if from < to => safe_times.push(SafeTime { days, from, to }),
                (Ok(_), Ok(_)) => {
                    errors.add(&at("to"), "The end of a safe time must be after its start");
                }
                (Err(_), _) => {
                    errors.add(&at("from"), "Enter a time in 24-hour format, like 09:30");
                }
                (_, Err(_)) => errors.add(&at("to"), "Enter a time in 24-hour format, like 17:00"),
            }
        }
        let code_word = self.code_word.trim();
        if code_word.chars().count() > 100 {
            errors.add(
                &format!("{prefix}/code_word"),
                "The code word must be 100 characters or fewer",
            );
        }
        // Only when no way was given at all: a way given with a problem has its own message,
        // and "say how it is safe" beside it would contradict what the person chose.
        if self.channels.is_empty() && !self.only_through_referrer && !self.do_not_contact {
            errors.add(
                &format!("{prefix}/channels"),
                "Say how it is safe to contact the person, that contact must go through the referrer, or that they must not be contacted",
            );
        }
        SafeContact {
            channels,
            safe_times,
            code_word: (!code_word.is_empty()).then(|| code_word.to_owned()),
            abuser_sees_phone: self.abuser_sees_phone,
            abuser_sees_post: self.abuser_sees_post,
            only_through_referrer: self.only_through_referrer,
            do_not_contact: self.do_not_contact,
            held_back: Vec::new(),
            no_common_safe_time: false,
        }
    }
}

impl SafeContact {
    /// Whether a written confirmation may be sent at all: only through a channel the person
    /// allowed, that the abuser does not see, and never when contact must go through the
    /// referrer or not happen.
    pub fn confirmation_channel(&self) -> Option<&AllowedChannel> {
        if self.do_not_contact || self.only_through_referrer {
            return None;
        }
        self.channels.iter().find(|c| match c.channel {
            Channel::Email => true,
            Channel::Sms => !self.abuser_sees_phone,
            Channel::Post => !self.abuser_sees_post,
            _ => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SafeContactInput {
        SafeContactInput {
            channels: vec![ChannelInput {
                channel: "sms".into(),
                value: "07700 900982".into(),
            }],
            safe_times: vec![SafeTimeInput {
                days: vec!["mon".into(), "Tuesday".into()],
                from: "09:00".into(),
                to: "12:30".into(),
            }],
            code_word: "  bluebell ".into(),
            ..Default::default()
        }
    }

    #[test]
    fn valid_preferences_are_kept() {
        let mut e = FieldErrors::new();
        let sc = input().validate("safe_contact", &mut e);
        assert!(e.is_empty(), "{e}");
        assert_eq!(sc.channels[0].channel, Channel::Sms);
        assert_eq!(sc.safe_times[0].days, vec![Weekday::Mon, Weekday::Tue]);
        assert_eq!(sc.code_word.as_deref(), Some("bluebell"));
    }

    #[test]
    fn each_problem_is_named_by_path() {
        let mut bad = input();
        bad.channels.push(ChannelInput {
            channel: "email".into(),
            value: "not-an-address".into(),
        });
        bad.channels.push(ChannelInput {
            channel: "pigeon".into(),
            value: "x".into(),
        });
        bad.safe_times[0].to = "08:00".into();
        let mut e = FieldErrors::new();
        bad.validate("safe_contact", &mut e);
        assert!(
            e.get("safe_contact/channels/1/value")
                .unwrap()
                .contains("email address")
        );
        assert!(e.get("safe_contact/channels/2/channel").is_some());
        assert_eq!(
            e.get("safe_contact/safe_times/0/to"),
            Some("The end of a safe time must be after its start")
        );
    }

    #[test]
    fn some_way_of_contact_must_be_said() {
        let mut e = FieldErrors::new();
        SafeContactInput::default().validate("sc", &mut e);
        assert!(e.get("sc/channels").is_some());
        let mut e = FieldErrors::new();
        SafeContactInput {
            do_not_contact: true,
            ..Default::default()
        }
        .validate("sc", &mut e);
        assert!(e.is_empty());
    }

    #[test]
    fn confirmations_only_where_safe() {
        let mut e = FieldErrors::new();
        let mut sc = input().validate("sc", &mut e);
        assert_eq!(
            sc.confirmation_channel().map(|c| c.channel),
            Some(Channel::Sms)
        );
        sc.abuser_sees_phone = true;
        assert_eq!(
            sc.confirmation_channel(),
            None,
            "not to a phone the abuser sees"
        );
        sc.channels.push(AllowedChannel {
            channel: Channel::Email,
            value: "a@b.example".into(),
        });
        sc.only_through_referrer = true;
        assert_eq!(sc.confirmation_channel(), None);
    }
}
