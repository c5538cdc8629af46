//! Training without labels, as Splink does. u (how often different people agree by chance) is
//! counted over random pairs, nearly all of which are different people. m (how often the same
//! person's records agree) is found by expectation–maximisation over pairs that blocking
//! finds, one session per training rule; a session learns nothing about the fields its own rule
//! is made of (its pairs agree on them by construction), so those are left as they are, and
//! each field's m is the mean over the sessions that learned it.

use super::block::{Blocker, Rule};
use super::compare::{FIELDS, Field, Levels, compare};
use super::model::{Model, TermFrequencies, normalise};
use super::record::Prepared;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use std::collections::HashMap;

/// How to train.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Random pairs counted for u.
    pub u_pairs: usize,
    pub seed: u64,
    pub max_iterations: usize,
    pub training_rules: Vec<Rule>,
    pub blocking_rules: Vec<Rule>,
    /// At most about this many pairs are compared for each training session, and for the
    /// prior: more changes the estimates little and costs time in proportion.
    pub em_pairs: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            u_pairs: 1_000_000,
            seed: 20_261_202,
            max_iterations: 100,
            training_rules: Rule::TRAINING.to_vec(),
            blocking_rules: Rule::DEFAULT.to_vec(),
            em_pairs: 2_000_000,
        }
    }
}

/// One expectation–maximisation session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub rule: Rule,
    pub pairs: u64,
    pub iterations: usize,
    /// The share of the session's pairs judged the same person.
    pub matching: f64,
}

/// A trained model and how it was trained.
#[derive(Debug, Clone)]
pub struct Trained {
    pub model: Model,
    pub u_pairs: usize,
    pub sessions: Vec<Session>,
    /// Pairs the blocking rules find, and all the pairs there are.
    pub blocked_pairs: u64,
    pub all_pairs: f64,
}

/// Distinct comparison vectors and how many pairs had each.
pub type Patterns = Vec<(Levels, f64)>;

fn patterns(levels: impl IntoIterator<Item = Levels>) -> Patterns {
    let mut counts: HashMap<Levels, f64> = HashMap::new();
    for l in levels {
        *counts.entry(l).or_default() += 1.0;
    }
    let mut out: Patterns = counts.into_iter().collect();
    out.sort_by_key(|p| p.0);
    out
}

/// u for every field, from `pairs` random pairs (across sources, when linking). A count of 0
/// is smoothed, so no level is ever impossible.
pub fn estimate_u(
    records: &[Prepared],
    sources: Option<&[u8]>,
    pairs: usize,
    seed: u64,
) -> Vec<Vec<f64>> {
    let n = records.len();
    let chunks = 64usize;
    let per = pairs.div_ceil(chunks);
    let counted: Vec<[Vec<f64>; FIELDS]> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut rng =
                StdRng::seed_from_u64(seed ^ (c as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut counts: [Vec<f64>; FIELDS] =
                std::array::from_fn(|f| vec![0.0; Field::ALL[f].level_count()]);
            let mut done = 0;
            let mut tries = 0;
            while done < per && n >= 2 && tries < per * 20 {
                tries += 1;
                let (a, b) = (rng.gen_range(0..n), rng.gen_range(0..n));
                if a == b || sources.is_some_and(|s| s[a] == s[b]) {
                    continue;
                }
                let levels = compare(&records[a], &records[b]);
                for f in 0..FIELDS {
                    if levels[f] > 0 {
                        counts[f][usize::from(levels[f]) - 1] += 1.0;
                    }
                }
                done += 1;
            }
            counts
        })
        .collect();
    (0..FIELDS)
        .map(|f| {
            let k = Field::ALL[f].level_count();
            let mut u: Vec<f64> = (0..k)
                .map(|level| counted.iter().map(|c| c[f][level]).sum::<f64>() + 1.0)
                .collect();
            normalise(&mut u);
            u
        })
        .collect()
}

