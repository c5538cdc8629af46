//! The figures from the onward and case records: referrals on by service with their answers
//! and outcomes, consent, each deadline rule met or missed, and the outcomes of closed cases.
//! Filtered by the referral's area, source and crime through its facts.

use super::{Filter, Where};
use crate::db::format_time;
use crate::error::Result;
use crate::scoped::ScopedStore;
use chrono::{NaiveDate, Utc};
use harbour_domain::calendar::uk_day_start;
use harbour_domain::permission::Action;
use std::collections::BTreeMap;

/// The first instant of a UK date, as stored timestamps are written.
fn uk_start(d: NaiveDate) -> String {
    format_time(uk_day_start(d))
}

/// The period as stored timestamps: from its first instant, to before the day after it ends.
fn instants(from: NaiveDate, to: NaiveDate) -> (String, String) {
    (uk_start(from), uk_start(to.succ_opt().unwrap_or(to)))
}

/// The records whose timestamp `column` falls in the period, of referrals matching `filter`.
fn during(column: &str, from: NaiveDate, to: NaiveDate, filter: &Filter) -> Where {
    let (a, b) = instants(from, to);
    let mut w = Where::facts("f", None, filter);
    w.push(&format!("{column} >= "), a);
    w.push(&format!("{column} < "), b);
    w
}

/// The join to the facts a filter needs, on the referral `column` names; none without one, so
/// the partnership's whole is read from the records' own indexes.
fn facts_join(filter: &Filter, column: &str) -> String {
    if filter.is_empty() {
        String::new()
    } else {
        format!(" JOIN report_facts f ON f.referral_id = {column}")
    }
}

fn n(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// One service's referrals on sent in the period, by where each stands now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceRow {
    pub service: String,
    pub sent: u64,
    /// Sent or acknowledged, no answer yet.
    pub waiting: u64,
    /// Accepted, in service, or with an outcome.
    pub accepted: u64,
    pub declined: u64,
    pub rerouted: u64,
    pub withdrawn: u64,
    /// Declined, by reason (slug).
    pub declined_by: BTreeMap<String, u64>,
    /// Outcomes recorded (slug).
    pub outcomes: BTreeMap<String, u64>,
}

/// One deadline rule's milestone, over the referrals on sent in the period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadlineRow {
    pub rule: String,
    pub milestone: String,
    pub due: u64,
    pub met_in_time: u64,
    pub met_late: u64,
    /// Past due and not met.
    pub missed: u64,
    /// Not yet due.
    pub pending: u64,
}

/// Closed cases of one service and tier: the two outcome questions, and whether the risk
/// was lower at closure than when the case was referred.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutcomeRow {
    pub service: String,
    pub tier: Option<String>,
    pub closed: u64,
    pub cope_yes: u64,
    pub cope_no: u64,
    pub recover_yes: u64,
    pub recover_no: u64,
    /// Asked neither, or closed before it could be asked.
    pub not_asked: u64,
    pub risk_lower: u64,
    pub risk_known: u64,
}

/// Distance travelled in one area of the outcome tool, over the closed cases with two readings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DistanceRow {
    pub area: String,
    pub cases: u64,
    pub improved: u64,
    pub worse: u64,
    pub mean_change: f64,
}

