//! The retention schedules in force: Harbour's defaults, each replaced where the data
//! protection officer changed it (a row in `retention_schedules`).

use crate::db::{Db, now};
use crate::error::{Result, StorageError};
use crate::scoped::ScopedStore;
use harbour_domain::audit::AuditAction;
use harbour_domain::permission::Action;
use harbour_domain::retention::{self, RecordKind, Schedule, Trigger};

/// A schedule as the officer's page shows it: in force, and who last changed it, if anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleEntry {
    pub schedule: Schedule,
    /// Who changed it from Harbour's default, and when; none while it is the default.
    pub changed: Option<(String, String)>,
    /// Harbour's default, to compare with.
    pub default_months: u32,
}

#[derive(sqlx::FromRow)]
struct ScheduleRow {
    kind: String,
    after_event: String,
    months: i64,
    until_age: Option<i64>,
    reason: String,
    changed_by_name: Option<String>,
    changed_at: String,
}

async fn read(db: &Db) -> Result<Vec<ScheduleEntry>> {
    let rows: Vec<ScheduleRow> = sqlx::query_as(
        "SELECT s.kind, s.after_event, s.months, s.until_age, s.reason, u.display_name AS changed_by_name, \
         s.changed_at FROM retention_schedules s LEFT JOIN users u ON u.id = s.changed_by",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(retention::defaults()
        .into_iter()
        .map(|default| {
            let default_months = default.months;
            match rows
                .iter()
                .find(|r| RecordKind::from_slug(&r.kind) == Some(default.kind))
            {
                Some(r) => ScheduleEntry {
                    schedule: Schedule {
                        kind: default.kind,
                        after: Trigger::from_slug(&r.after_event).unwrap_or(default.after),
                        months: u32::try_from(r.months).unwrap_or(default.months),
                        until_age: r.until_age.and_then(|a| u32::try_from(a).ok()),
                        reason: r.reason.clone(),
                    },
                    changed: Some((
                        r.changed_by_name.clone().unwrap_or_default(),
                        r.changed_at.clone(),
                    )),
                    default_months,
                },
                None => ScheduleEntry {
                    schedule: default,
                    changed: None,
                    default_months,
                },
            }
        })
        .collect())
}

/// The schedules in force, one per kind of record, in the order of [`RecordKind::ALL`].
pub async fn in_force(db: &Db) -> Result<Vec<Schedule>> {
    Ok(read(db).await?.into_iter().map(|e| e.schedule).collect())
}

impl ScopedStore {
    /// The schedules in force, with who changed each from the default.
    pub async fn retention_schedules(&self) -> Result<Vec<ScheduleEntry>> {
        self.grant(Action::ManageRetention)?;
        read(self.db()).await
    }

    /// Changes one kind's schedule: how many months, the age a child's record waits for, and
    /// the reason administrators see. The next night's run uses it.
    pub async fn change_retention_schedule(
        &self,
        kind: RecordKind,
        months: &str,
        until_age: &str,
        reason: &str,
    ) -> Result<()> {
        self.grant(Action::ManageRetention)?;
        let (months, until_age, reason) =
            retention::check(kind, months, until_age, reason).map_err(StorageError::Invalid)?;
        let after = retention::defaults()
            .into_iter()
            .find(|s| s.kind == kind)
            .map_or(Trigger::Closed, |s| s.after);
        let mut tx = self.db().begin_write().await?;
        sqlx::query("DELETE FROM retention_schedules WHERE kind = $1")
            .bind(kind.slug())
            .execute(tx.conn())
            .await?;
        sqlx::query(
            "INSERT INTO retention_schedules (kind, after_event, months, until_age, reason, changed_by, changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(kind.slug())
        .bind(after.slug())
        .bind(i64::from(months))
        .bind(until_age.map(i64::from))
        .bind(&reason)
        .bind(self.actor().user_id.as_ref())
        .bind(now())
        .execute(tx.conn())
        .await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "retention_schedule",
            Some(kind.slug()),
            "retention schedule changed",
        )
        .await?;
        tx.commit().await
    }
}
