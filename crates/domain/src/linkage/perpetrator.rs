//! Recognising a perpetrator named across referrals. A referral names a perpetrator by one name
//! (as the victim or officer gave it), perhaps with an age and gender, so the rule is narrower
//! than for victims: the family names agree (the same, swapped, a part shared, spelt almost the
//! same or sounding the same), the given names agree (the same, a short form, spelt almost the
//! same, sounding the same, or an initial), the genders do not differ, and where both ages are
//! known the birth years they imply are within two years. Candidates are found by a blocking key
//! on the family name's sound, kept beside the victims' keys (a separate key space).

use super::compare::Field;
use super::record::{Prepared, Record};
use crate::referral::Perpetrator;
use siphasher::sip::SipHasher13;
use std::hash::{Hash, Hasher};

/// A perpetrator as named in one referral, ready to compare.
#[derive(Debug, Clone)]
pub struct Named {
    pub name: String,
    pub prepared: Prepared,
    /// The year of birth the age implies, on the referral's date.
    pub born_about: Option<i32>,
}

/// A perpetrator as named, if named: the first word is the given name and the last the family
/// name ("Rhys Calder"; "Calder" alone is a family name).
pub fn named(p: &Perpetrator, year: i32) -> Option<Named> {
    let words: Vec<&str> = p.name.split_whitespace().collect();
    let (given, family) = match words.as_slice() {
        [] => return None,
        [only] => ("", *only),
        [first, .., last] => (*first, *last),
    };
    let record = Record {
        given_name: given.to_owned(),
        family_name: family.to_owned(),
        gender: p.gender.clone(),
        ..Record::default()
    };
    Some(Named {
        name: p.name.trim().to_owned(),
        prepared: Prepared::new(&record),
        born_about: p.age.and_then(|a| i32::try_from(a).ok()).map(|a| year - a),
    })
}

/// The key a named perpetrator is found by: the family name's sound, in a key space of its own.
pub fn key(n: &Named) -> Option<i64> {
    let sound = &n.prepared.family.sounds[0];
    if sound.is_empty() {
        return None;
    }
    let mut h = SipHasher13::new();
    "perpetrator".hash(&mut h);
    sound.hash(&mut h);
    Some(h.finish() as i64)
}

/// The keys of every perpetrator a referral names, `year` being the referral's year.
pub fn keys_of(perpetrators: &[Perpetrator], year: i32) -> Vec<i64> {
    let mut keys: Vec<i64> = perpetrators
        .iter()
        .filter_map(|p| named(p, year))
        .filter_map(|n| key(&n))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Whether two namings are the same perpetrator, by the rule above.
pub fn same(a: &Named, b: &Named) -> bool {
    let family = Field::FamilyName.compare(&a.prepared, &b.prepared);
    let given = Field::GivenName.compare(&a.prepared, &b.prepared);
    let gender = Field::Gender.compare(&a.prepared, &b.prepared);
    // Family: same, swapped, a part shared, almost the same, sounds the same (levels 1 to 5).
    let family_agrees = (1..=5).contains(&family);
    // Given: not known on one side, or same, swapped, short form, almost, sounds, initial.
    let given_agrees = given == 0 || (1..=5).contains(&given) || given == 7;
    let gender_agrees = gender != 2;
    let age_agrees = match (a.born_about, b.born_about) {
        (Some(x), Some(y)) => (x - y).abs() <= 2,
        _ => true,
    };
    family_agrees && given_agrees && gender_agrees && age_agrees
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named_as(name: &str, age: Option<u32>, gender: &str, year: i32) -> Named {
        named(
            &Perpetrator {
                name: name.into(),
                relationship: "ex-partner".into(),
                gender: gender.into(),
                age,
            },
            year,
        )
        .unwrap()
    }

    #[test]
    fn the_same_man_named_differently_is_recognised() {
        let a = named_as("Rhys Calder", Some(34), "male", 2026);
        for other in [
            named_as("Rhys Calder", None, "", 2026),
            named_as("Rees Calder", Some(35), "male", 2027),
            named_as("R Calder", None, "male", 2026),
            named_as("Calder", None, "", 2026),
            named_as("rhys calder", Some(33), "Male", 2025),
        ] {
            assert!(same(&a, &other), "{}", other.name);
            assert_eq!(key(&a), key(&other), "{}", other.name);
        }
    }

    #[test]
    fn different_men_are_told_apart() {
        let a = named_as("Rhys Calder", Some(34), "male", 2026);
        for other in [
            named_as("Rhys Calder", Some(61), "male", 2026),
            named_as("Rhys Calder", None, "female", 2026),
            named_as("Tom Calder", None, "male", 2026),
            named_as("Rhys Brereton", None, "male", 2026),
        ] {
            assert!(
                !same(&a, &other),
                "{} aged {:?}",
                other.name,
                other.born_about
            );
        }
        assert!(
            named(
                &Perpetrator {
                    name: "  ".into(),
                    relationship: String::new(),
                    gender: String::new(),
                    age: None
                },
                2026
            )
            .is_none()
        );
    }
}
