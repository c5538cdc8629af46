//! Blocking: which pairs of records are compared at all. Comparing every pair of a million
//! records is half a million million comparisons, so only pairs that agree on at least one
//! blocking rule's key are compared. The rules are chosen so their union misses few true
//! matches: a pair never compared is a pair never found, so recall is measured
//! (`harbour people link` prints an estimate, the benchmark the true figure).

use super::compare::Field;
use super::record::Prepared;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use siphasher::sip::SipHasher13;
use std::hash::{Hash, Hasher};

/// The version of the blocking keys [`Rule::key`] makes; stored keys made by another are remade.
pub const KEYS_VERSION: i64 = 1;

/// A blocking rule: records with the same key are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The same date of birth.
    DateOfBirth,
    /// The same date of birth and given-name initial.
    DateOfBirthGivenInitial,
    /// The same date of birth and family-name initial.
    DateOfBirthFamilyInitial,
    /// The same date of birth and the same two initials, either way round (for names swapped).
    DateOfBirthInitials,
    /// Family names that sound the same, born the same year.
    FamilySoundBirthYear,
    /// Given and family names that sound the same (for a mistyped or missing date of birth).
    NamesSound,
    /// The same postcode and the same given-name initial.
    PostcodeInitial,
    /// The same house number and postcode.
    HouseAndPostcode,
    /// The same identifier from another system.
    Identifier,
    /// The same telephone number.
    Phone,
    /// The same e-mail address.
    Email,
}

impl Rule {
    /// The rules Harbour blocks by, most selective of time first.
    pub const DEFAULT: [Rule; 10] = [
        Rule::DateOfBirthGivenInitial,
        Rule::DateOfBirthFamilyInitial,
        Rule::DateOfBirthInitials,
        Rule::FamilySoundBirthYear,
        Rule::NamesSound,
        Rule::PostcodeInitial,
        Rule::HouseAndPostcode,
        Rule::Identifier,
        Rule::Phone,
        Rule::Email,
    ];

