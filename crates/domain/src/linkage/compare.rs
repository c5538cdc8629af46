//! Comparing two prepared records field by field. Each field has levels of agreement, from
//! the closest to "they disagree"; a pair of records falls in the first level that holds. Level
//! 0 always means "not known on one side or both", and counts neither way.

use super::normal::one_slip;
use super::record::{Name, Prepared};
use serde::{Deserialize, Serialize};

/// The fields compared, in the order their levels are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    GivenName,
    FamilyName,
    DateOfBirth,
    Postcode,
    Address,
    Phone,
    Email,
    Gender,
    Identifier,
}

/// How many fields are compared.
pub const FIELDS: usize = 9;

/// The levels of agreement of every field for one pair.
pub type Levels = [u8; FIELDS];

impl Field {
    pub const ALL: [Field; FIELDS] = [
        Field::GivenName,
        Field::FamilyName,
        Field::DateOfBirth,
        Field::Postcode,
        Field::Address,
        Field::Phone,
        Field::Email,
        Field::Gender,
        Field::Identifier,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn label(self) -> &'static str {
        match self {
            Field::GivenName => "Given name",
            Field::FamilyName => "Family name",
            Field::DateOfBirth => "Date of birth",
            Field::Postcode => "Postcode",
            Field::Address => "Address",
            Field::Phone => "Phone",
            Field::Email => "Email",
            Field::Gender => "Gender",
            Field::Identifier => "Identifier",
        }
    }

    /// What each level means, in words, level 1 first (level 0 is "not known").
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Field::GivenName => &[
                "the same",
                "swapped with the family name",
                "one is a short form of the other",
                "spelt almost the same",
                "sound the same",
                "spelt similarly",
                "one is the other's initial",
                "different",
            ],
            Field::FamilyName => &[
                "the same",
                "swapped with the given name",
                "share a part, or one is a previous name",
                "spelt almost the same",
                "sound the same",
                "spelt similarly",
                "different",
            ],
            Field::DateOfBirth => &[
                "the same",
                "day and month swapped",
                "a year apart",
                "one of day, month and year differs",
                "within a year",
                "different",
            ],
            Field::Postcode => &[
                "the same",
                "same sector, or one character different",
                "same district",
                "different",
            ],
            Field::Address => &["the same", "mostly the same words", "different"],
            Field::Phone => &["the same", "one digit different", "different"],
            Field::Email => &["the same", "almost the same", "different"],
            Field::Gender => &["the same", "different"],
            Field::Identifier => &["the same", "one character different", "different"],
        }
    }

    /// How many levels, not counting level 0.
    pub fn level_count(self) -> usize {
        self.levels().len()
    }

    /// Whether the field's first level ("the same") is weighed by how common the value is.
    pub fn has_term_frequency(self) -> bool {
        matches!(self, Field::GivenName | Field::FamilyName | Field::Postcode)
    }

    /// The level a pair of records is at on this field.
    pub fn compare(self, a: &Prepared, b: &Prepared) -> u8 {
        match self {
            Field::GivenName => given_name(a, b, swapped(a, b)),
            Field::FamilyName => family_name(a, b, swapped(a, b)),
            Field::DateOfBirth => date_of_birth(a, b),
            Field::Postcode => postcode(a, b),
            Field::Address => address(a, b),
            Field::Phone => slip_field(&a.phone, &b.phone, a.contact_ids[0], b.contact_ids[0]),
            Field::Email => email(&a.email, &b.email, a.contact_ids[1], b.contact_ids[1]),
            Field::Gender => match (a.gender, b.gender) {
                (Some(x), Some(y)) => {
                    if x == y {
                        1
                    } else {
                        2
                    }
                }
                _ => 0,
            },
            Field::Identifier => slip_field(
                &a.identifier,
                &b.identifier,
                a.contact_ids[2],
                b.contact_ids[2],
            ),
        }
    }
}