/// Expectation–maximisation of m (for the fields not `fixed`) and of the share of matching
/// pairs, over `patterns`, with u held. Fields in `ignored` are left out of the likelihood
/// altogether: a training session's own blocking fields, on which its pairs agree by
/// construction, would otherwise make every pair look like a match. Returns the iterations
/// taken and the share.
pub fn em(
    patterns: &[(Levels, f64)],
    model: &mut Model,
    fixed: &[Field],
    ignored: &[Field],
    max_iterations: usize,
    mut matching: f64,
) -> (usize, f64) {
    let total: f64 = patterns.iter().map(|p| p.1).sum();
    if total == 0.0 {
        return (0, matching);
    }
    for iteration in 1..=max_iterations {
        let mut m_sums: Vec<Vec<f64>> = Field::ALL
            .iter()
            .map(|f| vec![0.0; f.level_count()])
            .collect();
        let mut matched = 0.0;
        for (levels, count) in patterns {
            let (mut lm, mut lu) = (matching.ln(), (1.0 - matching).ln());
            for f in Field::ALL {
                let l = levels[f.index()];
                if l > 0 && !ignored.contains(&f) {
                    let fm = model.field(f);
                    lm += fm.m[usize::from(l) - 1].ln();
                    lu += fm.u[usize::from(l) - 1].ln();
                }
            }
            let p = 1.0 / (1.0 + (lu - lm).exp());
            let w = p * count;
            matched += w;
            for f in Field::ALL {
                let l = levels[f.index()];
                if l > 0 {
                    m_sums[f.index()][usize::from(l) - 1] += w;
                }
            }
        }
        let mut change: f64 = (matched / total - matching).abs();
        matching = (matched / total).clamp(1e-9, 1.0 - 1e-9);
        for f in Field::ALL {
            if fixed.contains(&f) {
                continue;
            }
            let mut m = m_sums[f.index()].clone();
            if m.iter().sum::<f64>() <= 0.0 {
                continue;
            }
            normalise(&mut m);
            let fm = &mut model.fields[f.index()];
            for (old, new) in fm.m.iter().zip(&m) {
                change = change.max((old - new).abs());
            }
            fm.m = m;
        }
        if change < 1e-6 {
            return (iteration, matching);
        }
    }
    (max_iterations, matching)
}

/// Trains a model on `records` (from `sources`, when linking files).
pub fn train(records: &[Prepared], sources: Option<Vec<u8>>, settings: &Settings) -> Trained {
    let blocker = Blocker::new(&settings.blocking_rules, records, sources.clone());
    train_blocked(records, sources, settings, &blocker)
}

