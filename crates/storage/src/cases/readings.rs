//! Outcome readings on a case, with the tool they were taken with: the start, reviews, exit.

use super::*;
use crate::db::{Db, new_id};
use crate::definitions::{self, Kind};
use harbour_domain::outcome::{OutcomeTool, ReadingKind};
use std::collections::BTreeMap;

/// The tool new readings use: the newest loaded and active, or the shipped demonstration one.
pub async fn active_outcome_tool(db: &Db) -> Result<OutcomeTool> {
    match definitions::active(db, Kind::OutcomeTool).await? {
        Some(text) => OutcomeTool::from_toml(&text).map_err(|e| StorageError::Corrupt(e.0)),
        None => Ok(OutcomeTool::demo()),
    }
}

/// The tool and version a reading was taken with.
async fn tool_version(db: &Db, id: &str, version: i64) -> Result<OutcomeTool> {
    let demo = OutcomeTool::demo();
    if demo.id == id && i64::from(demo.version) == version {
        return Ok(demo);
    }
    let text = definitions::version(db, Kind::OutcomeTool, id, version)
        .await?
        .ok_or(StorageError::Corrupt(format!(
            "outcome tool {id} version {version} is not loaded"
        )))?;
    OutcomeTool::from_toml(&text).map_err(|e| StorageError::Corrupt(e.0))
}

/// Loads an outcome tool and makes it the one new readings use. Readings already taken keep
/// the tool and version they were taken with.
pub async fn import_outcome_tool(db: &Db, text: &str) -> Result<OutcomeTool> {
    let tool = OutcomeTool::from_toml(text).map_err(|e| StorageError::invalid("file", &e.0))?;
    definitions::load(
        db,
        Kind::OutcomeTool,
        &tool.id,
        tool.version,
        &tool.title,
        text,
    )
    .await?;
    Ok(tool)
}

/// A reading as the case shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub kind: ReadingKind,
    pub tool_id: String,
    pub tool_version: i64,
    pub scores: BTreeMap<String, u8>,
    pub taken_on: NaiveDate,
    pub by: String,
}

#[derive(sqlx::FromRow)]
struct ReadingRow {
    kind: String,
    tool_id: String,
    tool_version: i64,
    scores: String,
    taken_on: String,
    by_name: Option<String>,
}

/// A case's readings, oldest first, and the tool the first was taken with (distance travelled
/// compares readings with that tool; a later tool's readings are listed but not compared).
#[derive(Debug, Clone)]
pub struct Readings {
    pub tool: OutcomeTool,
    pub readings: Vec<Reading>,
}

impl Readings {
    /// The first and latest readings taken with the tool, when there are two.
    pub fn first_and_latest(&self) -> Option<(&Reading, &Reading)> {
        let same: Vec<&Reading> = self
            .readings
            .iter()
            .filter(|r| r.tool_id == self.tool.id && r.tool_version == i64::from(self.tool.version))
            .collect();
        match (same.first(), same.last()) {
            (Some(a), Some(b)) if same.len() > 1 => Some((a, b)),
            _ => None,
        }
    }
}

impl ScopedStore {
    /// The case's outcome readings (the case must be the actor's agency's), compared on the tool
    /// of the first, or `tool_now` when there is none yet.
    pub(super) async fn readings_in(
        &self,
        tx: &mut WriteTx,
        case: &CaseId,
        tool_now: &OutcomeTool,
    ) -> Result<Readings> {
        let rows: Vec<ReadingRow> = sqlx::query_as(
            "SELECT r.kind, r.tool_id, r.tool_version, r.scores, r.taken_on, \
             u.display_name AS by_name FROM case_readings r LEFT JOIN users u ON u.id = r.by_user \
             WHERE r.case_id = $1 ORDER BY r.taken_on, r.recorded_at, r.id",
        )
        .bind(case)
        .fetch_all(tx.conn())
        .await?;
        let readings = rows
            .into_iter()
            .map(|r| {
                Ok(Reading {
                    kind: ReadingKind::from_slug(&r.kind)
                        .ok_or_else(|| StorageError::Corrupt(format!("reading {:?}", r.kind)))?,
                    tool_id: r.tool_id,
                    tool_version: r.tool_version,
                    scores: crate::referrals::from_json(&r.scores)?,
                    taken_on: r
                        .taken_on
                        .parse()
                        .map_err(|e: chrono::ParseError| StorageError::Corrupt(e.to_string()))?,
                    by: r.by_name.unwrap_or_else(|| "Harbour".into()),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let tool = match readings.first() {
            Some(r) => tool_version(self.db(), &r.tool_id, r.tool_version).await?,
            None => tool_now.clone(),
        };
        Ok(Readings { tool, readings })
    }

    /// Records a reading with the tool in use today: every area scored on its scale. Errors are
    /// keyed `kind` and `score/{area}`.
    pub async fn record_reading(
        &self,
        case: &CaseId,
        kind: &str,
        typed: &BTreeMap<String, String>,
    ) -> Result<()> {
        self.grant(Action::WorkCases)?;
        let tool = active_outcome_tool(self.db()).await?;
        let kind = ReadingKind::from_slug(kind);
        let scores = tool.check_reading(typed);
        let (kind, scores) = match (kind, scores) {
            (Some(k), Ok(s)) => (k, s),
            (k, s) => {
                let mut errors = s.err().unwrap_or_default();
                if k.is_none() {
                    errors.add("kind", "Choose when in the support this reading is");
                }
                return Err(StorageError::Invalid(errors));
            }
        };
        let mut tx = self.db().begin_write().await?;
        let summary = self.case_in(&mut tx, case).await?;
        if summary.status == CaseStatus::Closed && kind != ReadingKind::Exit {
            return Err(StorageError::invalid(
                "kind",
                "The case is closed: only a reading at the end of support can be added",
            ));
        }
        let at = now();
        sqlx::query(
            "INSERT INTO case_readings (id, case_id, tool_id, tool_version, kind, scores, taken_on, \
             by_user, agency_id, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(new_id())
        .bind(case)
        .bind(&tool.id)
        .bind(i64::from(tool.version))
        .bind(kind.slug())
        .bind(crate::db::to_json(&scores)?)
        .bind(uk_date(Utc::now()).to_string())
        .bind(self.actor().user_id.as_ref())
        .bind(&self.actor().agency_id)
        .bind(&at)
        .execute(tx.conn())
        .await?;
        record_event(&mut tx, case, "reading", Some(kind.label()), self, &at).await?;
        self.audit(
            &mut tx,
            AuditAction::Create,
            "case",
            Some(case.as_str()),
            "record an outcome reading",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