    /// The rules the model is trained on, one session each (see `train`).
    pub const TRAINING: [Rule; 3] = [
        Rule::DateOfBirth,
        Rule::FamilySoundBirthYear,
        Rule::PostcodeInitial,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Rule::DateOfBirth => "same date of birth",
            Rule::DateOfBirthGivenInitial => "same date of birth and given-name initial",
            Rule::DateOfBirthFamilyInitial => "same date of birth and family-name initial",
            Rule::DateOfBirthInitials => "same date of birth and initials, either way round",
            Rule::FamilySoundBirthYear => "family names sound alike, same birth year",
            Rule::NamesSound => "given and family names sound alike, either way round",
            Rule::PostcodeInitial => "same postcode and initial",
            Rule::HouseAndPostcode => "same house number and postcode",
            Rule::Identifier => "same identifier",
            Rule::Phone => "same phone number",
            Rule::Email => "same email address",
        }
    }

    /// The fields a rule's key is made of: pairs it finds agree on them by construction, so a
    /// training session on the rule learns nothing about them.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Rule::DateOfBirth => &[Field::DateOfBirth],
            Rule::DateOfBirthGivenInitial => &[Field::DateOfBirth, Field::GivenName],
            Rule::DateOfBirthFamilyInitial => &[Field::DateOfBirth, Field::FamilyName],
            Rule::DateOfBirthInitials => &[Field::DateOfBirth, Field::GivenName, Field::FamilyName],
            Rule::FamilySoundBirthYear => &[Field::FamilyName, Field::DateOfBirth],
            Rule::NamesSound => &[Field::GivenName, Field::FamilyName],
            Rule::PostcodeInitial => &[Field::Postcode, Field::GivenName],
            Rule::HouseAndPostcode => &[Field::Postcode, Field::Address],
            Rule::Identifier => &[Field::Identifier],
            Rule::Phone => &[Field::Phone],
            Rule::Email => &[Field::Email],
        }
    }

    /// The record's key under this rule, or none if a part is missing.
    ///
    /// Keys are kept in the database (intake finds candidates by them), so they are made with
    /// a hash whose output is fixed (SipHash-1-3 with zero keys, from `siphasher`), not the
    /// standard library's, which may change between Rust releases. Changing a rule's parts or
    /// their order changes its keys: [`KEYS_VERSION`] then goes up and Harbour remakes them.
    pub fn key(self, r: &Prepared) -> Option<u64> {
        let mut h = SipHasher13::new();
        (self as u8).hash(&mut h);
        match self {
            Rule::DateOfBirth => r.born?.days.hash(&mut h),
            Rule::DateOfBirthGivenInitial => {
                r.born?.days.hash(&mut h);
                r.given.text().bytes().next()?.hash(&mut h);
            }
            Rule::DateOfBirthFamilyInitial => {
                r.born?.days.hash(&mut h);
                r.family.text().bytes().next()?.hash(&mut h);
            }
            Rule::DateOfBirthInitials => {
                r.born?.days.hash(&mut h);
                let (g, f) = (
                    r.given.text().bytes().next()?,
                    r.family.text().bytes().next()?,
                );
                g.min(f).hash(&mut h);
                g.max(f).hash(&mut h);
            }
            Rule::FamilySoundBirthYear => {
                nonempty(&r.family.sounds[0])?.hash(&mut h);
                r.born?.year.hash(&mut h);
            }
            Rule::NamesSound => {
                // Either way round, so names entered swapped still meet.
                let (g, f) = (
                    nonempty(&r.given.sounds[0])?,
                    nonempty(&r.family.sounds[0])?,
                );
                g.min(f).hash(&mut h);
                g.max(f).hash(&mut h);
            }
            Rule::PostcodeInitial => {
                nonempty(&r.postcode.whole)?.hash(&mut h);
                r.given.text().chars().next()?.hash(&mut h);
            }
            Rule::HouseAndPostcode => {
                nonempty(&r.postcode.whole)?.hash(&mut h);
                r.address_words
                    .iter()
                    .find(|w| w.bytes().next().is_some_and(|b| b.is_ascii_digit()))?
                    .hash(&mut h);
            }
            Rule::Identifier => nonempty(&r.identifier)?.hash(&mut h),
            Rule::Phone => nonempty(&r.phone)?.hash(&mut h),
            Rule::Email => nonempty(&r.email)?.hash(&mut h),
        }
        Some(h.finish())
    }
}

/// Whether a pair is among the one in `step` kept when sampling: a fixed choice, the same
/// every run, spread evenly over the pairs.
fn sampled(a: u32, b: u32, step: u64) -> bool {
    if step <= 1 {
        return true;
    }
    // SplitMix64's finaliser: every bit of the pair moves every bit of the result.
    let mut x = (u64::from(a) << 32) | u64::from(b);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    x % step == 0
}

fn nonempty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// Records keyed by a set of rules, ready to hand out the pairs to compare.
pub struct Blocker {
    rules: Vec<Rule>,
    /// Each record's key under each rule, record-major.
    keys: Vec<Option<u64>>,
    /// Where a record came from, when linking files rather than deduplicating one: only pairs
    /// from different sources are compared.
    sources: Option<Vec<u8>>,
    /// A block larger than this is left out (and counted), so one unusual key cannot make the
    /// work quadratic.
    pub max_block: usize,
}

/// A rule's blocks: the records of all of them in one list, and each block's range of it.
#[derive(Default)]
struct Blocks {
    records: Vec<u32>,
    ranges: Vec<(usize, usize)>,
}

/// What blocking produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockingCounts {
    /// Pairs each rule found first (a pair two rules find counts for the earlier).
    pub pairs_by_rule: Vec<u64>,
    /// Blocks left out for being larger than `max_block`, and the records in them.
    pub blocks_left_out: u64,
    pub records_in_blocks_left_out: u64,
}

