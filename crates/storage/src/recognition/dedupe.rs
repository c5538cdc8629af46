//! `harbour people dedupe`: the people already stored, compared all at once with the newest model
//! (after a migration from older systems, or a change of model), to find people stored twice.
//! Every pair of referrals about different people scoring at or above the possible-match
//! threshold proposes those two people to the hub as a possible match: nothing is merged without
//! a person deciding. Pairs already proposed, or judged different, are not proposed again.

use super::model::{prepare, recogniser};
use crate::audit;
use crate::db::{Db, new_id, now, to_json};
use crate::error::{Result, StorageError};
use crate::intake::MATCH_POSSIBLE;
use harbour_domain::audit::AuditAction;
use harbour_domain::linkage::block::{Blocker, Rule};
use harbour_domain::linkage::{Prepared, score_pairs};
use std::collections::{HashMap, HashSet};

/// What a run found (and, unless a dry run, proposed).
#[derive(Debug, Clone, Default)]
pub struct DedupeReport {
    pub referrals: usize,
    pub people: usize,
    /// Pairs of referrals blocking compared.
    pub compared: u64,
    /// Pairs of people at or above the link threshold, and between the thresholds.
    pub likely_same: usize,
    pub possible: usize,
    /// Of those, already proposed or decided before, so not proposed again.
    pub already_known: usize,
    /// Proposed to the hub now (0 on a dry run).
    pub proposed: usize,
    pub seconds: f64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    person_id: String,
    person_details: String,
    person_safe_contact: String,
}

/// Compares every referral's record of the person with every other that blocking finds, and
/// proposes each pair of different people at or above the possible-match threshold (unless
/// `dry_run`). Needs a trained model.
pub async fn dedupe(db: &Db, dry_run: bool) -> Result<DedupeReport> {
    let started = std::time::Instant::now();
    let Some(r) = recogniser(db).await? else {
        return Err(StorageError::invalid(
            "model",
            "there is no model yet: run harbour people train first",
        ));
    };
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, person_id, person_details, person_safe_contact FROM referrals ORDER BY id",
    )
    .fetch_all(db.pool())
    .await?;
    let (model, thresholds) = (r.model.clone(), r.thresholds);
    let rows = std::sync::Arc::new(rows);
    let scored = {
        let rows = rows.clone();
        tokio::task::spawn_blocking(move || -> Result<_> {
            let records = rows
                .iter()
                .map(|r| prepare(&r.person_details, &r.person_safe_contact))
                .collect::<Result<Vec<Prepared>>>()?;
            let blocker = Blocker::new(&Rule::DEFAULT, &records, None);
            let (pairs, counts) = score_pairs(&model, &records, &blocker, thresholds.possible);
            // The best pair of records for each pair of people, with its explanation.
            let mut best: HashMap<(&str, &str), (usize, usize, f64)> = HashMap::new();
            for p in pairs {
                let (a, b) = (p.a as usize, p.b as usize);
                let (pa, pb) = (rows[a].person_id.as_str(), rows[b].person_id.as_str());
                if pa == pb {
                    continue;
                }
                // The later referral proposes; the earlier record is the one known before.
                let (new, old) = if rows[a].id > rows[b].id {
                    (a, b)
                } else {
                    (b, a)
                };
                let entry = best
                    .entry((pa.min(pb), pa.max(pb)))
                    .or_insert((new, old, p.score));
                if p.score > entry.2 {
                    *entry = (new, old, p.score);
                }
            }
            let found: Vec<(usize, usize, f64, String)> = best
                .into_values()
                .map(|(new, old, _)| {
                    let e = model.explain(&records[new], &records[old]);
                    Ok((new, old, e.probability, to_json(&e)?))
                })
                .collect::<Result<_>>()?;
            Ok((found, counts.pairs_by_rule.iter().sum::<u64>()))
        })
        .await
        .map_err(|e| StorageError::Write(format!("dedupe stopped: {e}")))??
    };
    let (found, compared) = scored;
    let people: HashSet<&str> = rows.iter().map(|r| r.person_id.as_str()).collect();
    let mut report = DedupeReport {
        referrals: rows.len(),
        people: people.len(),
        compared,
        likely_same: found.iter().filter(|f| f.2 >= thresholds.link).count(),
        possible: found.iter().filter(|f| f.2 < thresholds.link).count(),
        ..DedupeReport::default()
    };
    // Pairs of people already proposed or decided, either way round.
    let known: Vec<(String, String)> = sqlx::query_as(
        "SELECT r.person_id, c.person_id FROM person_matches m \
         JOIN referrals r ON r.id = m.referral_id JOIN referrals c ON c.id = m.candidate_referral_id \
         WHERE m.state IN ('possible', 'different')",
    )
    .fetch_all(db.pool())
    .await?;
    let known: HashSet<(String, String)> = known
        .into_iter()
        .flat_map(|(a, b)| [(a.clone(), b.clone()), (b, a)])
        .collect();
    let mut proposals = Vec::new();
    for (new, old, p, explanation) in &found {
        let (a, b) = (&rows[*new], &rows[*old]);
        if known.contains(&(a.person_id.clone(), b.person_id.clone())) {
            report.already_known += 1;
            continue;
        }
        proposals.push((a, b, *p, explanation));
    }
    let at = now();
    let mut tx = db.begin_write().await?;
    if !dry_run {
        for (a, b, p, explanation) in &proposals {
            sqlx::query(
                "INSERT INTO person_matches (id, referral_id, person_id, candidate_id, \
                 candidate_referral_id, probability, explanation, model_version, state, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(new_id())
            .bind(&a.id)
            .bind(&a.person_id)
            .bind(&b.person_id)
            .bind(&b.id)
            .bind(*p)
            .bind(*explanation)
            .bind(r.version)
            .bind(MATCH_POSSIBLE)
            .bind(&at)
            .execute(tx.conn())
            .await?;
        }
        report.proposed = proposals.len();
    }
    // Every referral's record of the person was read, proposing or not.
    audit::append(
        &mut tx,
        &audit::event(
            None,
            if dry_run {
                AuditAction::Read
            } else {
                AuditAction::Create
            },
            "person match",
            None,
            format!(
                "people stored twice: {} referrals' records compared, {} possible matches proposed",
                rows.len(),
                report.proposed
            ),
        ),
    )
    .await?;
    tx.commit().await?;

    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
