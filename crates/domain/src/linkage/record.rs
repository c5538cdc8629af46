//! A record of a person as the engine compares it: what was given, and the forms worked out
//! from it once (folded names, their sounds and nickname groups, date parts, postcode parts).

use super::normal::{
    FoldedName, PostcodeParts, fold_name, fold_text, phone_digits, postcode_parts,
};
use chrono::{Datelike, NaiveDate};
use rphonetic::DoubleMetaphone;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

/// What is known about a person. Any field may be empty: a missing field neither counts for
/// nor against a match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub given_name: String,
    pub family_name: String,
    /// Family names they have had before (a maiden name, a former married name).
    pub previous_names: Vec<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub postcode: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub gender: String,
    /// Another system's identifier for them (a police or NHS number, a case reference).
    pub identifier: String,
}

/// A short fingerprint of a text, so comparing two is one instruction rather than a walk
/// along both: 0 for an empty text, otherwise a 64-bit hash (odd, so never 0). Two different
/// texts share one with a chance of about one in 10^19 a pair.
pub fn fingerprint(text: &str) -> u64 {
    if text.is_empty() {
        return 0;
    }
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish() | 1
}

/// A name ready to compare: folded, with its Double Metaphone codes and nickname groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Name {
    pub folded: FoldedName,
    /// The folded name's fingerprint.
    pub id: u64,
    /// Primary and alternate Double Metaphone codes (empty when there is no name).
    pub sounds: [String; 2],
    /// Their fingerprints.
    pub sound_ids: [u64; 2],
    /// The nickname groups the name is in (see `nicknames.txt`).
    pub groups: Vec<u16>,
}

impl Name {
    pub fn new(text: &str) -> Name {
        let folded = fold_name(text);
        let sounds = if folded.whole.is_empty() {
            [String::new(), String::new()]
        } else {
            let dm = DoubleMetaphone::new(Some(6)).double_metaphone(&folded.whole);
            [dm.primary(), dm.alternate()]
        };
        let groups = NICKNAMES.get(&folded.whole).cloned().unwrap_or_default();
        Name {
            id: fingerprint(&folded.whole),
            sound_ids: [fingerprint(&sounds[0]), fingerprint(&sounds[1])],
            folded,
            sounds,
            groups,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.folded.whole.is_empty()
    }

    pub fn text(&self) -> &str {
        &self.folded.whole
    }

    /// Whether the two names sound alike: any of their codes agree.
    pub fn sounds_like(&self, other: &Name) -> bool {
        self.sound_ids
            .iter()
            .any(|s| *s != 0 && other.sound_ids.contains(s))
    }

    /// Whether the two names are the same (both known).
    pub fn same(&self, other: &Name) -> bool {
        self.id != 0 && self.id == other.id
    }

    /// Whether the names are in a nickname group together ("Bill" and "William").
    pub fn nickname_of(&self, other: &Name) -> bool {
        self.groups.iter().any(|g| other.groups.contains(g))
    }
}

/// The nickname table: each name and the groups it is in.
static NICKNAMES: LazyLock<HashMap<String, Vec<u16>>> = LazyLock::new(|| {
    let mut table: HashMap<String, Vec<u16>> = HashMap::new();
    let lines = include_str!("nicknames.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
    for (group, line) in lines.enumerate() {
        let group = u16::try_from(group).unwrap_or(u16::MAX);
        for name in line.split_whitespace() {
            let entry = table.entry(name.to_owned()).or_default();
            if !entry.contains(&group) {
                entry.push(group);
            }
        }
    }
    table
});

/// A date of birth in parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Born {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    /// Days since the common era began, to tell how far apart two dates are.
    pub days: i32,
}

impl Born {
    pub fn new(date: NaiveDate) -> Born {
        Born {
            year: date.year(),
            month: date.month(),
            day: date.day(),
            days: date.num_days_from_ce(),
        }
    }
}

/// A record prepared once, compared many times.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prepared {
    pub given: Name,
    pub family: Name,
    /// Folded previous family names.
    pub previous: Vec<String>,
    pub born: Option<Born>,
    pub postcode: PostcodeParts,
    /// Fingerprints of the postcode, its sector and its district (0 where there is none).
    pub postcode_ids: [u64; 3],
    pub address: String,
    pub address_id: u64,
    /// The address's words, for telling how much two addresses share.
    pub address_words: Vec<String>,
    /// Their fingerprints, in order.
    pub address_word_ids: Vec<u64>,
    pub phone: String,
    pub email: String,
    /// Fingerprints of the telephone number, e-mail address and identifier.
    pub contact_ids: [u64; 3],
    pub gender: Option<char>,
    pub identifier: String,
}

