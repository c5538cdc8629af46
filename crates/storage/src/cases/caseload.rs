//! Caseloads: a caseworker's own cases, or (for a manager) the agency's, with filters, the next
//! review first.

use super::*;

/// Whose cases a caseload lists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Whose {
    /// The actor's own.
    #[default]
    Mine,
    /// Every case in the agency (managers).
    Everyone,
    /// Cases no one has been allocated (managers).
    Unallocated,
    /// One member of staff's (managers).
    Of(UserId),
}

/// What a caseload shows.
#[derive(Debug, Clone, Default)]
pub struct CaseloadFilter {
    pub whose: Whose,
    /// Open and paused when not given.
    pub status: Option<CaseStatus>,
    pub risk: Option<RiskLevel>,
    /// Only cases whose review is overdue (or due within a week, when `due_soon`).
    pub review_overdue: bool,
    pub review_due_soon: bool,
}

/// The most cases one page of a caseload lists.
pub const PAGE: i64 = 200;

/// The most cases a caseload counts exactly; past it, the page says "more than 10,000".
pub const COUNT_UP_TO: i64 = 10_000;

/// A caseload: the cases on this page, and how many match in all (up to one more than
/// [`COUNT_UP_TO`]).
#[derive(Debug, Clone)]
pub struct Caseload {
    pub cases: Vec<CaseSummary>,
    pub total: i64,
}

/// Counts for a home page.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaseCounts {
    pub mine_open: i64,
    pub mine_review_overdue: i64,
    pub agency_unallocated: i64,
    pub agency_review_overdue: i64,
}

impl ScopedStore {
    /// A caseload as `filter` asks. Only a manager may ask for anyone's but their own.
    pub async fn caseload(&self, filter: &CaseloadFilter) -> Result<Caseload> {
        self.grant(Action::WorkCases)?;
        if filter.whose != Whose::Mine {
            self.grant(Action::ViewAgencyCaseload)?;
        }
        let today = uk_date(Utc::now());
        let mut conditions = vec!["c.agency_id = $1".to_owned()];
        let mut binds: Vec<String> = vec![self.actor().agency_id.to_string()];
        let mut bind = |value: String, conditions: &mut Vec<String>, sql: &str| {
            binds.push(value);
            conditions.push(sql.replace('?', &format!("${}", binds.len())));
        };
        match &filter.whose {
            Whose::Mine => bind(
                self.actor()
                    .user_id
                    .as_ref()
                    .map(|u| u.to_string())
                    .unwrap_or_default(),
                &mut conditions,
                "c.caseworker_id = ?",
            ),
            Whose::Everyone => {}
            Whose::Unallocated => conditions.push("c.caseworker_id IS NULL".into()),
            Whose::Of(u) => bind(u.to_string(), &mut conditions, "c.caseworker_id = ?"),
        }
        match filter.status {
            Some(s) => bind(s.slug().into(), &mut conditions, "c.status = ?"),
            None => conditions.push("c.status IN ('open', 'paused')".into()),
        }
        if let Some(r) = filter.risk {
            bind(r.slug().into(), &mut conditions, "c.risk_level = ?");
        }
        if filter.review_overdue || filter.review_due_soon {
            let until = if filter.review_due_soon {
                today + chrono::Days::new(7)
            } else {
                today.pred_opt().unwrap_or(today)
            };
            conditions.push("c.status = 'open'".into());
            bind(until.to_string(), &mut conditions, "c.next_review_on <= ?");
        }
        let wher = conditions.join(" AND ");
        let mut tx = self.db().begin_write().await?;
        // Counted up to one more than COUNT_UP_TO: beyond that the page says "more than".
        let count_sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM cases c WHERE {wher} LIMIT {}) AS n",
            COUNT_UP_TO + 1
        );
        let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
        for b in &binds {
            count = count.bind(b);
        }
        let total = count.fetch_one(tx.conn()).await?;
        let sql =
            format!("{SUMMARY_SELECT} WHERE {wher} ORDER BY c.next_review_on, c.id LIMIT {PAGE}");
        let mut q = sqlx::query_as::<_, SummaryRow>(&sql);
        for b in &binds {
            q = q.bind(b);
        }
        let cases = q
            .fetch_all(tx.conn())
            .await?
            .into_iter()
            .map(|r| r.into_summary(today))
            .collect::<Result<Vec<_>>>()?;
        self.audit(
            &mut tx,
            AuditAction::Read,
            "case",
            None,
            &format!("view a caseload ({} cases)", cases.len()),
        )
        .await?;
        tx.commit().await?;
        Ok(Caseload { cases, total })
    }

    /// How many cases wait on the actor, and (for a manager) on the agency: counts only, for the
    /// home page.
    pub async fn case_counts(&self) -> Result<CaseCounts> {
        self.grant(Action::WorkCases)?;
        let yesterday = uk_date(Utc::now())
            .pred_opt()
            .unwrap_or_default()
            .to_string();
        let agency = self.actor().agency_id.to_string();
        let me = self
            .actor()
            .user_id
            .as_ref()
            .map(|u| u.to_string())
            .unwrap_or_default();
        let (mine_open, mine_review_overdue): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(CASE WHEN status = 'open' AND next_review_on <= $3 THEN 1 END) FROM cases \
             WHERE agency_id = $1 AND caseworker_id = $2 AND status IN ('open', 'paused')",
        )
        .bind(&agency)
        .bind(&me)
        .bind(&yesterday)
        .fetch_one(self.db().pool())
        .await?;
        let mut counts = CaseCounts {
            mine_open,
            mine_review_overdue,
            ..CaseCounts::default()
        };
        if self.may(Action::ManageCases) {
            let (unallocated, overdue): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(CASE WHEN caseworker_id IS NULL THEN 1 END), \
                 COUNT(CASE WHEN status = 'open' AND next_review_on <= $2 THEN 1 END) \
                 FROM cases WHERE agency_id = $1 AND status IN ('open', 'paused')",
            )
            .bind(&agency)
            .bind(&yesterday)
            .fetch_one(self.db().pool())
            .await?;
            counts.agency_unallocated = unallocated;
            counts.agency_review_overdue = overdue;
        }
        Ok(counts)
    }
}