#[derive(sqlx::FromRow)]
struct OnwardCount {
    service: String,
    state: String,
    decline_reason: Option<String>,
    outcome: Option<String>,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct DeadlineCount {
    rule_name: String,
    milestone: String,
    due: i64,
    met_in_time: i64,
    met_late: i64,
    missed: i64,
}

#[derive(sqlx::FromRow)]
struct CaseCount {
    service: Option<String>,
    tier: Option<String>,
    cope: Option<String>,
    recover: Option<String>,
    started: Option<String>,
    ended: Option<String>,
    n: i64,
}

fn rank(level: Option<&str>) -> Option<u8> {
    match level? {
        "standard" => Some(1),
        "medium" => Some(2),
        "high" => Some(3),
        _ => None,
    }
}

impl ScopedStore {
    /// Referrals on sent in the period, by service.
    pub async fn report_onward(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        filter: &Filter,
    ) -> Result<Vec<ServiceRow>> {
        self.grant(Action::ViewStatistics)?;
        let w = during("o.sent_at", from, to, filter);
        let sql = format!(
            "SELECT s.name AS service, o.state, o.decline_reason, o.outcome, COUNT(*) AS n \
             FROM onward_referrals o JOIN dir_services s ON s.id = o.service_id \
             {} WHERE {} \
             GROUP BY s.name, o.state, o.decline_reason, o.outcome",
            facts_join(filter, "o.referral_id"),
            w.sql
        );
        let rows: Vec<OnwardCount> = w
            .bind_all(sqlx::query_as(&sql))
            .fetch_all(self.db().pool())
            .await?;
        let mut by: BTreeMap<String, ServiceRow> = BTreeMap::new();
        for r in rows {
            let e = by.entry(r.service.clone()).or_insert_with(|| ServiceRow {
                service: r.service.clone(),
                ..ServiceRow::default()
            });
            let c = n(r.n);
            e.sent += c;
            match r.state.as_str() {
                "sent" | "acknowledged" => e.waiting += c,
                "declined" => {
                    e.declined += c;
                    *e.declined_by
                        .entry(r.decline_reason.unwrap_or_else(|| "other".into()))
                        .or_default() += c;
                }
                "rerouted" => e.rerouted += c,
                "withdrawn" => e.withdrawn += c,
                _ => e.accepted += c,
            }
            if let Some(o) = r.outcome {
                *e.outcomes.entry(o).or_default() += c;
            }
        }
        Ok(by.into_values().collect())
    }

    /// Consent decisions recorded in the period, partnership-wide: given, refused, and shared
    /// without consent on a legal basis.
    pub async fn report_consents(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<BTreeMap<String, u64>> {
        self.grant(Action::ViewStatistics)?;
        let (a, b) = instants(from, to);
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT decision, COUNT(*) FROM consents WHERE recorded_at >= $1 AND recorded_at < $2 GROUP BY decision",
        )
        .bind(a)
        .bind(b)
        .fetch_all(self.db().pool())
        .await?;
        Ok(rows.into_iter().map(|(d, c)| (d, n(c))).collect())
    }

