//! A case's safety plan: its sections, kept version by version (a save against an older version
//! is refused, so nothing typed is silently overwritten), and the resources issued to the person.

use super::*;
use crate::bundle::{ResourceInput, ResourceRecord, check_resource, resources};
use harbour_domain::safety_plan::check_sections;
use std::collections::BTreeMap;

/// A safety plan as read.
#[derive(Debug, Clone)]
pub struct SafetyPlan {
    pub case: CaseSummary,
    /// Section id to what it says; sections not yet written are absent.
    pub sections: BTreeMap<String, String>,
    /// 0 before the plan is first saved.
    pub version: i64,
    /// When it was last saved, and by whom.
    pub updated: Option<(DateTime<Utc>, String)>,
    /// What the person has been given to keep them safe, newest first.
    pub resources: Vec<ResourceRecord>,
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    sections: String,
    version: i64,
    updated_at: Stamp,
    by_name: Option<String>,
}

impl ScopedStore {
    /// A case's safety plan. `printing` records that it was read to be printed.
    pub async fn safety_plan(&self, case: &CaseId, printing: bool) -> Result<SafetyPlan> {
        self.grant(Action::WorkCases)?;
        let mut tx = self.db().begin_write().await?;
        let summary = self.case_in(&mut tx, case).await?;
        let row: Option<PlanRow> = sqlx::query_as(
            "SELECT p.sections, p.version, p.updated_at, u.display_name AS by_name \
             FROM case_safety_plans p LEFT JOIN users u ON u.id = p.updated_by WHERE p.case_id = $1",
        )
        .bind(case)
        .fetch_optional(tx.conn())
        .await?;
        let resources = resources(&mut tx, &summary.person_id).await?;
        if printing {
            record_event(&mut tx, case, "safety_plan_printed", None, self, &now()).await?;
        }
        self.audit(
            &mut tx,
            AuditAction::Read,
            "case",
            Some(case.as_str()),
            if printing {
                "print a safety plan"
            } else {
                "view a safety plan"
            },
        )
        .await?;
        tx.commit().await?;
        let (sections, version, updated) = match row {
            Some(r) => (
                crate::referrals::from_json(&r.sections)?,
                r.version,
                Some((
                    r.updated_at.0,
                    r.by_name.unwrap_or_else(|| "Harbour".into()),
                )),
            ),
            None => (BTreeMap::new(), 0, None),
        };
        Ok(SafetyPlan {
            case: summary,
            sections,
            version,
            updated,
            resources,
        })
    }

    /// Saves the plan's sections over `version` (0 for a first save); every version is kept.
    pub async fn save_safety_plan(
        &self,
        case: &CaseId,
        version: i64,
        typed: &BTreeMap<String, String>,
    ) -> Result<i64> {
        self.grant(Action::WorkCases)?;
        let sections = check_sections(typed).map_err(StorageError::Invalid)?;
        let mut tx = self.db().begin_write().await?;
        let keyring = tx.keyring()?;
        let text = keyring.seal_json(crate::sealed::SAFETY_PLAN, &sections)?;
        let version_text = keyring.seal_json(crate::sealed::SAFETY_PLAN_VERSION, &sections)?;
        let summary = self.case_in(&mut tx, case).await?;
        if summary.status == CaseStatus::Closed {
            return Err(StorageError::invalid(
                "plan",
                "The case is closed, so its safety plan is kept as it was: reopen the case to change it",
            ));
        }
        let at = now();
        let me = self.actor().user_id.as_ref();
        let stale = || {
            StorageError::invalid(
                "plan",
                "Someone else saved this safety plan since you opened it. Your changes are below: \
                 look at the plan again and add them to it",
            )
        };
        if version == 0 {
            let inserted = sqlx::query(
                "INSERT INTO case_safety_plans (case_id, sections, version, updated_at, updated_by) \
                 VALUES ($1, $2, 1, $3, $4) ON CONFLICT (case_id) DO NOTHING",
            )
            .bind(case)
            .bind(&text)
            .bind(&at)
            .bind(me)
            .execute(tx.conn())
            .await?
            .rows_affected();
            if inserted == 0 {
                return Err(stale());
            }
        } else {
            let updated = sqlx::query(
                "UPDATE case_safety_plans SET sections = $1, version = version + 1, updated_at = $2, \
                 updated_by = $3 WHERE case_id = $4 AND version = $5",
            )
            .bind(&text)
            .bind(&at)
            .bind(me)
            .bind(case)
            .bind(version)
            .execute(tx.conn())
            .await?
            .rows_affected();
            if updated == 0 {
                return Err(stale());
            }
        }
        let new_version = version + 1;
        sqlx::query(
            "INSERT INTO case_safety_plan_versions (case_id, version, sections, written_by, written_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(case)
        .bind(new_version)
        .bind(&version_text)
        .bind(me)
        .bind(&at)
        .execute(tx.conn())
        .await?;
        let detail = format!("{} of 8 sections written", sections.len());
        record_event(&mut tx, case, "safety_plan", Some(&detail), self, &at).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "case",
            Some(case.as_str()),
            "save a safety plan",
        )
        .await?;
        tx.commit().await?;
        Ok(new_version)
    }

    /// Records a resource issued to the person under the case's safety plan.
    pub async fn issue_resource(&self, case: &CaseId, input: &ResourceInput) -> Result<()> {
        self.grant(Action::WorkCases)?;
        let checked = check_resource(input)?;
        let mut tx = self.db().begin_write().await?;
        let summary = self.case_in(&mut tx, case).await?;
        self.insert_resource(&mut tx, &summary.referral_id, &summary.person_id, &checked)
            .await?;
        record_event(
            &mut tx,
            case,
            "resource_issued",
            Some(checked.kind.label()),
            self,
            &now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
