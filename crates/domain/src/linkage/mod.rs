//! Person recognition: probabilistic record linkage in the Fellegi–Sunter model, as the
//! Ministry of Justice's Splink does, written for Harbour. Records are prepared once
//! ([`record`]), compared field by field into levels of agreement ([`compare`]), weighed by a
//! model of how often people's records agree ([`model`]) that is trained without labels
//! ([`train`]), over the pairs blocking finds ([`block`]); pairs above a threshold join records
//! into people ([`cluster`]). Every score carries its explanation, field by field.
//!
//! Pure: no IO, no clock. Storage keeps the model and the blocking keys; the binary's
//! `harbour people` commands and the intake call in here.

pub mod block;
pub mod cluster;
pub mod compare;
pub mod known;
pub mod link;
pub mod mapping;
pub mod model;
pub mod normal;
pub mod perpetrator;
pub mod record;
pub mod train;

pub use block::{Blocker, BlockingCounts, Rule};
pub use compare::{FIELDS, Field, Levels};
pub use model::{Contribution, Explanation, Model, probability};
pub use record::{Prepared, Record};

/// A pair of records scored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub a: u32,
    pub b: u32,
    /// Match weight: log2 of the odds that they are the same person.
    pub score: f64,
}

/// Every pair blocking finds, scored, keeping those at or above `floor` (a probability).
pub fn score_pairs(
    model: &Model,
    records: &[Prepared],
    blocker: &Blocker,
    floor: f64,
) -> (Vec<Scored>, BlockingCounts) {
    use rayon::prelude::*;
    let floor_score = (floor / (1.0 - floor)).log2();
    let scorer = model::Scorer::new(model);
    let shares: Vec<model::Shares> = records
        .par_iter()
        .map(|r| model::Scorer::shares(model, r))
        .collect();
    blocker.pairs(|a, b| {
        let (x, y) = (a as usize, b as usize);
        let levels = compare::compare(&records[x], &records[y]);
        let score = scorer.score(&levels, &shares[x], &shares[y]);
        (score >= floor_score).then_some(Scored { a, b, score })
    })
}
