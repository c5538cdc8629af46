//! Risk over time: the risk instrument completed again during a case (at a review, or when
//! something changes), the case's level kept current, and every change of level with who decided.

use super::*;
use crate::db::new_id;
use crate::triage::active_instrument;
use harbour_domain::instrument::Instrument;
use std::collections::BTreeMap;

/// One completion of the instrument on the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskReview {
    pub score: i64,
    pub scored_level: RiskLevel,
    pub level: RiskLevel,
    /// The case's level before this one decided it (none when it had none).
    pub previous: Option<RiskLevel>,
    pub judgement_reason: Option<String>,
    pub instrument: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A case's risk: the level the hub's triage gave when it was referred, then each reassessment.
#[derive(Debug, Clone)]
pub struct RiskHistory {
    pub case: CaseSummary,
    /// The triage score and level the referral arrived with, and when the hub decided it.
    pub at_referral: Option<(Option<i64>, RiskLevel, DateTime<Utc>)>,
    /// Oldest first.
    pub reviews: Vec<RiskReview>,
    /// The instrument a reassessment uses now.
    pub instrument: Instrument,
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    score: i64,
    scored_level: String,
    risk_level: String,
    previous_level: Option<String>,
    judgement_reason: Option<crate::sealed::Opened>,
    instrument_id: String,
    instrument_version: i64,
    by_name: Option<String>,
    assessed_at: Stamp,
}

fn level(slug: &str) -> Result<RiskLevel> {
    RiskLevel::from_slug(slug).ok_or_else(|| StorageError::Corrupt(format!("risk level {slug:?}")))
}

impl ScopedStore {
    /// The case's risk history, with the instrument a reassessment would use.
    pub async fn risk_history(&self, case: &CaseId) -> Result<RiskHistory> {
        self.grant(Action::WorkCases)?;
        let instrument = active_instrument(self.db()).await?;
        let mut tx = self.db().begin_write().await?;
        let summary = self.case_in(&mut tx, case).await?;
        let triage: Option<(Option<i64>, String, Stamp)> = sqlx::query_as(
            "SELECT risk_score, risk_level, decided_at FROM triage_decisions \
             WHERE referral_id = $1 ORDER BY decided_at DESC, id DESC LIMIT 1",
        )
        .bind(&summary.referral_id)
        .fetch_optional(tx.conn())
        .await?;
        let rows: Vec<ReviewRow> = sqlx::query_as(
            "SELECT r.score, r.scored_level, r.risk_level, r.previous_level, r.judgement_reason, \
             r.instrument_id, r.instrument_version, u.display_name AS by_name, r.assessed_at \
             FROM case_risk_assessments r LEFT JOIN users u ON u.id = r.by_user \
             WHERE r.case_id = $1 ORDER BY r.assessed_at, r.id",
        )
        .bind(case)
        .fetch_all(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "case",
            Some(case.as_str()),
            "view a case's risk history",
        )
        .await?;
        tx.commit().await?;
        let at_referral = triage
            .map(|(score, l, at)| Ok::<_, StorageError>((score, level(&l)?, at.0)))
            .transpose()?;
        let mut reviews = Vec::with_capacity(rows.len());
        for r in rows {
            reviews.push(RiskReview {
                score: r.score,
                scored_level: level(&r.scored_level)?,
                level: level(&r.risk_level)?,
                previous: r.previous_level.as_deref().map(level).transpose()?,
                judgement_reason: r.judgement_reason.map(String::from),
                instrument: if r.instrument_id == instrument.id {
                    format!("{} (version {})", instrument.title, r.instrument_version)
                } else {
                    format!("{} version {}", r.instrument_id, r.instrument_version)
                },
                by: r.by_name.unwrap_or_else(|| "Harbour".into()),
                at: r.assessed_at.0,
            });
        }
        Ok(RiskHistory {
            case: summary,
            at_referral,
            reviews,
            instrument,
        })
    }

    /// Completes the risk instrument again on an open or paused case: the answers as typed
    /// (item id to answer slug) and any professional judgement. The case takes the level decided.
    pub async fn reassess_risk(
        &self,
        case: &CaseId,
        answers: &BTreeMap<String, String>,
        judgement_level: &str,
        judgement_reason: &str,
    ) -> Result<RiskLevel> {
        self.grant(Action::WorkCases)?;
        let instrument = active_instrument(self.db()).await?;
        let outcome = instrument
            .score_typed(answers, judgement_level, judgement_reason)
            .map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        let summary = self.case_in(&mut tx, case).await?;
        if summary.status == CaseStatus::Closed {
            return Err(StorageError::invalid(
                "risk",
                "The case is closed: reopen it to reassess the risk",
            ));
        }
        let at = now();
        sqlx::query(
            "INSERT INTO case_risk_assessments (id, case_id, instrument_id, instrument_version, \
             answers, score, scored_level, risk_level, judgement_reason, previous_level, by_user, \
             assessed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(new_id())
        .bind(case)
        .bind(&instrument.id)
        .bind(i64::from(instrument.version))
        .bind(
            tx.keyring()?
                .seal_json(crate::sealed::RISK_ASSESSMENT_ANSWERS, &outcome.answers)?,
        )
        .bind(i64::from(outcome.score))
        .bind(outcome.scored_level.slug())
        .bind(outcome.level.slug())
        .bind(tx.keyring()?.seal_opt(
            crate::sealed::RISK_ASSESSMENT_JUDGEMENT,
            outcome.judgement_reason.as_deref(),
        )?)
        .bind(summary.risk_level.map(|l| l.slug()))
        .bind(self.actor().user_id.as_ref())
        .bind(&at)
        .execute(tx.conn())
        .await?;
        sqlx::query("UPDATE cases SET risk_level = $1, updated_at = $2 WHERE id = $3")
            .bind(outcome.level.slug())
            .bind(&at)
            .bind(case)
            .execute(tx.conn())
            .await?;
        let detail = match summary.risk_level {
            Some(before) if before != outcome.level => format!(
                "score {}: {} (was {})",
                outcome.score,
                outcome.level.label().to_lowercase(),
                before.label().to_lowercase()
            ),
            _ => format!(
                "score {}: {}, unchanged",
                outcome.score,
                outcome.level.label().to_lowercase()
            ),
        };
        record_event(&mut tx, case, "risk_reassessed", Some(&detail), self, &at).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "case",
            Some(case.as_str()),
            "reassess a case's risk",
        )
        .await?;
        tx.commit().await?;
        Ok(outcome.level)
    }
}
