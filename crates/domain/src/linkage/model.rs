//! The Fellegi–Sunter model: for each field and level, m (how often two records of the same
//! person agree at that level) and u (how often two records of different people do). A level's
//! match weight is log2(m/u); a pair's score is the prior's log-odds plus its levels' weights,
//! and its probability follows from the score. Exact agreement on a name or postcode is weighed
//! by how common the value is, so "Smith" counts for less than "Wójcik".

use super::compare::{FIELDS, Field, Levels, compare};
use super::record::Prepared;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The m and u probabilities of one field's levels (level 1 first; level 0 has none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldModel {
    pub field: Field,
    pub m: Vec<f64>,
    pub u: Vec<f64>,
}

impl FieldModel {
    /// A starting point before training: agreement likely among matches, disagreement among
    /// non-matches.
    pub fn starting(field: Field) -> FieldModel {
        let n = field.level_count();
        let mut m: Vec<f64> = (0..n)
            .map(|k| 0.5_f64.powi(i32::try_from(k).unwrap_or(0) + 1))
            .collect();
        let mut u: Vec<f64> = (0..n)
            .map(|k| {
                if k + 1 == n {
                    0.9
                } else {
                    0.1 / (n as f64 - 1.0)
                }
            })
            .collect();
        m[n - 1] = m[n - 1].min(0.05);
        normalise(&mut m);
        normalise(&mut u);
        FieldModel { field, m, u }
    }

    /// The weight of `level` (1 and up): log2(m/u), except that agreeing exactly never counts
    /// against a match and disagreeing (the last level) never counts for one. Records where a
    /// field hardly varies (every address on one street, say) can leave u of "different" near
    /// 0 and make disagreement look like evidence of a match; no reading of the data makes it so.
    pub fn weight(&self, level: u8) -> f64 {
        let k = usize::from(level) - 1;
        let w = (self.m[k] / self.u[k]).log2();
        if k == 0 {
            w.max(0.0)
        } else if k + 1 == self.m.len() {
            w.min(0.0)
        } else {
            w
        }
    }
}

pub(crate) fn normalise(p: &mut [f64]) {
    // No level is ever impossible: a probability of 0 would make one field decide alone.
    for x in p.iter_mut() {
        *x = x.max(1e-6);
    }
    let total: f64 = p.iter().sum();
    for x in p.iter_mut() {
        *x /= total;
    }
}

/// How common each value is among the records trained on, for the fields weighed that way.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TermFrequencies {
    /// For each field with term frequencies: value → share of records with that value.
    pub shares: HashMap<Field, HashMap<String, f64>>,
    /// The share assumed for a value never seen (the rarest seen).
    pub floor: f64,
}

impl TermFrequencies {
    /// Counts the values in `records`.
    pub fn count(records: &[Prepared]) -> TermFrequencies {
        let mut shares: HashMap<Field, HashMap<String, f64>> = HashMap::new();
        let mut floor: f64 = 1.0;
        for field in Field::ALL.into_iter().filter(|f| f.has_term_frequency()) {
            let mut counts: HashMap<&str, u64> = HashMap::new();
            let mut known = 0u64;
            for r in records {
                let v = term(field, r);
                if !v.is_empty() {
                    *counts.entry(v).or_default() += 1;
                    known += 1;
                }
            }
            if known == 0 {
                continue;
            }
            let table: HashMap<String, f64> = counts
                .into_iter()
                .map(|(v, n)| (v.to_owned(), n as f64 / known as f64))
                .collect();
            floor = floor.min(1.0 / known as f64);
            shares.insert(field, table);
        }
        TermFrequencies { shares, floor }
    }

    /// The share of records with this record's value of `field`, if weighed by it.
    pub fn share(&self, field: Field, record: &Prepared) -> Option<f64> {
        let table = self.shares.get(&field)?;
        let v = term(field, record);
        if v.is_empty() {
            return None;
        }
        Some(table.get(v).copied().unwrap_or(self.floor).max(self.floor))
    }
}

/// The value of a field weighed by its frequency.
fn term(field: Field, r: &Prepared) -> &str {
    match field {
        Field::GivenName => r.given.text(),
        Field::FamilyName => r.family.text(),
        Field::Postcode => &r.postcode.whole,
        _ => "",
    }
}

/// A trained model: versioned data, kept in the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// The share of all pairs of records that are the same person.
    pub prior: f64,
    pub fields: Vec<FieldModel>,
    pub term_frequencies: TermFrequencies,
}

/// One field's part in a score, for the explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub field: Field,
    pub level: u8,
    /// The weight the level adds (0 when not known), with any term-frequency adjustment.
    pub weight: f64,
    /// The part of `weight` that came from how common the value is.
    pub frequency_adjustment: f64,
}