/// Every field's level for a pair.
pub fn compare(a: &Prepared, b: &Prepared) -> Levels {
    let mut levels = [0; FIELDS];
    // Whether the names are swapped is worked out once for both name fields.
    let names_differ = a.given.id != b.given.id || a.family.id != b.family.id;
    let swap = names_differ && swapped(a, b);
    for f in Field::ALL {
        levels[f.index()] = match f {
            Field::GivenName => given_name(a, b, swap),
            Field::FamilyName => family_name(a, b, swap),
            _ => f.compare(a, b),
        };
    }
    levels
}

/// Jaro–Winkler similarity (prefix weight 0.1, up to four characters), as Splink and strsim
/// define it; rapidfuzz's bit-parallel form, since names here are plain ASCII letters.
fn jaro_winkler(a: &str, b: &str) -> f64 {
    rapidfuzz::distance::jaro_winkler::similarity(a.bytes(), b.bytes())
}

/// Given and family names the other way round ("Harroby Jodie"), allowing a slip in each
/// ("Harroby Jody").
fn swapped(a: &Prepared, b: &Prepared) -> bool {
    // Names that do not start alike are not compared further (Jaro–Winkler's 0.88 is all but
    // out of reach without the shared prefix it rewards).
    let close = |x: &Name, y: &Name| {
        !x.is_empty()
            && !y.is_empty()
            && x.text().as_bytes()[0] == y.text().as_bytes()[0]
            && (x.same(y) || jaro_winkler(x.text(), y.text()) >= 0.88)
    };
    close(&a.given, &b.family) && close(&a.family, &b.given) && !close(&a.given, &a.family)
}

fn given_name(a: &Prepared, b: &Prepared, swap: bool) -> u8 {
    let (x, y) = (&a.given, &b.given);
    if x.is_empty() || y.is_empty() {
        return 0;
    }
    if x.same(y) {
        return 1;
    }
    if swap {
        return 2;
    }
    if x.nickname_of(y) {
        return 3;
    }
    if let Some(level) = spelling(x, y) {
        return 4 + level;
    }
    if initial_of(x, y) || initial_of(y, x) {
        return 7;
    }
    8
}

/// The levels both names share after their own: spelt almost the same (0), sound the same (1),
/// spelt similarly (2).
fn spelling(x: &Name, y: &Name) -> Option<u8> {
    let jw = jaro_winkler(x.text(), y.text());
    if jw >= 0.92 {
        Some(0)
    } else if x.sounds_like(y) {
        Some(1)
    } else if jw >= 0.8 {
        Some(2)
    } else {
        None
    }
}

/// Whether `short` is just the initial of `long`.
fn initial_of(short: &Name, long: &Name) -> bool {
    short.text().len() == 1 && long.text().starts_with(short.text())
}

fn family_name(a: &Prepared, b: &Prepared, swap: bool) -> u8 {
    let (x, y) = (&a.family, &b.family);
    if x.is_empty() || y.is_empty() {
        return 0;
    }
    if x.same(y) {
        return 1;
    }
    if swap {
        return 2;
    }
    if shares_a_name(a, b) {
        return 3;
    }
    spelling(x, y).map_or(7, |level| 4 + level)
}

/// A double-barrelled name sharing a part with the other ("Smith-Jones" and "Jones"), or one
/// record's family name among the other's previous names (a maiden or married name).
fn shares_a_name(a: &Prepared, b: &Prepared) -> bool {
    let (x, y) = (&a.family.folded, &b.family.folded);
    let parts_shared = (x.parts.len() > 1 || y.parts.len() > 1)
        && x.parts.iter().any(|p| p.len() > 1 && y.parts.contains(p));
    parts_shared
        || a.previous
            .iter()
            .any(|p| *p == y.whole || b.previous.contains(p))
        || b.previous.contains(&x.whole)
}

fn date_of_birth(a: &Prepared, b: &Prepared) -> u8 {
    let (Some(x), Some(y)) = (a.born, b.born) else {
        return 0;
    };
    if x == y {
        return 1;
    }
    if x.year == y.year && x.day == y.month && x.month == y.day {
        return 2;
    }
    let same = [x.year == y.year, x.month == y.month, x.day == y.day];
    if same[1] && same[2] && x.year.abs_diff(y.year) == 1 {
        return 3;
    }
    if same.iter().filter(|s| **s).count() == 2 {
        return 4;
    }
    if x.days.abs_diff(y.days) <= 366 {
        return 5;
    }
    6
}