/// Names already prepared, by what was typed: most people share a given name with many others,
/// and working out a name's sounds is the dearest part of preparing a record. One cache a worker.
pub type NameCache = HashMap<String, Name>;

fn cached_name(text: &str, cache: &mut NameCache) -> Name {
    if let Some(name) = cache.get(text) {
        return name.clone();
    }
    let name = Name::new(text);
    // A bound, so a file of unique names cannot grow it without end.
    if cache.len() < 100_000 {
        cache.insert(text.to_owned(), name.clone());
    }
    name
}

impl Prepared {
    pub fn new(r: &Record) -> Prepared {
        Prepared::with_cache(r, &mut NameCache::new())
    }

    /// [`Prepared::new`], reusing names prepared before.
    pub fn with_cache(r: &Record, names: &mut NameCache) -> Prepared {
        let address = fold_text(&r.address);
        let mut address_words: Vec<String> = address
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        address_words.sort_unstable();
        address_words.dedup();
        let postcode = postcode_parts(&r.postcode);
        let mut address_word_ids: Vec<u64> = address_words.iter().map(|w| fingerprint(w)).collect();
        address_word_ids.sort_unstable();
        let phone = phone_digits(&r.phone);
        let email = fold_text(&r.email).replace(' ', "");
        let identifier: String = r
            .identifier
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        Prepared {
            contact_ids: [
                fingerprint(&phone),
                fingerprint(&email),
                fingerprint(&identifier),
            ],
            address_word_ids,
            postcode_ids: [
                fingerprint(&postcode.whole),
                fingerprint(postcode.sector.as_deref().unwrap_or_default()),
                fingerprint(postcode.district.as_deref().unwrap_or_default()),
            ],
            address_id: fingerprint(&address),
            given: cached_name(&r.given_name, names),
            family: cached_name(&r.family_name, names),
            previous: r
                .previous_names
                .iter()
                .map(|n| fold_name(n).whole)
                .filter(|n| !n.is_empty())
                .collect(),
            born: r.date_of_birth.map(Born::new),
            postcode,
            address,
            address_words,
            phone,
            email,
            gender: gender(&r.gender),
            identifier,
        }
    }
}

/// The first letter of a gender as recorded (f, m, or another), or none when not recorded.
fn gender(text: &str) -> Option<char> {
    let t = text.trim().to_ascii_lowercase();
    match t.as_str() {
        "" | "unknown" | "not known" | "prefer not to say" | "not stated" => None,
        "female" | "f" | "woman" | "girl" => Some('f'),
        "male" | "m" | "man" | "boy" => Some('m'),
        _ => t.chars().next(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_know_their_sounds_and_nicknames() {
        let bill = Name::new("Bill");
        let william = Name::new("William");
        assert!(bill.nickname_of(&william));
        assert!(!bill.nickname_of(&Name::new("Robert")));
        assert!(Name::new("Smith").sounds_like(&Name::new("Smyth")));
        assert!(Name::new("Jody").sounds_like(&Name::new("Jodie")));
        assert!(!Name::new("Smith").sounds_like(&Name::new("Jones")));
        assert!(!Name::new("").sounds_like(&Name::new("")));
    }

    #[test]
    fn a_cache_of_names_changes_nothing() {
        let mut cache = NameCache::new();
        for (given, family) in [("Jodie", "Harroby"), ("Jodie", "Smith"), ("Zoë", "Harroby")] {
            let r = Record {
                given_name: given.into(),
                family_name: family.into(),
                ..Record::default()
            };
            assert_eq!(Prepared::with_cache(&r, &mut cache), Prepared::new(&r));
        }
        assert_eq!(cache.len(), 4);
    }

    #[test]
    fn a_record_is_prepared_once() {
        let p = Prepared::new(&Record {
            given_name: "Zoë".into(),
            family_name: "Smith-Jones".into(),
            previous_names: vec!["Wójcik".into()],
            date_of_birth: NaiveDate::from_ymd_opt(1990, 3, 4),
            postcode: "st16 2dh".into(),
            address: "4 Quiet Lane, Stafford".into(),
            phone: "07700 900123".into(),
            email: "Zoe@Example.org".into(),
            gender: "Female".into(),
            identifier: "ab-123".into(),
        });
        assert_eq!(p.given.text(), "zoe");
        assert_eq!(p.family.folded.parts, vec!["smith", "jones"]);
        assert_eq!(p.previous, vec!["wojcik"]);
        assert_eq!(p.born.map(|b| (b.year, b.month, b.day)), Some((1990, 3, 4)));
        assert_eq!(p.address_words, vec!["4", "lane", "quiet", "stafford"]);
        assert_eq!(p.email, "zoe@example.org");
        assert_eq!(p.gender, Some('f'));
        assert_eq!(p.identifier, "AB123");
    }
}
