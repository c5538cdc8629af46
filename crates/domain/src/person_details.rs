//! What Harbour holds about a person, set against what a referral says about them.
//!
//! Each referral keeps its own record of the person as referred, and nothing a later referral
//! says alters it. The person holds the **current confirmed** details: at first those of the
//! referral that made them known, then whatever a hub officer chooses, field by field, having
//! seen what is held and what a newer referral says side by side ([`apply`]).
//!
//! Until the officer has chosen, the contact gate does not trust either side: it uses the
//! [`most_restrictive`] combination of what is held and what each unresolved referral says. A
//! channel or a time is allowed only if every one of them allows it; a channel whose number or
//! address differs is not used at all (the old number may be the one the abuser now holds); no
//! code word is lost.

use crate::referral::Person;
use crate::safe_contact::{Channel, SafeContact, SafeTime};
use crate::validation::FieldErrors;
use chrono::Weekday;
use serde::{Deserialize, Serialize};

/// A detail that a referral can say differently from what is held. Each is chosen as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Channel(Channel),
    SafeTimes,
    CodeWord,
    AbuserSeesPhone,
    AbuserSeesPost,
    OnlyThroughReferrer,
    DoNotContact,
    /// The address with its postcode and area.
    Address,
    PreviousNames,
    Gender,
    /// The language, and whether an interpreter is needed.
    Language,
    Disability,
    Vulnerability,
    Ethnicity,
    SexualOrientation,
    Religion,
}

impl Field {
    /// The name a form gives the choice for this field.
    pub fn slug(self) -> String {
        match self {
            Field::Channel(c) => format!("channel_{}", c.slug()),
            Field::SafeTimes => "safe_times".into(),
            Field::CodeWord => "code_word".into(),
            Field::AbuserSeesPhone => "abuser_sees_phone".into(),
            Field::AbuserSeesPost => "abuser_sees_post".into(),
            Field::OnlyThroughReferrer => "only_through_referrer".into(),
            Field::DoNotContact => "do_not_contact".into(),
            Field::Address => "address".into(),
            Field::PreviousNames => "previous_names".into(),
            Field::Gender => "gender".into(),
            Field::Language => "language".into(),
            Field::Disability => "disability".into(),
            Field::Vulnerability => "vulnerability".into(),
            Field::Ethnicity => "ethnicity".into(),
            Field::SexualOrientation => "sexual_orientation".into(),
            Field::Religion => "religion".into(),
        }
    }

    pub fn label(self) -> String {
        match self {
            Field::Channel(c) => c.label().to_owned(),
            Field::SafeTimes => "Safe times".into(),
            Field::CodeWord => "Code word".into(),
            Field::AbuserSeesPhone => "The abuser sees their phone".into(),
            Field::AbuserSeesPost => "The abuser sees their post".into(),
            Field::OnlyThroughReferrer => "Contact only through the referrer".into(),
            Field::DoNotContact => "Do not contact".into(),
            Field::Address => "Address".into(),
            Field::PreviousNames => "Previous names".into(),
            Field::Gender => "Gender".into(),
            Field::Language => "Language".into(),
            Field::Disability => "Disability".into(),
            Field::Vulnerability => "Vulnerability".into(),
            Field::Ethnicity => "Ethnicity".into(),
            Field::SexualOrientation => "Sexual orientation".into(),
            Field::Religion => "Religion".into(),
        }
    }

    /// Whether the field is about reaching the person safely.
    pub fn is_contact(self) -> bool {
        !matches!(
            self,
            Field::PreviousNames
                | Field::Gender
                | Field::Language
                | Field::Disability
                | Field::Vulnerability
                | Field::Ethnicity
                | Field::SexualOrientation
                | Field::Religion
        )
    }
}

/// A field held one way and referred another, each written out for a person to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub field: Field,
    pub held: String,
    pub referred: String,
}

/// A person's details: who they are and how it is safe to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Details {
    pub person: Person,
    pub safe_contact: SafeContact,
}

const NOT_GIVEN: &str = "Not given";