    /// Each deadline rule's milestones over the referrals on sent in the period.
    pub async fn report_deadlines(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        filter: &Filter,
    ) -> Result<Vec<DeadlineRow>> {
        self.grant(Action::ViewStatistics)?;
        let now = format_time(Utc::now());
        let w = during("o.sent_at", from, to, filter);
        let at = w.binds_len() + 1;
        let sql = format!(
            "SELECT d.rule_name, d.milestone, COUNT(*) AS due, \
             COALESCE(SUM(CASE WHEN d.met_at IS NOT NULL AND d.met_at <= d.due_at THEN 1 ELSE 0 END), 0) AS met_in_time, \
             COALESCE(SUM(CASE WHEN d.met_at IS NOT NULL AND d.met_at > d.due_at THEN 1 ELSE 0 END), 0) AS met_late, \
             COALESCE(SUM(CASE WHEN d.met_at IS NULL AND d.due_at < ${at} THEN 1 ELSE 0 END), 0) AS missed \
             FROM onward_deadlines d JOIN onward_referrals o ON o.id = d.onward_referral_id \
             {} WHERE {} \
             GROUP BY d.rule_name, d.milestone ORDER BY d.rule_name, d.milestone",
            facts_join(filter, "o.referral_id"),
            w.sql
        );
        let rows: Vec<DeadlineCount> = w
            .bind_all(sqlx::query_as(&sql))
            .bind(now)
            .fetch_all(self.db().pool())
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| DeadlineRow {
                rule: r.rule_name,
                milestone: r.milestone,
                due: n(r.due),
                met_in_time: n(r.met_in_time),
                met_late: n(r.met_late),
                missed: n(r.missed),
                pending: n(r.due - r.met_in_time - r.met_late - r.missed),
            })
            .collect())
    }

    /// Cases closed in the period, by service and tier.
    pub async fn report_outcomes(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        filter: &Filter,
    ) -> Result<Vec<OutcomeRow>> {
        self.grant(Action::ViewStatistics)?;
        let w = during("c.closed_at", from, to, filter);
        let sql = format!(
            "SELECT s.name AS service, c.tier, c.cope, c.recover, o.risk_level AS started, \
             c.risk_level AS ended, COUNT(*) AS n \
             FROM cases c LEFT JOIN dir_services s ON s.id = c.service_id \
             LEFT JOIN onward_referrals o ON o.id = c.onward_referral_id \
             {} WHERE {} \
             GROUP BY s.name, c.tier, c.cope, c.recover, o.risk_level, c.risk_level",
            facts_join(filter, "c.referral_id"),
            w.sql
        );
        let rows: Vec<CaseCount> = w
            .bind_all(sqlx::query_as(&sql))
            .fetch_all(self.db().pool())
            .await?;
        let mut by: BTreeMap<(String, Option<String>), OutcomeRow> = BTreeMap::new();
        for r in rows {
            let service = r
                .service
                .unwrap_or_else(|| "Service no longer listed".into());
            let e = by
                .entry((service.clone(), r.tier.clone()))
                .or_insert_with(|| OutcomeRow {
                    service,
                    tier: r.tier.clone(),
                    ..OutcomeRow::default()
                });
            let c = n(r.n);
            e.closed += c;
            match r.cope.as_deref() {
                Some("yes") => e.cope_yes += c,
                Some("no") => e.cope_no += c,
                _ => {}
            }
            match r.recover.as_deref() {
                Some("yes") => e.recover_yes += c,
                Some("no") => e.recover_no += c,
                _ => {}
            }
            if !matches!(r.cope.as_deref(), Some("yes" | "no"))
                && !matches!(r.recover.as_deref(), Some("yes" | "no"))
            {
                e.not_asked += c;
            }
            if let (Some(s), Some(x)) = (rank(r.started.as_deref()), rank(r.ended.as_deref())) {
                e.risk_known += c;
                if x < s {
                    e.risk_lower += c;
                }
            }
        }
        Ok(by.into_values().collect())
    }

    /// Distance travelled per area of the outcome tool, over cases closed in the period with
    /// at least two readings: the first against the latest.
    pub async fn report_distance(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        filter: &Filter,
    ) -> Result<Vec<DistanceRow>> {
        self.grant(Action::ViewStatistics)?;
        let w = during("c.closed_at", from, to, filter);
        let sql = format!(
            "SELECT r.case_id, r.tool_id, r.scores FROM case_readings r \
             JOIN cases c ON c.id = r.case_id{} \
             WHERE {} ORDER BY r.case_id, r.taken_on, r.recorded_at",
            facts_join(filter, "c.referral_id"),
            w.sql
        );
        let rows: Vec<(String, String, String)> = w
            .bind_all(sqlx::query_as(&sql))
            .fetch_all(self.db().pool())
            .await?;
        let tools: Vec<(String, String)> =
            sqlx::query_as("SELECT id, definition FROM outcome_tools")
                .fetch_all(self.db().pool())
                .await?;
        let mut labels: BTreeMap<(String, String), String> = BTreeMap::new();
        let mut order: Vec<(String, String)> = Vec::new();
        for (id, definition) in tools {
            if let Ok(tool) = harbour_domain::outcome::OutcomeTool::from_toml(&definition) {
                for area in tool.areas {
                    let key = (id.clone(), area.id.clone());
                    if !labels.contains_key(&key) {
                        order.push(key.clone());
                    }
                    labels.insert(key, area.label);
                }
            }
        }
        // Each case's first and latest scores per area.
        let mut firsts: BTreeMap<(String, String, String), (u8, u8, usize)> = BTreeMap::new();
        for (case, tool, scores) in rows {
            let scores: BTreeMap<String, u8> = serde_json::from_str(&scores).unwrap_or_default();
            for (area, score) in scores {
                firsts
                    .entry((case.clone(), tool.clone(), area))
                    .and_modify(|e| {
                        e.1 = score;
                        e.2 += 1;
                    })
                    .or_insert((score, score, 1));
            }
        }
        let mut sums: BTreeMap<(String, String), (u64, u64, u64, i64)> = BTreeMap::new();
        for ((_, tool, area), (first, latest, readings)) in firsts {
            if readings < 2 {
                continue;
            }
            let e = sums.entry((tool, area)).or_default();
            let change = i64::from(latest) - i64::from(first);
            e.0 += 1;
            e.1 += u64::from(change > 0);
            e.2 += u64::from(change < 0);
            e.3 += change;
        }
        Ok(order
            .into_iter()
            .filter_map(|key| {
                let (cases, improved, worse, total) = sums.get(&key)?;
                Some(DistanceRow {
                    area: labels.get(&key).cloned().unwrap_or_default(),
                    cases: *cases,
                    improved: *improved,
                    worse: *worse,
                    mean_change: *total as f64 / *cases as f64,
                })
            })
            .collect())
    }
}