/// [`train`] with the records already keyed by the blocking rules (`blocker`), for a caller
/// that goes on to link them with it.
pub fn train_blocked(
    records: &[Prepared],
    sources: Option<Vec<u8>>,
    settings: &Settings,
    blocker: &Blocker,
) -> Trained {
    let mut model = Model::starting();
    model.term_frequencies = TermFrequencies::count(records);
    let u = estimate_u(records, sources.as_deref(), settings.u_pairs, settings.seed);
    for (fm, u) in model.fields.iter_mut().zip(u) {
        fm.u = u;
    }
    let start = model.clone();
    let mut learned: Vec<Vec<Vec<f64>>> = vec![Vec::new(); FIELDS];
    let mut sessions = Vec::new();
    for rule in &settings.training_rules {
        let session_blocker = Blocker::new(&[*rule], records, sources.clone());
        let (levels, counts) = session_blocker.pairs_sampled(settings.em_pairs, |a, b| {
            Some(compare(&records[a as usize], &records[b as usize]))
        });
        let found = patterns(levels);
        let mut session = start.clone();
        let (iterations, matching) = em(
            &found,
            &mut session,
            rule.fields(),
            rule.fields(),
            settings.max_iterations,
            0.5,
        );
        for f in Field::ALL.iter().filter(|f| !rule.fields().contains(f)) {
            learned[f.index()].push(session.field(*f).m.clone());
        }
        sessions.push(Session {
            rule: *rule,
            pairs: counts.pairs_by_rule.iter().sum(),
            iterations,
            matching,
        });
    }
    for f in Field::ALL {
        let runs = &learned[f.index()];
        if runs.is_empty() {
            continue;
        }
        let mut m: Vec<f64> = (0..f.level_count())
            .map(|k| runs.iter().map(|r| r[k]).sum::<f64>() / runs.len() as f64)
            .collect();
        normalise(&mut m);
        model.fields[f.index()].m = m;
    }
    // The prior: the share of the blocked pairs that match, over all the pairs there are.
    let (levels, counts) = blocker.pairs_sampled(settings.em_pairs, |a, b| {
        Some(compare(&records[a as usize], &records[b as usize]))
    });
    let blocked_pairs: u64 = counts.pairs_by_rule.iter().sum();
    let union = patterns(levels);
    let (_, matching) = em(
        &union,
        &mut model,
        &Field::ALL,
        &[],
        settings.max_iterations,
        0.5,
    );
    let all_pairs = match &sources {
        Some(s) => {
            let a = s.iter().filter(|x| **x == s[0]).count() as f64;
            a * (s.len() as f64 - a)
        }
        None => {
            let n = records.len() as f64;
            n * (n - 1.0) / 2.0
        }
    };
    model.prior = (matching * blocked_pairs as f64 / all_pairs.max(1.0)).clamp(1e-12, 0.5);
    Trained {
        model,
        u_pairs: settings.u_pairs,
        sessions,
        blocked_pairs,
        all_pairs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linkage::model::FieldModel;
    use proptest::prelude::*;

    /// Comparison vectors drawn from known m, u and share of matches.
    fn generate(model: &Model, matching: f64, n: usize, seed: u64) -> Patterns {
        let mut rng = StdRng::seed_from_u64(seed);
        let draw = |p: &[f64], rng: &mut StdRng| {
            let x: f64 = rand::Rng::r#gen(rng);
            let mut acc = 0.0;
            for (k, pk) in p.iter().enumerate() {
                acc += pk;
                if x < acc {
                    return u8::try_from(k + 1).unwrap_or(u8::MAX);
                }
            }
            u8::try_from(p.len()).unwrap_or(u8::MAX)
        };
        let levels = (0..n).map(|_| {
            let is_match = rand::Rng::r#gen::<f64>(&mut rng) < matching;
            let mut l = [0u8; FIELDS];
            for f in Field::ALL {
                let fm = model.field(f);
                l[f.index()] = draw(if is_match { &fm.m } else { &fm.u }, &mut rng);
            }
            l
        });
        patterns(levels.collect::<Vec<_>>())
    }

    fn truth() -> Model {
        let mut m = Model::starting();
        for f in Field::ALL {
            let k = f.level_count();
            let mut fm = FieldModel::starting(f);
            // Matches mostly agree; non-matches mostly disagree, a little agreement by chance.
            fm.m = (0..k)
                .map(|i| {
                    if i == 0 {
                        0.85
                    } else {
                        0.15 / (k as f64 - 1.0)
                    }
                })
                .collect();
            fm.u = (0..k)
                .map(|i| {
                    if i + 1 == k {
                        0.8
                    } else {
                        0.2 / (k as f64 - 1.0)
                    }
                })
                .collect();
            m.fields[f.index()] = fm;
        }
        m
    }

    #[test]
    fn em_recovers_known_m_and_share() {
        let known = truth();
        let data = generate(&known, 0.3, 40_000, 7);
        let mut model = known.clone();
        for f in Field::ALL {
            model.fields[f.index()].m = FieldModel::starting(f).m;
        }
        let (_, matching) = em(&data, &mut model, &[], &[], 200, 0.5);
        assert!((matching - 0.3).abs() < 0.02, "share {matching}");
        for f in Field::ALL {
            for (got, want) in model.field(f).m.iter().zip(&known.field(f).m) {
                assert!((got - want).abs() < 0.03, "{f:?}: {got} against {want}");
            }
        }
    }

    #[test]
    fn fixed_fields_are_left_as_they_are() {
        let known = truth();
        let data = generate(&known, 0.3, 5_000, 8);
        let mut model = known.clone();
        let before = model.field(Field::DateOfBirth).m.clone();
        model.fields[Field::GivenName.index()].m = FieldModel::starting(Field::GivenName).m;
        em(&data, &mut model, &[Field::DateOfBirth], &[], 50, 0.5);
        assert_eq!(model.field(Field::DateOfBirth).m, before);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        /// Whatever the share of matches and the first level's m, EM finds them again.
        #[test]
        fn em_recovers_generated_parameters(matching in 0.1f64..0.6, agree in 0.6f64..0.95, seed in 0u64..1000) {
            let mut known = truth();
            for f in Field::ALL {
                let k = f.level_count();
                known.fields[f.index()].m =
                    (0..k).map(|i| if i == 0 { agree } else { (1.0 - agree) / (k as f64 - 1.0) }).collect();
            }
            let data = generate(&known, matching, 30_000, seed);
            let mut model = known.clone();
            for f in Field::ALL {
                model.fields[f.index()].m = FieldModel::starting(f).m;
            }
            let (_, found) = em(&data, &mut model, &[], &[], 300, 0.5);
            prop_assert!((found - matching).abs() < 0.03, "share {} against {}", found, matching);
            let got = model.field(Field::FamilyName).m[0];
            prop_assert!((got - agree).abs() < 0.04, "m {} against {}", got, agree);
        }
    }

    #[test]
    fn u_comes_from_random_pairs() {
        use crate::linkage::record::Record;
        let records: Vec<Prepared> = (0..200)
            .map(|i| {
                Prepared::new(&Record {
                    gender: if i % 2 == 0 { "female" } else { "male" }.into(),
                    ..Record::default()
                })
            })
            .collect();
        let u = estimate_u(&records, None, 20_000, 1);
        // Two random people share a gender half the time.
        assert!((u[Field::Gender.index()][0] - 0.5).abs() < 0.03);
        // A field no one has is smoothed to be even, not impossible.
        assert!(u[Field::Phone.index()].iter().all(|p| *p > 0.0));
    }
}