fn squash(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn postcode_key(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

/// A number or address as compared: phone numbers by their digits (+44 read as 0), the rest
/// ignoring case, spaces and commas.
fn value_key(channel: Channel, value: &str) -> String {
    match channel {
        Channel::PhoneCall | Channel::Voicemail | Channel::Sms => {
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            match digits.strip_prefix("44") {
                Some(rest) if value.trim_start().starts_with('+') => format!("0{rest}"),
                _ => digits,
            }
        }
        _ => squash(value),
    }
}

fn channel_value(sc: &SafeContact, channel: Channel) -> Option<&str> {
    sc.channels
        .iter()
        .find(|c| c.channel == channel)
        .map(|c| c.value.as_str())
}

fn same_value(channel: Channel, a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => value_key(channel, a) == value_key(channel, b),
        (None, None) => true,
        _ => false,
    }
}

fn day_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// Safe times as a person reads them: "Monday and Wednesday, 9:00 to 12:00".
pub fn describe_safe_times(times: &[SafeTime]) -> String {
    if times.is_empty() {
        return "Any time".into();
    }
    times
        .iter()
        .map(|t| {
            let days: Vec<&str> = t.days.iter().map(|d| day_name(*d)).collect();
            let days = match days.as_slice() {
                [] => String::new(),
                [one] => (*one).to_owned(),
                [init @ .., last] => format!("{} and {last}", init.join(", ")),
            };
            format!(
                "{days}, {} to {}",
                t.from.format("%-H:%M"),
                t.to.format("%-H:%M")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Safe times as a set of (day, from, to), so the order they were given in does not matter.
fn times_key(times: &[SafeTime]) -> Vec<(u32, chrono::NaiveTime, chrono::NaiveTime)> {
    let mut key: Vec<_> = times
        .iter()
        .flat_map(|t| {
            t.days
                .iter()
                .map(move |d| (d.num_days_from_monday(), t.from, t.to))
        })
        .collect();
    key.sort_unstable();
    key.dedup();
    key
}

fn yes_no(b: bool) -> String {
    if b { "Yes" } else { "No" }.into()
}

fn or_not_given(s: &str) -> String {
    if s.trim().is_empty() {
        NOT_GIVEN.into()
    } else {
        s.trim().to_owned()
    }
}

fn address_line(p: &Person) -> String {
    let line = [p.address.trim(), p.postcode.trim()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    or_not_given(&line)
}

/// Previous names held, with those the referral adds: what choosing the referral's would keep.
fn names_with(held: &[String], referred: &[String]) -> Vec<String> {
    let mut all = held.to_vec();
    for n in referred {
        if !all.iter().any(|h| squash(h) == squash(n)) {
            all.push(n.clone());
        }
    }
    all
}

/// What the referral says differently from what is held, contact first.
///
/// A detail the referral leaves blank is not a difference (police referrals often give no
/// gender or language); how to reach the person is always given, so every part of it counts,
/// a code word or a channel left out included.
pub fn differences(held: &Details, referred: &Details) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut push = |field, held: String, referred: String| {
        out.push(Difference {
            field,
            held,
            referred,
        });
    };
    let (hs, rs) = (&held.safe_contact, &referred.safe_contact);
    let mut channels: Vec<Channel> = hs.channels.iter().map(|c| c.channel).collect();
    for c in &rs.channels {
        if !channels.contains(&c.channel) {
            channels.push(c.channel);
        }
    }
    for channel in channels {
        let (h, r) = (channel_value(hs, channel), channel_value(rs, channel));
        if !same_value(channel, h, r) {
            let show = |v: Option<&str>| v.map_or_else(|| NOT_GIVEN.to_owned(), str::to_owned);
            push(Field::Channel(channel), show(h), show(r));
        }
    }
    if times_key(&hs.safe_times) != times_key(&rs.safe_times) {
        push(
            Field::SafeTimes,
            describe_safe_times(&hs.safe_times),
            describe_safe_times(&rs.safe_times),
        );
    }
    if hs.code_word.as_deref().map(str::trim) != rs.code_word.as_deref().map(str::trim) {
        let show = |w: &Option<String>| w.clone().unwrap_or_else(|| "None".into());
        push(Field::CodeWord, show(&hs.code_word), show(&rs.code_word));
    }
    for (field, h, r) in [
        (
            Field::AbuserSeesPhone,
            hs.abuser_sees_phone,
            rs.abuser_sees_phone,
        ),
        (
            Field::AbuserSeesPost,
            hs.abuser_sees_post,
            rs.abuser_sees_post,
        ),
        (
            Field::OnlyThroughReferrer,
            hs.only_through_referrer,
            rs.only_through_referrer,
        ),
        (Field::DoNotContact, hs.do_not_contact, rs.do_not_contact),
    ] {
        if h != r {
            push(field, yes_no(h), yes_no(r));
        }
    }
    let (hp, rp) = (&held.person, &referred.person);
    let gives_address = !rp.address.trim().is_empty() || !rp.postcode.trim().is_empty();
    if gives_address
        && (squash(&hp.address) != squash(&rp.address)
            || postcode_key(&hp.postcode) != postcode_key(&rp.postcode))
    {
        push(Field::Address, address_line(hp), address_line(rp));
    }
    let added = names_with(&hp.previous_names, &rp.previous_names);
    if added.len() > hp.previous_names.len() {
        let show = |names: &[String]| {
            if names.is_empty() {
                "None".to_owned()
            } else {
                names.join(", ")
            }
        };
        push(Field::PreviousNames, show(&hp.previous_names), show(&added));
    }
    let language = |p: &Person| {
        let l = or_not_given(&p.language);
        if p.interpreter_needed {
            format!("{l} (needs an interpreter)")
        } else {
            l
        }
    };
    if (!rp.language.trim().is_empty() && squash(&hp.language) != squash(&rp.language))
        || (rp.interpreter_needed && !hp.interpreter_needed)
    {
        push(Field::Language, language(hp), language(rp));
    }
    for (field, h, r) in [
        (Field::Gender, &hp.gender, &rp.gender),
        (Field::Disability, &hp.disability, &rp.disability),
        (Field::Vulnerability, &hp.vulnerability, &rp.vulnerability),
        (Field::Ethnicity, &hp.ethnicity, &rp.ethnicity),
        (
            Field::SexualOrientation,
            &hp.sexual_orientation,
            &rp.sexual_orientation,
        ),
        (Field::Religion, &hp.religion, &rp.religion),
    ] {
        if !r.trim().is_empty() && squash(h) != squash(r) {
            push(field, or_not_given(h), or_not_given(r));
        }
    }
    out
}

/// The details held once the officer has chosen: for each field in `take`, what the referral
/// says; for the rest, what was held. Previous names taken are added to those held, never
/// replace them. Refused if the result would leave no way of contact and no instruction.
pub fn apply(held: &Details, referred: &Details, take: &[Field]) -> Result<Details, FieldErrors> {
    let mut out = held.clone();
    let (hs, rs) = (&mut out.safe_contact, &referred.safe_contact);
    let (hp, rp) = (&mut out.person, &referred.person);
    for field in take {
        match *field {
            Field::Channel(channel) => {
                let position = hs.channels.iter().position(|c| c.channel == channel);
                let new = rs.channels.iter().find(|c| c.channel == channel).cloned();
                match (position, new) {
                    (Some(i), Some(new)) => hs.channels[i] = new,
                    (Some(i), None) => {
                        hs.channels.remove(i);
                    }
                    (None, Some(new)) => hs.channels.push(new),
                    (None, None) => {}
                }
            }
            Field::SafeTimes => hs.safe_times.clone_from(&rs.safe_times),
            Field::CodeWord => hs.code_word.clone_from(&rs.code_word),
            Field::AbuserSeesPhone => hs.abuser_sees_phone = rs.abuser_sees_phone,
            Field::AbuserSeesPost => hs.abuser_sees_post = rs.abuser_sees_post,
            Field::OnlyThroughReferrer => hs.only_through_referrer = rs.only_through_referrer,
            Field::DoNotContact => hs.do_not_contact = rs.do_not_contact,
            Field::Address => {
                hp.address.clone_from(&rp.address);
                hp.postcode.clone_from(&rp.postcode);
                hp.area.clone_from(&rp.area);
            }
            Field::PreviousNames => {
                hp.previous_names = names_with(&hp.previous_names, &rp.previous_names);
            }
            Field::Gender => hp.gender.clone_from(&rp.gender),
            Field::Language => {
                hp.language.clone_from(&rp.language);
                hp.interpreter_needed = rp.interpreter_needed;
            }
            Field::Disability => hp.disability.clone_from(&rp.disability),
            Field::Vulnerability => hp.vulnerability.clone_from(&rp.vulnerability),
            Field::Ethnicity => hp.ethnicity.clone_from(&rp.ethnicity),
            Field::SexualOrientation => hp.sexual_orientation.clone_from(&rp.sexual_orientation),
            Field::Religion => hp.religion.clone_from(&rp.religion),
        }
    }
    let mut errors = FieldErrors::new();
    if hs.channels.is_empty() && !hs.only_through_referrer && !hs.do_not_contact {
        errors.add(
            "channels",
            "Keep at least one safe way to contact them, or choose that contact must go through the referrer or not happen",
        );
    }
    errors.into_result(out)
}

/// The safe-contact rules the contact gate uses while referrals about the person disagree with
/// what is held: allowed only what `held` and every one of `others` allow.
pub fn most_restrictive(held: &SafeContact, others: &[&SafeContact]) -> SafeContact {
    others
        .iter()
        .fold(held.clone(), |acc, other| restrict(&acc, other))
}

fn restrict(a: &SafeContact, b: &SafeContact) -> SafeContact {
    let mut held_back: Vec<Channel> = a.held_back.clone();
    for c in &b.held_back {
        if !held_back.contains(c) {
            held_back.push(*c);
        }
    }
    let mut channels = Vec::new();
    for c in &a.channels {
        if held_back.contains(&c.channel) {
            continue;
        }
        if same_value(c.channel, Some(&c.value), channel_value(b, c.channel)) {
            channels.push(c.clone());
        } else {
            held_back.push(c.channel);
        }
    }
    for c in &b.channels {
        if !held_back.contains(&c.channel) && channel_value(a, c.channel).is_none() {
            held_back.push(c.channel);
        }
    }
    let (safe_times, no_common) = match (a.safe_times.is_empty(), b.safe_times.is_empty()) {
        (true, _) => (b.safe_times.clone(), b.no_common_safe_time),
        (_, true) => (a.safe_times.clone(), a.no_common_safe_time),
        _ => {
            let both = intersect(&a.safe_times, &b.safe_times);
            let none = both.is_empty();
            (both, none)
        }
    };
    let mut words: Vec<&str> = Vec::new();
    for w in [&a.code_word, &b.code_word].into_iter().flatten() {
        for part in w.split(" or ") {
            if !words.contains(&part) {
                words.push(part);
            }
        }
    }
    SafeContact {
        channels,
        safe_times,
        code_word: (!words.is_empty()).then(|| words.join(" or ")),
        abuser_sees_phone: a.abuser_sees_phone || b.abuser_sees_phone,
        abuser_sees_post: a.abuser_sees_post || b.abuser_sees_post,
        only_through_referrer: a.only_through_referrer || b.only_through_referrer,
        do_not_contact: a.do_not_contact || b.do_not_contact,
        held_back,
        no_common_safe_time: no_common || a.no_common_safe_time || b.no_common_safe_time,
    }
}

/// The windows in both sets: for each pair, the days both name and the hours both cover.
fn intersect(a: &[SafeTime], b: &[SafeTime]) -> Vec<SafeTime> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            let days: Vec<Weekday> = x
                .days
                .iter()
                .filter(|d| y.days.contains(d))
                .copied()
                .collect();
            let (from, to) = (x.from.max(y.from), x.to.min(y.to));
            if !days.is_empty() && from < to {
                out.push(SafeTime { days, from, to });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
