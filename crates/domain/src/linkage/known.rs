//! Recognising one new record among the people already known, as intake does: the record's
//! blocking keys find the candidates (each a record of a person as some earlier referral gave
//! it), every candidate is scored with its explanation, and the best person decides whether the
//! record is theirs, possibly theirs (for a person to decide), or someone new.

use super::block::Rule;
use super::compare::compare;
use super::model::{Explanation, Model, Scorer, probability};
use super::record::{Prepared, Record};
use crate::referral::Person;
use crate::safe_contact::{Channel, SafeContact};
use serde::{Deserialize, Serialize};

/// Where the match probability splits linking, asking a person, and a new person. Settings:
/// the defaults suit a partnership's records, and each deployment may set its own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// At or above this probability the referral is linked to the known person.
    pub link: f64,
    /// At or above this (and below `link`) the pair is a possible match for the hub.
    pub possible: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            link: 0.99,
            possible: 0.5,
        }
    }
}

impl Thresholds {
    /// Checks the pair makes sense: both probabilities strictly between 0 and 1, and linking
    /// asks for more than proposing.
    pub fn check(self) -> Result<Thresholds, &'static str> {
        let inside = |p: f64| p > 0.0 && p < 1.0;
        if !inside(self.link) || !inside(self.possible) {
            return Err("each threshold must be a probability between 0 and 1, such as 0.99");
        }
        if self.possible >= self.link {
            return Err("the threshold for a possible match must be below the one for linking");
        }
        Ok(self)
    }
}

/// The most possible matches one referral proposes.
pub const MAX_PROPOSALS: usize = 3;

/// A person as the engine compares them, from a referral's record of them: their details and
/// the phone numbers and e-mail address in their safe-contact preferences.
pub fn record_of(person: &Person, safe_contact: &SafeContact) -> Record {
    let channel = |wanted: &[Channel]| {
        safe_contact
            .channels
            .iter()
            .find(|c| wanted.contains(&c.channel) && !c.value.trim().is_empty())
            .map(|c| c.value.clone())
            .unwrap_or_default()
    };
    Record {
        given_name: person.given_name.clone(),
        family_name: person.family_name.clone(),
        previous_names: person.previous_names.clone(),
        date_of_birth: person.date_of_birth,
        postcode: person.postcode.clone(),
        address: person.address.clone(),
        phone: channel(&[Channel::PhoneCall, Channel::Sms, Channel::Voicemail]),
        email: channel(&[Channel::Email]),
        gender: person.gender.clone(),
        identifier: String::new(),
    }
}

/// The keys a record is found by: one for each of Harbour's blocking rules the record has the
/// parts of, as stored (a signed 64-bit number, as both databases keep one).
pub fn keys(record: &Prepared) -> Vec<i64> {
    let mut keys: Vec<i64> = Rule::DEFAULT
        .iter()
        .filter_map(|rule| rule.key(record))
        .map(|k| k as i64)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// One known person's best agreement with the new record.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<P, R> {
    pub person: P,
    /// The record of theirs that agreed best (an earlier referral).
    pub record: R,
    pub explanation: Explanation,
}

/// What becomes of a new record.
#[derive(Debug, Clone, PartialEq)]
pub enum Recognised<P, R> {
    /// The same person as one known, at or above the link threshold; with any other people
    /// it is possibly also like (best first, at most [`MAX_PROPOSALS`]), who may be the same
    /// person as the one it was linked to.
    Known(Candidate<P, R>, Vec<Candidate<P, R>>),
    /// Perhaps one of these (best first, at most [`MAX_PROPOSALS`]): a person decides.
    Possible(Vec<Candidate<P, R>>),
    /// No one known is near enough: a new person.
    New,
}

