//! A case's support plan: goals in the person's words tied to categories of need, the actions
//! towards each (what, who, by when, done), and progress. Reviewed with the case; a closed
//! case's plan is kept as it was.

use super::*;
use crate::db::new_id;
use harbour_domain::ids::{GoalActionId, GoalId};
use harbour_domain::needs::NeedCategory;
use harbour_domain::support_plan::{
    MAX_ACTION_CHARS, Progress, check_action, check_goal, needs_from_text, needs_to_text,
};

/// An action towards a goal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalAction {
    pub id: GoalActionId,
    pub what: String,
    pub who: String,
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
    /// Not done, and the day it was due has passed.
    pub overdue: bool,
}

/// A goal with its actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goal {
    pub id: GoalId,
    pub words: String,
    pub needs: Vec<NeedCategory>,
    pub progress: Progress,
    pub progress_note: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub actions: Vec<GoalAction>,
}

/// A case's support plan.
#[derive(Debug, Clone)]
pub struct SupportPlan {
    pub case: CaseSummary,
    pub goals: Vec<Goal>,
}

/// A change of a goal's progress, as the form gives it.
#[derive(Debug, Clone, Default)]
pub struct ProgressInput {
    pub progress: String,
    pub note: String,
    /// The version of the goal the form was showing.
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct GoalRow {
    id: GoalId,
    goal: String,
    needs: String,
    progress: String,
    progress_note: Option<String>,
    version: i64,
    created_at: Stamp,
    updated_at: Stamp,
    updated_by: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ActionRow {
    id: GoalActionId,
    goal_id: GoalId,
    action: String,
    who: String,
    due_on: String,
    done_on: Option<String>,
}

fn parse_day(s: &str) -> Result<NaiveDate> {
    s.parse()
        .map_err(|e: chrono::ParseError| StorageError::Corrupt(e.to_string()))
}

/// Refuses changes to a closed case's plan.
fn still_open(case: &CaseSummary, field: &str) -> Result<()> {
    if case.status == CaseStatus::Closed {
        return Err(StorageError::invalid(
            field,
            "The case is closed, so its plan is kept as it was: reopen the case to change it",
        ));
    }
    Ok(())
}

impl ScopedStore {
    /// The goals of a case's plan, oldest first, each with its actions in the order due.
    pub(super) async fn goals_in(&self, tx: &mut WriteTx, case: &CaseId) -> Result<Vec<Goal>> {
        let goals: Vec<GoalRow> = sqlx::query_as(
            "SELECT g.id, g.goal, g.needs, g.progress, g.progress_note, g.version, g.created_at, \
             g.updated_at, u.display_name AS updated_by FROM case_goals g \
             LEFT JOIN users u ON u.id = g.updated_by WHERE g.case_id = $1 \
             ORDER BY g.created_at, g.id",
        )
        .bind(case)
        .fetch_all(tx.conn())
        .await?;
        let actions: Vec<ActionRow> = sqlx::query_as(
            "SELECT id, goal_id, action, who, due_on, done_on FROM case_goal_actions \
             WHERE case_id = $1 ORDER BY due_on, created_at, id",
        )
        .bind(case)
        .fetch_all(tx.conn())
        .await?;
        let today = uk_date(Utc::now());
        let mut out = Vec::with_capacity(goals.len());
        for g in goals {
            let mut goal_actions = Vec::new();
            for a in actions.iter().filter(|a| a.goal_id == g.id) {
                let due_on = parse_day(&a.due_on)?;
                let done_on = a.done_on.as_deref().map(parse_day).transpose()?;
                goal_actions.push(GoalAction {
                    id: a.id.clone(),
                    what: a.action.clone(),
                    who: a.who.clone(),
                    due_on,
                    done_on,
                    overdue: done_on.is_none() && due_on < today,
                });
            }
            out.push(Goal {
                progress: Progress::from_slug(&g.progress)
                    .ok_or_else(|| StorageError::Corrupt(format!("progress {:?}", g.progress)))?,
                id: g.id,
                words: g.goal,
                needs: needs_from_text(&g.needs),
                progress_note: g.progress_note,
                version: g.version,
                created_at: g.created_at.0,
                updated_at: g.updated_at.0,
                updated_by: g.updated_by.unwrap_or_else(|| "Harbour".into()),
                actions: goal_actions,
            });
        }
        Ok(out)
    }

    /// A case's support plan.
    pub async fn support_plan(&self, case: &CaseId) -> Result<SupportPlan> {
        self.grant(Action::WorkCases)?;
        let mut tx = self.db().begin_write().await?;
        let summary = self.case_in(&mut tx, case).await?;
        let goals = self.goals_in(&mut tx, case).await?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "case",
            Some(case.as_str()),
            "view a support plan",
        )
        .await?;
        tx.commit().await?;
        Ok(SupportPlan {
            case: summary,
            goals,
        })
    }

    /// Adds a goal to the plan, in the person's words, about the needs chosen (slugs).
    pub async fn add_goal(&self, case: &CaseId, words: &str, needs: &[String]) -> Result<GoalId> {
        self.grant(Action::WorkCases)?;
        let goal = check_goal(words, needs).map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        let summary = self.case_in(&mut tx, case).await?;
        still_open(&summary, "goal")?;
        let id = GoalId::from(new_id());
        let at = now();
        let me = self.actor().user_id.as_ref();
        sqlx::query(
            "INSERT INTO case_goals (id, case_id, goal, needs, progress, version, created_at, \
             created_by, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $6, $7)",
        )
        .bind(&id)
        .bind(case)
        .bind(&goal.words)
        .bind(needs_to_text(&goal.needs))
        .bind(Progress::NotStarted.slug())
        .bind(&at)
        .bind(me)
        .execute(tx.conn())
        .await?;
        let detail = format!(
            "about {}",
            goal.needs
                .iter()
                .map(|n| n.label().to_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        );
        record_event(&mut tx, case, "goal_added", Some(&detail), self, &at).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "case",
            Some(case.as_str()),
            "add a goal",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records how far a goal has got, refusing a form that was showing an older version.
    pub async fn update_goal(
        &self,
        case: &CaseId,
        goal: &GoalId,
        input: &ProgressInput,
    ) -> Result<()> {
        self.grant(Action::WorkCases)?;
        let mut errors = FieldErrors::new();
        let progress = Progress::from_slug(&input.progress);
        if progress.is_none() {
            errors.add("progress", "Choose how far the goal has got");
        }
        let note = Some(input.note.trim().to_owned()).filter(|n| !n.is_empty());
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_ACTION_CHARS)
        {
            errors.add("progress_note", "Keep this to 1,000 characters or fewer");
        }
        let Some(progress) = progress.filter(|_| errors.is_empty()) else {
            return Err(StorageError::Invalid(errors));
        };
        let mut tx = self.db().begin_write().await?;
        let summary = self.case_in(&mut tx, case).await?;
        still_open(&summary, "progress")?;
        let at = now();
        let changed = sqlx::query(
            "UPDATE case_goals SET progress = $1, progress_note = $2, version = version + 1, \
             updated_at = $3, updated_by = $4 WHERE id = $5 AND case_id = $6 AND version = $7",
        )
        .bind(progress.slug())
        .bind(&note)
        .bind(&at)
        .bind(self.actor().user_id.as_ref())
        .bind(goal)
        .bind(case)
        .bind(input.version)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if changed == 0 {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT version FROM case_goals WHERE id = $1 AND case_id = $2")
                    .bind(goal)
                    .bind(case)
                    .fetch_optional(tx.conn())
                    .await?;
            return Err(match exists {
                None => StorageError::NotFound("goal"),
                Some(_) => StorageError::invalid(
                    "progress",
                    "Someone else updated this goal since you opened the plan: look at it again and record your update",
                ),
            });
        }
        let detail = match &note {
            Some(n) => format!("{}: {n}", progress.label()),
            None => progress.label().to_owned(),
        };
        record_event(&mut tx, case, "goal_progress", Some(&detail), self, &at).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "case",
            Some(case.as_str()),
            "update a goal",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds an action towards a goal: what, who does it, by when.
    pub async fn add_goal_action(
        &self,
        case: &CaseId,
        goal: &GoalId,
        what: &str,
        who: &str,
        by: &str,
    ) -> Result<GoalActionId> {
        self.grant(Action::WorkCases)?;
        let action =
            check_action(what, who, by, uk_date(Utc::now())).map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        let summary = self.case_in(&mut tx, case).await?;
        still_open(&summary, "action")?;
        let known: Option<String> =
            sqlx::query_scalar("SELECT id FROM case_goals WHERE id = $1 AND case_id = $2")
                .bind(goal)
                .bind(case)
                .fetch_optional(tx.conn())
                .await?;
        if known.is_none() {
            return Err(StorageError::NotFound("goal"));
        }
        let id = GoalActionId::from(new_id());
        let at = now();
        sqlx::query(
            "INSERT INTO case_goal_actions (id, goal_id, case_id, action, who, due_on, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(goal)
        .bind(case)
        .bind(&action.what)
        .bind(&action.who)
        .bind(action.by.to_string())
        .bind(&at)
        .bind(self.actor().user_id.as_ref())
        .execute(tx.conn())
        .await?;
        let detail = format!("for {}, by {}", action.who, action.by.format("%-d %B %Y"));
        record_event(&mut tx, case, "action_added", Some(&detail), self, &at).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "case",
            Some(case.as_str()),
            "add an action",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Marks an action done today.
    pub async fn goal_action_done(&self, case: &CaseId, action: &GoalActionId) -> Result<()> {
        self.grant(Action::WorkCases)?;
        let mut tx = self.db().begin_write().await?;
        let summary = self.case_in(&mut tx, case).await?;
        still_open(&summary, "action")?;
        let at = now();
        let changed = sqlx::query(
            "UPDATE case_goal_actions SET done_on = $1, done_by = $2 \
             WHERE id = $3 AND case_id = $4 AND done_on IS NULL",
        )
        .bind(uk_date(Utc::now()).to_string())
        .bind(self.actor().user_id.as_ref())
        .bind(action)
        .bind(case)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if changed == 0 {
            let exists: Option<String> = sqlx::query_scalar(
                "SELECT id FROM case_goal_actions WHERE id = $1 AND case_id = $2",
            )
            .bind(action)
            .bind(case)
            .fetch_optional(tx.conn())
            .await?;
            // Done already: nothing to do, and saying so twice is no error.
            return match exists {
                None => Err(StorageError::NotFound("action")),
                Some(_) => Ok(()),
            };
        }
        record_event(&mut tx, case, "action_done", None, self, &at).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "case",
            Some(case.as_str()),
            "complete an action",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
