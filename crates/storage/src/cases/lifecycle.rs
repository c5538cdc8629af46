//! A case's life after it opens: reviews at the intervals its tier sets, pausing and resuming,
//! closing with a reason and the two outcome questions, and reopening within the period allowed.

use super::*;
use crate::onward::CaseChange;
use harbour_domain::calendar::WorkingDays;
use harbour_domain::case::{
    Change, NO_CONTACT_ATTEMPTS, REOPEN_WITHIN_DAYS, REVIEW_RULES, change, may_reopen, next_review,
};
use harbour_domain::validation::FieldErrors;

/// A change of status as the form gives it.
#[derive(Debug, Clone, Default)]
pub struct ChangeInput {
    /// `pause`, `resume`, `close` or `reopen`.
    pub change: String,
    /// Why: free text to pause or reopen; a closure reason's slug to close.
    pub reason: String,
    pub note: String,
    /// At closure, the answers to the two outcome questions (slugs).
    pub cope: String,
    pub recover: String,
}

/// The longest reason or closing note kept.
const MAX_REASON_CHARS: usize = 2_000;

struct Checked {
    change: Change,
    reason: Option<String>,
    note: Option<String>,
    closure: Option<(ClosureReason, OutcomeAnswer, OutcomeAnswer)>,
}

fn check(input: &ChangeInput) -> std::result::Result<Checked, FieldErrors> {
    let mut errors = FieldErrors::new();
    let change = match input.change.as_str() {
        "pause" => Change::Pause,
        "resume" => Change::Resume,
        "close" => Change::Close,
        "reopen" => Change::Reopen,
        _ => {
            errors.add("change", "Choose what to do with the case");
            return Err(errors);
        }
    };
    let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let reason = text(&input.reason);
    let note = text(&input.note);
    for (field, value) in [("reason", &reason), ("note", &note)] {
        if value
            .as_ref()
            .is_some_and(|v| v.chars().count() > MAX_REASON_CHARS)
        {
            errors.add(field, "Keep this to 2,000 characters or fewer");
        }
    }
    let mut closure = None;
    match change {
        Change::Pause if reason.is_none() => {
            errors.add("reason", "Say why support is paused");
        }
        Change::Reopen if reason.is_none() => {
            errors.add("reason", "Say why the case is reopened");
        }
        Change::Close => {
            let why = ClosureReason::from_slug(&input.reason);
            if why.is_none() {
                errors.add("reason", "Choose why the case is closing");
            }
            if why == Some(ClosureReason::Other) && note.is_none() {
                errors.add("note", "Say how support ended");
            }
            let cope = OutcomeAnswer::from_slug(&input.cope);
            if cope.is_none() {
                errors.add(
                    "cope",
                    "Answer whether the person feels better able to cope",
                );
            }
            let recover = OutcomeAnswer::from_slug(&input.recover);
            if recover.is_none() {
                errors.add(
                    "recover",
                    "Answer whether the person feels on the way to recovering",
                );
            }
            if let (Some(w), Some(c), Some(r)) = (why, cope, recover) {
                closure = Some((w, c, r));
            }
        }
        _ => {}
    }
    if errors.is_empty() {
        Ok(Checked {
            change,
            reason,
            note,
            closure,
        })
    } else {
        Err(errors)
    }
}

