//! The Victims' Code rights recorded on a case: which were explained or offered, when, by whom.

use super::*;
use crate::db::new_id;
use harbour_domain::victims_code::{RIGHTS, RightAction, right};

/// One right and what was last recorded about it on the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightRecord {
    pub number: u8,
    pub label: &'static str,
    /// The latest record (explained or offered, the day, by whom), if any.
    pub latest: Option<(RightAction, NaiveDate, String)>,
}

#[derive(sqlx::FromRow)]
struct RightRow {
    right_number: i64,
    action: String,
    on_day: String,
    by_name: Option<String>,
}

impl ScopedStore {
    /// The twelve rights, each with its latest record on the case.
    pub(super) async fn rights_in(
        &self,
        tx: &mut WriteTx,
        case: &CaseId,
    ) -> Result<Vec<RightRecord>> {
        let rows: Vec<RightRow> = sqlx::query_as(
            "SELECT r.right_number, r.action, r.on_day, u.display_name AS by_name \
             FROM case_rights r LEFT JOIN users u ON u.id = r.by_user WHERE r.case_id = $1 \
             ORDER BY r.on_day, r.recorded_at, r.id",
        )
        .bind(case)
        .fetch_all(tx.conn())
        .await?;
        let mut records: Vec<RightRecord> = (1u8..=12)
            .map(|n| RightRecord {
                number: n,
                label: RIGHTS[usize::from(n - 1)],
                latest: None,
            })
            .collect();
        for r in rows {
            let Some(slot) = usize::try_from(r.right_number - 1)
                .ok()
                .and_then(|i| records.get_mut(i))
            else {
                continue;
            };
            let action = RightAction::from_slug(&r.action)
                .ok_or_else(|| StorageError::Corrupt(format!("right action {:?}", r.action)))?;
            let day = r
                .on_day
                .parse()
                .map_err(|e: chrono::ParseError| StorageError::Corrupt(e.to_string()))?;
            slot.latest = Some((action, day, r.by_name.unwrap_or_else(|| "Harbour".into())));
        }
        Ok(records)
    }

    /// Records that the rights numbered `numbers` (1 to 12) were explained or offered today.
    pub async fn record_rights(
        &self,
        case: &CaseId,
        numbers: &[String],
        action: &str,
    ) -> Result<()> {
        self.grant(Action::WorkCases)?;
        let mut errors = harbour_domain::validation::FieldErrors::new();
        let action = RightAction::from_slug(action);
        if action.is_none() {
            errors.add(
                "rights_action",
                "Choose whether the rights were explained or offered",
            );
        }
        let parsed: Vec<u8> = numbers
            .iter()
            .filter_map(|n| n.parse::<u8>().ok().filter(|n| right(*n).is_some()))
            .collect();
        if parsed.is_empty() || parsed.len() != numbers.len() {
            errors.add("rights", "Choose the rights you explained or offered");
        }
        let Some(action) = action.filter(|_| errors.is_empty()) else {
            return Err(StorageError::Invalid(errors));
        };
        let mut tx = self.db().begin_write().await?;
        self.case_in(&mut tx, case).await?;
        let at = now();
        let today = uk_date(Utc::now()).to_string();
        for n in &parsed {
            sqlx::query(
                "INSERT INTO case_rights (id, case_id, right_number, action, on_day, by_user, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(new_id())
            .bind(case)
            .bind(i64::from(*n))
            .bind(action.slug())
            .bind(&today)
            .bind(self.actor().user_id.as_ref())
            .bind(&at)
            .execute(tx.conn())
            .await?;
        }
        let detail = format!(
            "{} {} of the Victims' Code rights",
            action.label(),
            parsed.len()
        );
        record_event(&mut tx, case, "rights", Some(&detail), self, &at).await?;
        self.audit(
            &mut tx,
            AuditAction::Change,
            "case",
            Some(case.as_str()),
            "record Victims' Code rights",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