impl Contribution {
    /// What the level means, in words.
    pub fn meaning(&self) -> &'static str {
        if self.level == 0 {
            "not known on one side"
        } else {
            self.field.levels()[usize::from(self.level) - 1]
        }
    }
}

/// Why a pair scored what it did: the prior, then each field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub prior_weight: f64,
    pub contributions: Vec<Contribution>,
    pub score: f64,
    pub probability: f64,
}

/// The probability that corresponds to a score (log2 odds).
pub fn probability(score: f64) -> f64 {
    let odds = score.exp2();
    if odds.is_infinite() {
        1.0
    } else {
        odds / (1.0 + odds)
    }
}

impl Model {
    /// An untrained model with starting values.
    pub fn starting() -> Model {
        Model {
            prior: 1e-4,
            fields: Field::ALL
                .iter()
                .map(|f| FieldModel::starting(*f))
                .collect(),
            term_frequencies: TermFrequencies::default(),
        }
    }

    pub fn field(&self, f: Field) -> &FieldModel {
        &self.fields[f.index()]
    }

    pub fn prior_weight(&self) -> f64 {
        (self.prior / (1.0 - self.prior)).log2()
    }

    /// Compares and scores a pair.
    pub fn score(&self, a: &Prepared, b: &Prepared) -> f64 {
        let scorer = Scorer::new(self);
        scorer.score(
            &compare(a, b),
            &Scorer::shares(self, a),
            &Scorer::shares(self, b),
        )
    }

    /// Compares and scores a pair, saying why.
    pub fn explain(&self, a: &Prepared, b: &Prepared) -> Explanation {
        let scorer = Scorer::new(self);
        let levels = compare(a, b);
        let (sa, sb) = (Scorer::shares(self, a), Scorer::shares(self, b));
        let contributions: Vec<Contribution> = Field::ALL
            .iter()
            .map(|&field| {
                let level = levels[field.index()];
                let (weight, frequency_adjustment) = scorer.weight(field, level, &sa, &sb);
                Contribution {
                    field,
                    level,
                    weight,
                    frequency_adjustment,
                }
            })
            .collect();
        let prior_weight = self.prior_weight();
        let score = prior_weight + contributions.iter().map(|c| c.weight).sum::<f64>();
        Explanation {
            prior_weight,
            contributions,
            score,
            probability: probability(score),
        }
    }
}

/// A model made ready to score many pairs fast: every level's weight worked out once, and
/// each record's term-frequency shares looked up once ([`Scorer::shares`]) rather than per pair.
pub struct Scorer {
    prior_weight: f64,
    /// Weight by field and level (level 0 weighs 0).
    weights: [[f64; 10]; FIELDS],
    /// Each field's u for exact agreement, which a share replaces.
    u_exact: [f64; FIELDS],
}

/// A record's share for each term-frequency field (0 when none).
pub type Shares = [f64; FIELDS];

impl Scorer {
    pub fn new(model: &Model) -> Scorer {
        let mut weights = [[0.0; 10]; FIELDS];
        let mut u_exact = [0.0; FIELDS];
        for f in Field::ALL {
            let fm = model.field(f);
            for (level, w) in weights[f.index()]
                .iter_mut()
                .enumerate()
                .take(f.level_count() + 1)
                .skip(1)
            {
                *w = fm.weight(u8::try_from(level).unwrap_or(u8::MAX));
            }
            u_exact[f.index()] = fm.u[0];
        }
        Scorer {
            prior_weight: model.prior_weight(),
            weights,
            u_exact,
        }
    }

    /// The shares of a record's values, for [`Scorer::score`].
    pub fn shares(model: &Model, r: &Prepared) -> Shares {
        let mut s = [0.0; FIELDS];
        for f in Field::ALL.into_iter().filter(|f| f.has_term_frequency()) {
            s[f.index()] = model.term_frequencies.share(f, r).unwrap_or(0.0);
        }
        s
    }

    /// A field's weight at `level` for two records with these shares, and the part of it that
    /// came from how common the value is: log2(m/u), with u replaced by the value's share when
    /// the two agree exactly (log2(u/share) more).
    pub fn weight(&self, field: Field, level: u8, a: &Shares, b: &Shares) -> (f64, f64) {
        let f = field.index();
        let base = self.weights[f][usize::from(level)];
        let share = a[f].max(b[f]);
        if level == 1 && share > 0.0 {
            let adjustment = (self.u_exact[f] / share).log2();
            (base + adjustment, adjustment)
        } else {
            (base, 0.0)
        }
    }