impl Blocker {
    pub fn new(rules: &[Rule], records: &[Prepared], sources: Option<Vec<u8>>) -> Blocker {
        let keys = records
            .par_iter()
            .flat_map_iter(|r| rules.iter().map(|rule| rule.key(r)).collect::<Vec<_>>())
            .collect();
        Blocker {
            rules: rules.to_vec(),
            keys,
            sources,
            max_block: 20_000,
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    fn key(&self, record: u32, rule: usize) -> Option<u64> {
        self.keys[record as usize * self.rules.len() + rule]
    }

    fn len(&self) -> usize {
        self.keys.len() / self.rules.len().max(1)
    }

    /// Which of the rules put records `a` and `b` together, as a bit set.
    pub fn rules_agreeing(&self, a: u32, b: u32) -> u32 {
        (0..self.rules.len())
            .filter(|&r| self.key(a, r).is_some() && self.key(a, r) == self.key(b, r))
            .fold(0, |set, r| set | (1 << r))
    }

    /// The blocks of rule `r`: records sharing its key, two or more of them, as one list of
    /// records and the ranges of it each block takes.
    fn blocks(&self, r: usize, counts: &mut BlockingCounts) -> Blocks {
        let mut keyed: Vec<(u64, u32)> = (0..self.len() as u32)
            .filter_map(|i| self.key(i, r).map(|k| (k, i)))
            .collect();
        keyed.par_sort_unstable();
        let mut blocks = Blocks::default();
        for run in keyed.chunk_by(|a, b| a.0 == b.0) {
            if run.len() < 2 {
                continue;
            }
            if run.len() > self.max_block {
                counts.blocks_left_out += 1;
                counts.records_in_blocks_left_out += run.len() as u64;
                continue;
            }
            let start = blocks.records.len();
            blocks.records.extend(run.iter().map(|(_, i)| *i));
            blocks.ranges.push((start, blocks.records.len()));
        }
        blocks
    }

    /// Whether a pair is to be compared under rule `r`: from different sources when linking,
    /// and not already found by an earlier rule.
    fn first_found_by(&self, r: usize, a: u32, b: u32) -> bool {
        if let Some(s) = &self.sources
            && s[a as usize] == s[b as usize]
        {
            return false;
        }
        (0..r).all(|earlier| {
            let k = self.key(a, earlier);
            k.is_none() || k != self.key(b, earlier)
        })
    }

    /// Calls `visit` on every pair to compare (each once), in parallel, and gathers what it
    /// returns.
    pub fn pairs<T: Send>(
        &self,
        visit: impl Fn(u32, u32) -> Option<T> + Sync,
    ) -> (Vec<T>, BlockingCounts) {
        self.pairs_sampled(u64::MAX, visit)
    }

    /// [`Blocker::pairs`], visiting only about `at_most` of them: an even, fixed sample when
    /// the blocks hold more (counting a pair once per rule that finds it). The counts are of
    /// all the pairs, visited or not.
    pub fn pairs_sampled<T: Send>(
        &self,
        at_most: u64,
        visit: impl Fn(u32, u32) -> Option<T> + Sync,
    ) -> (Vec<T>, BlockingCounts) {
        let mut counts = BlockingCounts {
            pairs_by_rule: vec![0; self.rules.len()],
            ..BlockingCounts::default()
        };
        let all: Vec<Blocks> = (0..self.rules.len())
            .map(|r| self.blocks(r, &mut counts))
            .collect();
        let held: u64 = all
            .iter()
            .flat_map(|b| &b.ranges)
            .map(|(start, end)| {
                let n = (end - start) as u64;
                n * (n - 1) / 2
            })
            .sum();
        let step = held.div_ceil(at_most.max(1));
        let mut out = Vec::new();
        for (r, blocks) in all.iter().enumerate() {
            // Each worker gathers into its own list, joined at the end.
            let (n, kept) = blocks
                .ranges
                .par_iter()
                .fold(
                    || (0u64, Vec::new()),
                    |(mut n, mut kept), &(start, end)| {
                        let block = &blocks.records[start..end];
                        for (x, &a) in block.iter().enumerate() {
                            for &b in &block[x + 1..] {
                                if self.first_found_by(r, a, b) {
                                    n += 1;
                                    if sampled(a, b, step)
                                        && let Some(t) = visit(a, b)
                                    {
                                        kept.push(t);
                                    }
                                }
                            }
                        }
                        (n, kept)
                    },
                )
                .reduce(
                    || (0, Vec::new()),
                    |(n1, mut k1), (n2, k2)| {
                        k1.extend(k2);
                        (n1 + n2, k1)
                    },
                );
            counts.pairs_by_rule[r] += n;
            out.extend(kept);
        }
        (out, counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linkage::record::Record;
    use chrono::NaiveDate;
    use std::collections::BTreeSet;

    fn rec(given: &str, family: &str, born: Option<(i32, u32, u32)>, postcode: &str) -> Prepared {
        Prepared::new(&Record {
            given_name: given.into(),
            family_name: family.into(),
            date_of_birth: born.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
            postcode: postcode.into(),
            ..Record::default()
        })
    }

    fn all_pairs(b: &Blocker) -> BTreeSet<(u32, u32)> {
        b.pairs(|a, b| Some((a, b))).0.into_iter().collect()
    }

    #[test]
    fn each_pair_is_compared_once_whichever_rules_find_it() {
        let records = vec![
            rec("Jodie", "Harroby", Some((1990, 3, 4)), "ST16 2DH"),
            rec("Jody", "Harroby", Some((1990, 3, 4)), "ST16 2DH"),
            rec("Jodie", "Harroby", Some((1990, 4, 3)), "ST16 2DH"),
            rec("Priya", "Shah", Some((1971, 1, 1)), "WS11 1AA"),
        ];
        let blocker = Blocker::new(&Rule::DEFAULT, &records, None);
        let (pairs, counts) = blocker.pairs(|a, b| Some((a, b)));
        let unique: BTreeSet<_> = pairs.iter().copied().collect();
        assert_eq!(pairs.len(), unique.len(), "no pair twice");
        assert_eq!(unique, BTreeSet::from([(0, 1), (0, 2), (1, 2)]));
        assert_eq!(counts.pairs_by_rule.iter().sum::<u64>(), 3);
        assert_eq!(blocker.rules_agreeing(0, 3), 0);
    }

    #[test]
    fn linking_compares_only_across_sources() {
        let records = vec![
            rec("Ann", "Cole", Some((1990, 3, 4)), ""),
            rec("Ann", "Cole", Some((1990, 3, 4)), ""),
            rec("Anne", "Cole", Some((1990, 3, 4)), ""),
        ];
        let blocker = Blocker::new(&Rule::DEFAULT, &records, Some(vec![0, 0, 1]));
        assert_eq!(all_pairs(&blocker), BTreeSet::from([(0, 2), (1, 2)]));
    }

    #[test]
    fn a_record_missing_a_key_part_is_in_no_block_of_that_rule() {
        let records = vec![rec("Ann", "Cole", None, ""), rec("Bob", "Cole", None, "")];
        let blocker = Blocker::new(&Rule::DEFAULT, &records, None);
        assert!(all_pairs(&blocker).is_empty());
    }

    #[test]
    fn a_sample_visits_fewer_pairs_but_counts_them_all() {
        let records: Vec<Prepared> = (0..40)
            .map(|_| rec("Ann", "Cole", Some((1990, 3, 4)), ""))
            .collect();
        let blocker = Blocker::new(&[Rule::DateOfBirth], &records, None);
        let (visited, counts) = blocker.pairs_sampled(100, |a, b| Some((a, b)));
        assert_eq!(counts.pairs_by_rule, vec![780]);
        assert!((50..=200).contains(&visited.len()), "{}", visited.len());
        let (again, _) = blocker.pairs_sampled(100, |a, b| Some((a, b)));
        assert_eq!(visited, again, "the same sample every time");
    }

    #[test]
    fn an_oversized_block_is_left_out_and_counted() {
        let records: Vec<Prepared> = (0..5)
            .map(|_| rec("Ann", "Cole", Some((1990, 3, 4)), ""))
            .collect();
        let mut blocker = Blocker::new(&[Rule::DateOfBirth], &records, None);
        blocker.max_block = 4;
        let (pairs, counts) = blocker.pairs(|a, b| Some((a, b)));
        assert!(pairs.is_empty());
        assert_eq!(
            (counts.blocks_left_out, counts.records_in_blocks_left_out),
            (1, 5)
        );
    }
}