fn postcode(a: &Prepared, b: &Prepared) -> u8 {
    let (x, y) = (&a.postcode, &b.postcode);
    if x.whole.is_empty() || y.whole.is_empty() {
        return 0;
    }
    let (i, j) = (&a.postcode_ids, &b.postcode_ids);
    if i[0] == j[0] {
        return 1;
    }
    if (i[1] != 0 && i[1] == j[1]) || one_slip(&x.whole, &y.whole) {
        return 2;
    }
    if i[2] != 0 && i[2] == j[2] {
        return 3;
    }
    4
}

fn address(a: &Prepared, b: &Prepared) -> u8 {
    if a.address.is_empty() || b.address.is_empty() {
        return 0;
    }
    if a.address_id == b.address_id {
        return 1;
    }
    // Both lists of word fingerprints are in order: count what they share in one pass.
    let (x, y) = (&a.address_word_ids, &b.address_word_ids);
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < x.len() && j < y.len() {
        match x[i].cmp(&y[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let all = x.len() + y.len() - shared;
    if all > 0 && shared * 2 >= all {
        return 2;
    }
    3
}

/// Exact, one slip, or different: telephone numbers and identifiers (with their fingerprints).
fn slip_field(a: &str, b: &str, ia: u64, ib: u64) -> u8 {
    if ia == 0 || ib == 0 {
        0
    } else if ia == ib {
        1
    } else if one_slip(a, b) {
        2
    } else {
        3
    }
}

fn email(a: &str, b: &str, ia: u64, ib: u64) -> u8 {
    if ia == 0 || ib == 0 {
        return 0;
    }
    if ia == ib {
        return 1;
    }
    let local = |e: &str| e.split('@').next().unwrap_or_default().to_owned();
    if local(a) == local(b) || one_slip(a, b) {
        return 2;
    }
    3
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linkage::record::Record;
    use chrono::NaiveDate;

    fn person(given: &str, family: &str) -> Record {
        Record {
            given_name: given.into(),
            family_name: family.into(),
            ..Record::default()
        }
    }

    fn level(field: Field, a: &Record, b: &Record) -> &'static str {
        let l = field.compare(&Prepared::new(a), &Prepared::new(b));
        if l == 0 {
            "not known"
        } else {
            field.levels()[usize::from(l) - 1]
        }
    }

    #[test]
    fn given_names_at_every_level() {
        let g = |a: &str, b: &str| level(Field::GivenName, &person(a, "Cole"), &person(b, "Cole"));
        assert_eq!(g("Jodie", "jodie"), "the same");
        assert_eq!(g("Bill", "William"), "one is a short form of the other");
        assert_eq!(g("Jonathon", "Jonathan"), "spelt almost the same");
        assert_eq!(g("Jodie", "Jody"), "sound the same");
        assert_eq!(g("Stephen", "Stephan"), "spelt almost the same");
        assert_eq!(
            g("Catherine", "Kathryn"),
            "one is a short form of the other"
        );
        assert_eq!(g("Filip", "Philip"), "sound the same");
        assert_eq!(g("J", "Jodie"), "one is the other's initial");
        assert_eq!(g("Jodie", "Priya"), "different");
        assert_eq!(g("", "Priya"), "not known");
        assert_eq!(
            level(
                Field::GivenName,
                &person("Jodie", "Harroby"),
                &person("Harroby", "Jodie")
            ),
            "swapped with the family name"
        );
    }

    #[test]
    fn family_names_at_every_level() {
        let f = |a: &str, b: &str| level(Field::FamilyName, &person("Ann", a), &person("Ann", b));
        assert_eq!(f("Harroby", "HARROBY"), "the same");
        assert_eq!(
            f("Smith-Jones", "Jones"),
            "share a part, or one is a previous name"
        );
        assert_eq!(f("Harroby", "Haroby"), "spelt almost the same");
        assert_eq!(f("Wójcik", "Wojcik"), "the same");
        assert_eq!(f("Harroby", "Partridge"), "different");
        let mut married = person("Ann", "Cole");
        married.previous_names = vec!["Harroby".into()];
        assert_eq!(
            level(Field::FamilyName, &married, &person("Ann", "Harroby")),
            "share a part, or one is a previous name"
        );
    }

    fn born(y: i32, m: u32, d: u32) -> Record {
        Record {
            date_of_birth: NaiveDate::from_ymd_opt(y, m, d),
            ..Record::default()
        }
    }

    #[test]
    fn dates_of_birth_at_every_level() {
        let d = |a: Record, b: Record| level(Field::DateOfBirth, &a, &b);
        assert_eq!(d(born(1990, 3, 4), born(1990, 3, 4)), "the same");
        assert_eq!(
            d(born(1990, 3, 4), born(1990, 4, 3)),
            "day and month swapped"
        );
        assert_eq!(d(born(1990, 3, 4), born(1991, 3, 4)), "a year apart");
        assert_eq!(
            d(born(1990, 3, 4), born(1990, 3, 14)),
            "one of day, month and year differs"
        );
        assert_eq!(
            d(born(1990, 3, 4), born(1980, 3, 4)),
            "one of day, month and year differs"
        );
        assert_eq!(d(born(1990, 3, 4), born(1990, 9, 20)), "within a year");
        assert_eq!(d(born(1990, 3, 4), born(1975, 9, 20)), "different");
        assert_eq!(d(born(1990, 3, 4), Record::default()), "not known");
    }

    fn at(postcode: &str) -> Record {
        Record {
            postcode: postcode.into(),
            ..Record::default()
        }
    }

    #[test]
    fn postcodes_at_every_level() {
        let p = |a: &str, b: &str| level(Field::Postcode, &at(a), &at(b));
        assert_eq!(p("ST16 2DH", "st162dh"), "the same");
        assert_eq!(
            p("ST16 2DH", "ST16 2XY"),
            "same sector, or one character different"
        );
        assert_eq!(p("ST16 2DH", "ST16 9AB"), "same district");
        assert_eq!(p("ST16 2DH", "WS11 1AA"), "different");
        assert_eq!(p("2615", "2651"), "same sector, or one character different");
    }

    proptest::proptest! {
        /// The fast Jaro–Winkler agrees with strsim's, the reference.
        #[test]
        fn jaro_winkler_agrees_with_the_reference(a in "[a-z]{0,12}", b in "[a-z]{0,12}") {
            proptest::prop_assert!((jaro_winkler(&a, &b) - strsim::jaro_winkler(&a, &b)).abs() < 1e-9);
        }
    }

    #[test]
    fn other_fields() {
        let r = |phone: &str, email: &str, gender: &str, id: &str, address: &str| Record {
            phone: phone.into(),
            email: email.into(),
            gender: gender.into(),
            identifier: id.into(),
            address: address.into(),
            ..Record::default()
        };
        let a = r(
            "07700 900123",
            "jo@example.org",
            "female",
            "AB123",
            "4 Quiet Lane, Stafford",
        );
        let b = r(
            "07700 900132",
            "jo@example.com",
            "F",
            "AB124",
            "4 Quiet Lane Stafford",
        );
        let c = r(
            "01234 567890",
            "sam@example.org",
            "male",
            "ZZ999",
            "9 Other Street, Leek",
        );
        assert_eq!(level(Field::Phone, &a, &b), "one digit different");
        assert_eq!(level(Field::Phone, &a, &c), "different");
        assert_eq!(level(Field::Email, &a, &b), "almost the same");
        assert_eq!(level(Field::Gender, &a, &b), "the same");
        assert_eq!(level(Field::Gender, &a, &c), "different");
        assert_eq!(level(Field::Identifier, &a, &b), "one character different");
        assert_eq!(level(Field::Address, &a, &b), "the same");
        assert_eq!(level(Field::Address, &a, &c), "different");
    }
}