    /// The score of a pair from its levels and the two records' shares.
    pub fn score(&self, levels: &Levels, a: &Shares, b: &Shares) -> f64 {
        self.prior_weight
            + Field::ALL
                .iter()
                .map(|&f| self.weight(f, levels[f.index()], a, b).0)
                .sum::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_never_counts_against_and_disagreement_never_for() {
        for field in Field::ALL {
            let levels = field.levels();
            assert_eq!(levels.first(), Some(&"the same"), "{field:?}");
            assert_eq!(levels.last(), Some(&"different"), "{field:?}");
            let n = levels.len();
            // Data where strangers almost never disagree and matches often do.
            let mut m = vec![0.1; n];
            m[n - 1] = 0.5;
            let mut u = vec![0.5; n];
            u[n - 1] = 1e-6;
            u[0] = 0.9;
            let fm = FieldModel { field, m, u };
            assert_eq!(fm.weight(u8::try_from(n).unwrap()), 0.0);
            assert_eq!(fm.weight(1), 0.0);
        }
    }
    use crate::linkage::record::Record;
    use chrono::NaiveDate;

    fn rec(given: &str, family: &str) -> Record {
        Record {
            given_name: given.into(),
            family_name: family.into(),
            date_of_birth: NaiveDate::from_ymd_opt(1990, 3, 4),
            postcode: "ST16 2DH".into(),
            ..Record::default()
        }
    }

    #[test]
    fn an_explanation_adds_up_to_the_score() {
        let model = Model::starting();
        let a = Prepared::new(&rec("Jodie", "Harroby"));
        let b = Prepared::new(&rec("Jody", "Harroby"));
        let e = model.explain(&a, &b);
        let sum = e.prior_weight + e.contributions.iter().map(|c| c.weight).sum::<f64>();
        assert!((e.score - sum).abs() < 1e-9);
        assert!((model.score(&a, &b) - e.score).abs() < 1e-9);
        assert_eq!(
            e.contributions[Field::GivenName.index()].meaning(),
            "sound the same"
        );
        assert_eq!(
            e.contributions[Field::Phone.index()].meaning(),
            "not known on one side"
        );
        assert_eq!(e.contributions[Field::Phone.index()].weight, 0.0);
    }

    #[test]
    fn a_common_name_counts_for_less_than_a_rare_one() {
        // Half the people are Smiths; the rest each have a name of their own.
        let people: Vec<Prepared> = (0u8..100)
            .map(|i| {
                let family = if i < 50 {
                    "Smith".to_owned()
                } else {
                    format!(
                        "Wojcik{}{}",
                        char::from(b'a' + i / 26),
                        char::from(b'a' + i % 26)
                    )
                };
                Prepared::new(&rec("Ann", &family))
            })
            .collect();
        let mut model = Model::starting();
        model.term_frequencies = TermFrequencies::count(&people);
        let smiths = model.explain(&people[0], &people[1]);
        let rare = model.explain(&people[60], &people[60]);
        let w = |e: &Explanation| e.contributions[Field::FamilyName.index()].weight;
        assert!(w(&smiths) < w(&rare), "{} < {}", w(&smiths), w(&rare));
    }

    #[test]
    fn weights_are_log_m_over_u_with_the_share_for_exact_agreement() {
        let people: Vec<Prepared> = ["Harroby", "Smith", "Smith", "Harrobi"]
            .iter()
            .map(|f| Prepared::new(&rec("Jodie", f)))
            .collect();
        let mut model = Model::starting();
        model.term_frequencies = TermFrequencies::count(&people);
        let family = model.field(Field::FamilyName).clone();
        let shares = |p: &Prepared| Scorer::shares(&model, p);
        let scorer = Scorer::new(&model);
        // Two Smiths: exact agreement on a value half the records hold.
        let (w, adj) = scorer.weight(
            Field::FamilyName,
            1,
            &shares(&people[1]),
            &shares(&people[2]),
        );
        assert!((w - (family.m[0] / 0.5).log2()).abs() < 1e-9);
        assert!((adj - (family.u[0] / 0.5).log2()).abs() < 1e-9);
        // Any other level: log2(m/u), whatever the shares.
        let (w, adj) = scorer.weight(
            Field::FamilyName,
            4,
            &shares(&people[0]),
            &shares(&people[3]),
        );
        assert!((w - (family.m[3] / family.u[3]).log2()).abs() < 1e-9);
        assert_eq!(adj, 0.0);
        // Not known weighs nothing.
        assert_eq!(
            scorer.weight(Field::Phone, 0, &shares(&people[0]), &shares(&people[1])),
            (0.0, 0.0)
        );
    }

    #[test]
    fn probability_follows_the_score() {
        assert!((probability(0.0) - 0.5).abs() < 1e-12);
        assert!(probability(10.0) > 0.999);
        assert!(probability(-10.0) < 0.001);
        assert_eq!(probability(5000.0), 1.0);
    }
}
