//! Linking a whole set of records at once (a file from an older system, or the people
//! already stored): train, block, score, cluster, and say how much blocking may have missed.

use super::block::{Blocker, BlockingCounts, Rule};
use super::cluster::clusters;
use super::model::{Model, probability};
use super::record::Prepared;
use super::train::{Settings, Trained, train_blocked};
use super::{Scored, score_pairs};

/// The outcome of linking.
#[derive(Debug, Clone)]
pub struct Linked {
    pub model: Model,
    pub training: Trained,
    /// Every pair scored at or above the floor, best first.
    pub pairs: Vec<Scored>,
    pub counts: BlockingCounts,
    /// Each record's cluster (the lowest-numbered record in it).
    pub clusters: Vec<u32>,
    /// For each blocking rule, the share of the pairs judged the same person that it finds.
    pub rule_recall: Vec<(Rule, f64)>,
}

impl Linked {
    /// Pairs at or above `threshold` (a probability).
    pub fn matches(&self, threshold: f64) -> impl Iterator<Item = &Scored> {
        self.pairs
            .iter()
            .filter(move |p| probability(p.score) >= threshold)
    }

    /// An estimate of blocking's recall from the pairs judged the same person: one minus the
    /// chance that every rule misses a pair, were the rules' misses independent. Pairs no rule
    /// finds are invisible here, so it can only be an estimate; on labelled data the
    /// benchmark measures the true figure.
    pub fn estimated_recall(&self) -> f64 {
        1.0 - self
            .rule_recall
            .iter()
            .map(|(_, r)| 1.0 - r)
            .product::<f64>()
    }
}

/// Trains on `records` and links them: deduplicates one set, or, with `sources`, links records
/// from different sources only. Pairs scoring below `floor` are not kept; `threshold` decides
/// the clusters.
pub fn link(
    records: &[Prepared],
    sources: Option<Vec<u8>>,
    settings: &Settings,
    threshold: f64,
    floor: f64,
) -> Linked {
    let blocker = Blocker::new(&settings.blocking_rules, records, sources.clone());
    let training = train_blocked(records, sources, settings, &blocker);
    let model = training.model.clone();
    let (mut pairs, counts) = score_pairs(&model, records, &blocker, floor);
    pairs.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then(x.a.cmp(&y.a))
            .then(x.b.cmp(&y.b))
    });
    let threshold_score = (threshold / (1.0 - threshold)).log2();
    let matched: Vec<&Scored> = pairs
        .iter()
        .filter(|p| p.score >= threshold_score)
        .collect();
    let clusters = clusters(records.len(), matched.iter().map(|p| (p.a, p.b)));
    let rule_recall = blocker
        .rules()
        .iter()
        .enumerate()
        .map(|(r, rule)| {
            let found = matched
                .iter()
                .filter(|p| blocker.rules_agreeing(p.a, p.b) & (1 << r) != 0)
                .count();
            (*rule, found as f64 / matched.len().max(1) as f64)
        })
        .collect();
    Linked {
        model,
        training,
        pairs,
        counts,
        clusters,
        rule_recall,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linkage::record::Record;
    use chrono::NaiveDate;

    /// A small population where each person appears twice, the second time with a slip.
    fn population() -> Vec<Prepared> {
        let given = [
            "Jodie", "Priya", "Alys", "Megan", "Wiktoria", "Hannah", "Chloe", "Aisha",
        ];
        let family = [
            "Harroby", "Shah", "Evans", "Calder", "Wojcik", "Brennan", "Okafor", "Nguyen",
        ];
        let mut out = Vec::new();
        for i in 0..40u32 {
            let g = given[(i % 8) as usize];
            let f = family[(i / 5 % 8) as usize];
            let born = NaiveDate::from_ymd_opt(1960 + (i as i32 * 7) % 40, 1 + i % 12, 1 + i % 28);
            let postcode = format!("ST{} {}AB", 10 + i % 9, i % 10);
            let first = Record {
                given_name: g.into(),
                family_name: f.into(),
                date_of_birth: born,
                postcode: postcode.clone(),
                address: format!("{} Quiet Lane", i + 1),
                ..Record::default()
            };
            let mut again = first.clone();
            match i % 3 {
                0 => again.given_name = format!("{g}e"),
                1 => {
                    again.date_of_birth =
                        born.and_then(|d| d.checked_add_days(chrono::Days::new(10)));
                }
                _ => again.postcode = String::new(),
            }
            out.push(Prepared::new(&first));
            out.push(Prepared::new(&again));
        }
        out
    }

    #[test]
    fn each_person_is_found_again() {
        let records = population();
        let settings = Settings {
            u_pairs: 20_000,
            ..Settings::default()
        };
        let linked = link(&records, None, &settings, 0.9, 0.01);
        for person in 0..40 {
            let (a, b) = (2 * person, 2 * person + 1);
            assert_eq!(linked.clusters[a], linked.clusters[b], "person {person}");
        }
        let distinct: std::collections::BTreeSet<u32> = linked.clusters.iter().copied().collect();
        assert_eq!(distinct.len(), 40, "and no two people are joined");
        assert!(linked.estimated_recall() > 0.99);
    }
}