/// Scores `new` against each candidate record (a person, which of their records, the record
/// prepared) and decides by the best person. The caller leaves out people the hub has judged
/// different from the one the record is about.
pub fn recognise<'a, P, R>(
    model: &Model,
    thresholds: Thresholds,
    new: &Prepared,
    candidates: impl IntoIterator<Item = (P, R, &'a Prepared)>,
) -> Recognised<P, R>
where
    P: PartialEq + Clone,
    R: Clone,
{
    // Every candidate is scored with the weights worked out once; only those decided on are
    // explained, field by field.
    let scorer = Scorer::new(model);
    let new_shares = Scorer::shares(model, new);
    let mut best: Vec<(P, R, &'a Prepared, f64)> = Vec::new();
    for (person, record, prepared) in candidates {
        let score = scorer.score(
            &compare(new, prepared),
            &new_shares,
            &Scorer::shares(model, prepared),
        );
        match best.iter_mut().find(|c| c.0 == person) {
            Some(c) if c.3 >= score => {}
            Some(c) => {
                c.1 = record;
                c.2 = prepared;
                c.3 = score;
            }
            None => best.push((person, record, prepared, score)),
        }
    }
    best.sort_by(|a, b| b.3.total_cmp(&a.3));
    best.retain(|c| probability(c.3) >= thresholds.possible);
    let link = best
        .first()
        .is_some_and(|c| probability(c.3) >= thresholds.link);
    best.truncate(MAX_PROPOSALS + usize::from(link));
    let mut explained = best
        .into_iter()
        .map(|(person, record, prepared, _)| Candidate {
            person,
            record,
            explanation: model.explain(new, prepared),
        });
    match explained.next() {
        None => Recognised::New,
        Some(top) if link => Recognised::Known(top, explained.collect()),
        Some(top) => Recognised::Possible(std::iter::once(top).chain(explained).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linkage::Field;
    use crate::safe_contact::AllowedChannel;
    use chrono::NaiveDate;

    /// The untrained model's weights, with a prior of one pair in a hundred.
    fn model() -> Model {
        Model {
            prior: 0.01,
            ..Model::starting()
        }
    }

    fn person(given: &str, family: &str, born: Option<(i32, u32, u32)>, postcode: &str) -> Person {
        Person {
            given_name: given.into(),
            family_name: family.into(),
            date_of_birth: born.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
            postcode: postcode.into(),
            ..Person::default()
        }
    }

    fn prepared(p: &Person) -> Prepared {
        Prepared::new(&record_of(p, &SafeContact::default()))
    }

    #[test]
    fn phone_and_email_come_from_the_safe_contact_channels() {
        let safe = SafeContact {
            channels: vec![
                AllowedChannel {
                    channel: Channel::Email,
                    value: "jo@example.org".into(),
                },
                AllowedChannel {
                    channel: Channel::Sms,
                    value: "07700 900123".into(),
                },
            ],
            ..SafeContact::default()
        };
        let r = record_of(&person("Jo", "Bloggs", None, ""), &safe);
        assert_eq!(r.phone, "07700 900123");
        assert_eq!(r.email, "jo@example.org");
    }

    #[test]
    fn a_misspelt_repeat_is_known_and_a_stranger_is_new() {
        let m = model();
        let known = prepared(&person("Jodie", "Harroby", Some((1990, 3, 4)), "ST16 2DH"));
        let other = prepared(&person("Amir", "Khan", Some((1971, 8, 1)), "WS11 1AA"));
        let candidates = || vec![("jodie", 1, &known), ("amir", 2, &other)];
        let repeat = prepared(&person("Jody", "Harroby", Some((1990, 3, 4)), "ST16 2DH"));
        match recognise(&m, Thresholds::default(), &repeat, candidates()) {
            Recognised::Known(c, also) => {
                assert!(also.is_empty(), "Amir is nothing like her");
                assert_eq!((c.person, c.record), ("jodie", 1));
                assert!(c.explanation.probability >= 0.99);
                let given = &c.explanation.contributions[Field::GivenName.index()];
                assert!(given.level > 0 && given.weight > 0.0, "{given:?}");
            }
            other => panic!("{other:?}"),
        }
        let stranger = prepared(&person("Beth", "Oduya", Some((2001, 1, 9)), "DE13 0AA"));
        assert_eq!(
            recognise(&m, Thresholds::default(), &stranger, candidates()),
            Recognised::New
        );
    }

    #[test]
    fn a_borderline_record_is_proposed_not_linked() {
        let m = model();
        let known = prepared(&person("Jodie", "Harroby", Some((1990, 3, 4)), "ST16 2DH"));
        // Same names, but no date of birth and another town: perhaps the same person.
        let maybe = prepared(&person("Jodie", "Harroby", None, "WS11 1AA"));
        let p = model().explain(&maybe, &known).probability;
        let thresholds = Thresholds {
            link: (p + 1.0) / 2.0,
            possible: p / 2.0,
        };
        match recognise(&m, thresholds, &maybe, [("jodie", 1, &known)]) {
            Recognised::Possible(c) => assert_eq!(c.len(), 1),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_best_record_of_each_person_counts_once() {
        let m = model();
        let old = prepared(&person("Jodie", "Smith", Some((1990, 3, 4)), "WS11 1AA"));
        let new = prepared(&person("Jodie", "Harroby", Some((1990, 3, 4)), "ST16 2DH"));
        let referral = prepared(&person("Jodie", "Harroby", Some((1990, 3, 4)), "ST16 2DH"));
        match recognise(
            &m,
            Thresholds::default(),
            &referral,
            [("jodie", 1, &old), ("jodie", 2, &new)],
        ) {
            Recognised::Known(c, _) => assert_eq!(c.record, 2, "the record that agreed best"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn keys_are_stable_and_shared_by_a_misspelt_repeat() {
        let a = prepared(&person("Jodie", "Harroby", Some((1990, 3, 4)), "ST16 2DH"));
        let b = prepared(&person("Jody", "Harroby", Some((1990, 3, 4)), "ST16 2DH"));
        assert_eq!(keys(&a), keys(&a.clone()));
        assert!(keys(&a).iter().any(|k| keys(&b).contains(k)));
        assert!(keys(&prepared(&Person::default())).is_empty());
        // Keys are stored: the same record must give the same key in every build.
        assert_eq!(
            Rule::DateOfBirth.key(&a),
            Some(9_123_572_417_758_776_599),
            "the key this build makes is the one stored"
        );
    }

    #[test]
    fn thresholds_are_checked() {
        assert!(Thresholds::default().check().is_ok());
        assert!(
            Thresholds {
                link: 0.5,
                possible: 0.9
            }
            .check()
            .is_err()
        );
        assert!(
            Thresholds {
                link: 1.0,
                possible: 0.5
            }
            .check()
            .is_err()
        );
    }
}