impl ScopedStore {
    /// Pauses, resumes, closes or reopens a case of the actor's agency.
    pub async fn change_case(&self, id: &CaseId, input: &ChangeInput) -> Result<CaseStatus> {
        self.grant(Action::WorkCases)?;
        let checked = check(input).map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        let case = self.case_in(&mut tx, id).await?;
        let to =
            change(case.status, checked.change).map_err(|e| StorageError::invalid("change", e))?;
        let at = now();
        let today = uk_date(Utc::now());
        if checked.change == Change::Reopen
            && !case
                .closed_at
                .is_some_and(|closed| may_reopen(uk_date(closed), today))
        {
            return Err(StorageError::invalid(
                "change",
                &format!(
                    "A case can be reopened only within {REOPEN_WITHIN_DAYS} days of closing: refer the person again instead"
                ),
            ));
        }
        // No contact means the safe attempts allowed were made first, since she was last reached.
        if let Some((ClosureReason::NoContact, _, _)) = checked.closure {
            let since = case
                .last_contact_at
                .map(crate::db::format_time)
                .unwrap_or_default();
            let attempts: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM contact_attempts WHERE onward_referral_id = $1 \
                 AND agency_id = $2 AND made_at > $3",
            )
            .bind(case.onward_id.as_ref())
            .bind(&self.actor().agency_id)
            .bind(&since)
            .fetch_one(tx.conn())
            .await?;
            if attempts < NO_CONTACT_ATTEMPTS {
                return Err(StorageError::invalid(
                    "reason",
                    &format!(
                        "Log at least {NO_CONTACT_ATTEMPTS} attempts to reach them safely before closing for no contact ({attempts} since they were last reached)"
                    ),
                ));
            }
        }
        // A case open again (resumed or reopened) is next reviewed an interval from today.
        let review = matches!(checked.change, Change::Resume | Change::Reopen).then(|| {
            next_review(
                &REVIEW_RULES,
                case.tier,
                today,
                &WorkingDays::england_and_wales(),
            )
            .to_string()
        });
        let changed = match checked.closure {
            Some((why, cope, recover)) => {
                sqlx::query(
                    "UPDATE cases SET status = $1, closed_at = $2, closure_reason = $3, \
                     closure_note = $4, cope = $5, recover = $6, next_review_on = NULL, updated_at = $2 \
                     WHERE id = $7 AND status = $8",
                )
                .bind(to.slug())
                .bind(&at)
                .bind(why.slug())
                .bind(
                    tx.keyring()?
                        .seal_opt(crate::sealed::CASE_CLOSURE_NOTE, checked.note.as_deref())?,
                )
                .bind(cope.slug())
                .bind(recover.slug())
                .bind(id)
                .bind(case.status.slug())
                .execute(tx.conn())
                .await?
            }
            None => {
                sqlx::query(
                    "UPDATE cases SET status = $1, next_review_on = COALESCE($2, next_review_on), \
                     closed_at = CASE WHEN $1 = 'open' THEN NULL ELSE closed_at END, updated_at = $3 \
                     WHERE id = $4 AND status = $5",
                )
                .bind(to.slug())
                .bind(&review)
                .bind(&at)
                .bind(id)
                .bind(case.status.slug())
                .execute(tx.conn())
                .await?
            }
        }
        .rows_affected();
        if changed == 0 {
            return Err(StorageError::invalid(
                "change",
                "Someone else changed this case at the same moment; look at it again",
            ));
        }
        let (what, detail) = match (checked.change, checked.closure) {
            (Change::Close, Some((why, _, _))) => (
                "closed",
                Some(match &checked.note {
                    Some(n) => format!("{}. {n}", why.label()),
                    None => why.label().to_owned(),
                }),
            ),
            (Change::Pause, _) => ("paused", checked.reason),
            (Change::Reopen, _) => ("reopened", checked.reason),
            _ => ("resumed", checked.note),
        };
        // The onward referral the case came from follows it, so the sender hears how it ended.
        if let Some(onward) = &case.onward_id {
            let follow = match (checked.change, checked.closure) {
                (Change::Close, Some((why, _, _))) => Some(CaseChange::Closed {
                    outcome: why.onward_outcome(),
                    note: format!("The service's case closed: {}", why.label().to_lowercase()),
                }),
                (Change::Reopen, _) => Some(CaseChange::Reopened),
                _ => None,
            };
            if let Some(follow) = follow {
                self.follow_case(&mut tx, onward, follow, &at).await?;
            }
        }
        record_event(&mut tx, id, what, detail.as_deref(), self, &at).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "case",
            Some(id.as_str()),
            &format!("case {what}"),
        )
        .await?;
        crate::reports::facts::touch(&mut tx, case.referral_id.as_str()).await?;
        tx.commit().await?;
        Ok(to)
    }

    /// Records that an open case was reviewed today (with what was decided), and sets the next
    /// review an interval on.
    pub async fn review_case(&self, id: &CaseId, note: &str) -> Result<NaiveDate> {
        self.grant(Action::WorkCases)?;
        let note = note.trim();
        if note.is_empty() {
            return Err(StorageError::invalid(
                "review",
                "Say what the review found and what happens next",
            ));
        }
        if note.chars().count() > MAX_REASON_CHARS {
            return Err(StorageError::invalid(
                "review",
                "Keep this to 2,000 characters or fewer",
            ));
        }
        let mut tx = self.db().begin_write().await?;
        let case = self.case_in(&mut tx, id).await?;
        if case.status != CaseStatus::Open {
            return Err(StorageError::invalid(
                "review",
                "Only an open case is reviewed: resume or reopen it first",
            ));
        }
        let today = uk_date(Utc::now());
        let next = next_review(
            &REVIEW_RULES,
            case.tier,
            today,
            &WorkingDays::england_and_wales(),
        );
        let at = now();
        sqlx::query(
            "UPDATE cases SET last_reviewed_on = $1, next_review_on = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(today.to_string())
        .bind(next.to_string())
        .bind(&at)
        .bind(id)
        .execute(tx.conn())
        .await?;
        record_event(&mut tx, id, "reviewed", Some(note), self, &at).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "case",
            Some(id.as_str()),
            "review a case",
        )
        .await?;
        tx.commit().await?;
        Ok(next)
    }
}
