//! Stored values as a person reads them: no codes, slugs or identifiers on any page. Templates
//! call these by path (`crate::pages::words::need(n)`).

use chrono::Timelike;
use harbour_domain::entitlement::Entitlement;
use harbour_domain::instrument::RiskLevel;
use harbour_domain::needs::{NeedCategory, ServiceTier};
use harbour_domain::referral::Child;

/// What happened to someone, in their words, for the public pages: each a crime category's
/// code and how a person would say it.
pub const WHAT_HAPPENED: [(&str, &str); 10] = [
    (
        "domestic_abuse",
        "Someone I am or was in a relationship with, or a family member, is hurting, threatening or controlling me (domestic abuse)",
    ),
    ("sexual_offence", "Rape, sexual assault or sexual abuse"),
    (
        "stalking_or_harassment",
        "Someone is stalking or harassing me",
    ),
    (
        "hate_crime",
        "I was targeted because of who I am (hate crime)",
    ),
    ("violence_against_the_person", "I was attacked or hurt"),
    ("burglary", "My home was broken into"),
    ("theft", "Something was stolen from me"),
    ("fraud", "I was scammed or defrauded"),
    (
        "bereaved_by_crime",
        "Someone close to me died because of a crime",
    ),
    ("other", "Something else"),
];

/// An instant a page shows: a time read from storage, or one still in its stored text
/// (RFC 3339, UTC), which shows as it is if it does not read as one.
pub trait Moment {
    fn in_words(&self) -> String;
}

impl Moment for chrono::DateTime<chrono::Utc> {
    fn in_words(&self) -> String {
        when_at(self)
    }
}

impl Moment for str {
    fn in_words(&self) -> String {
        chrono::DateTime::parse_from_rfc3339(self).map_or_else(
            |_| self.to_owned(),
            |t| when_at(&t.with_timezone(&chrono::Utc)),
        )
    }
}

impl Moment for String {
    fn in_words(&self) -> String {
        self.as_str().in_words()
    }
}

impl<T: Moment + ?Sized> Moment for &T {
    fn in_words(&self) -> String {
        (**self).in_words()
    }
}

/// An instant in UK time as GOV.UK writes it: "2 December 2026, 6:19am", with "midday" and
/// "midnight".
pub fn when<T: Moment + ?Sized>(t: &T) -> String {
    t.in_words()
}

/// [`when`] for a time already read as one.
pub fn when_at(t: &chrono::DateTime<chrono::Utc>) -> String {
    let local = harbour_domain::calendar::uk_local(*t);
    let time = match (local.hour(), local.minute()) {
        (12, 0) => "midday".to_owned(),
        (0, 0) => "midnight".to_owned(),
        _ => local.format("%-I:%M%P").to_string(),
    };
    format!("{}, {time}", local.format("%-d %B %Y"))
}

pub fn need(slug: &str) -> String {
    NeedCategory::from_slug(slug).map_or_else(|| slug.replace('_', " "), |n| n.label().to_owned())
}

pub fn needs(slugs: &[String]) -> String {
    if slugs.is_empty() {
        return "None recorded".into();
    }
    slugs.iter().map(|s| need(s)).collect::<Vec<_>>().join(", ")
}

pub fn tier(slug: &str) -> String {
    ServiceTier::from_slug(slug).map_or_else(|| slug.replace('_', " "), |t| t.label().to_owned())
}

pub fn risk(slug: &str) -> String {
    RiskLevel::from_slug(slug).map_or_else(|| slug.replace('_', " "), |r| r.label().to_owned())
}

pub fn entitlement(slug: &str) -> String {
    match slug {
        "enhanced" => Entitlement::Enhanced.label().to_owned() + " rights",
        "standard" => Entitlement::Standard.label().to_owned() + " rights",
        other => other.replace('_', " "),
    }
}

/// The person's consent to the referral, in words.
pub fn consent(slug: &str) -> &'static str {
    match slug {
        "given" => "Given",
        "declined" => "Declined",
        "not_asked" => "Not asked",
        _ => "Not recorded",
    }
}

/// What the law needs before details are passed on, for this crime.
pub fn consent_basis(slug: &str) -> &'static str {
    match slug {
        "opt_out" => "passed on unless the person declines",
        "explicit" => "passed on only if the person agrees",
        _ => "not recorded",
    }
}

/// "1 incident" or "3 incidents".
pub fn count<N: TryInto<i64>>(n: N, one: &str, many: &str) -> String {
    let n: i64 = n.try_into().unwrap_or(i64::MAX);
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// [`count`] for a template, which passes a reference.
pub fn count_of(n: &usize, one: &str, many: &str) -> String {
    count(*n, one, many)
}

/// Children as a person would list them: "Sam, aged 4, and one aged 9"; "2 children, aged 4
/// and 9" when none is named.
pub fn children(children: &[Child]) -> String {
    if children.is_empty() {
        return "None".into();
    }
    if children.iter().all(|c| c.name.trim().is_empty()) {
        let ages: Vec<String> = children
            .iter()
            .filter_map(|c| c.age.map(|a| a.to_string()))
            .collect();
        let many = count(
            i64::try_from(children.len()).unwrap_or(i64::MAX),
            "child",
            "children",
        );
        return match ages.as_slice() {
            [] => many,
            [one] => format!("{many}, aged {one}"),
            [init @ .., last] => format!("{many}, aged {} and {last}", init.join(", ")),
        };
    }
    let parts: Vec<String> = children
        .iter()
        .map(|c| match (c.name.trim(), c.age) {
            ("", Some(a)) => format!("one aged {a}"),
            ("", None) => "one of unknown age".into(),
            (name, Some(a)) => format!("{name}, aged {a}"),
            (name, None) => name.to_owned(),
        })
        .collect();
    match parts.as_slice() {
        [one] => one.clone(),
        [init @ .., last] => format!("{}; and {last}", init.join("; ")),
        [] => "None".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child(name: &str, age: Option<u32>) -> Child {
        Child {
            name: name.into(),
            age,
        }
    }

    #[test]
    fn written_as_people_write() {
        assert_eq!(when("2026-12-02T06:19:00Z"), "2 December 2026, 6:19am");
        assert_eq!(when("2026-07-02T11:00:00Z"), "2 July 2026, midday", "BST");
        assert_eq!(
            when("2026-12-02T14:05:00.123456Z"),
            "2 December 2026, 2:05pm"
        );
        assert_eq!(
            need("family_and_children"),
            NeedCategory::from_slug("family_and_children")
                .map(|n| n.label().to_owned())
                .unwrap_or_default()
        );
        assert!(!need("family_and_children").contains('_'));
        assert_eq!(count(1, "incident", "incidents"), "1 incident");
        assert_eq!(
            children(&[child("", Some(4)), child("", Some(9))]),
            "2 children, aged 4 and 9"
        );
        assert_eq!(
            children(&[child("Sam", Some(4)), child("", Some(9))]),
            "Sam, aged 4; and one aged 9"
        );
    }
}
