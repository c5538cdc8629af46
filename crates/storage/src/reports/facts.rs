//! `report_facts`: one row per referral of what the reports count, computed from its records
//! and written in the transaction that changes them, so the reports read one narrow table and
//! never a person. [`refresh`] recomputes the rows of the referrals a write touched;
//! [`fill_missing`] writes any a database lacks (one from before the table, or a crash between
//! a PostgreSQL intake statement and its refresh); [`recount_differences`] checks them.

use crate::db::{Backend, Db, Flag, Statement, WriteTx, insert_json_rows, parse_time, to_json};
use crate::error::Result;
use crate::intake::look_up::in_json_array;
use harbour_domain::calendar::uk_date;
use harbour_domain::referral::Person;
use harbour_domain::stats::facts::Characteristics;
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// A referral's facts as the INSERT reads them; the names are the columns'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct FactRow {
    pub(crate) referral_id: String,
    pub(crate) person_id: String,
    pub(crate) received_at: String,
    pub(crate) received_on: String,
    pub(crate) month: String,
    pub(crate) received_day: i64,
    pub(crate) due_on: String,
    pub(crate) area: Option<String>,
    pub(crate) source: String,
    pub(crate) crime_category: String,
    pub(crate) consent_to_aggregate: bool,
    pub(crate) age_band: String,
    pub(crate) gender: String,
    pub(crate) ethnicity: String,
    pub(crate) disability: String,
    pub(crate) triaged_at: Option<String>,
    pub(crate) entitlement: Option<String>,
    pub(crate) tier: Option<String>,
    pub(crate) risk_level: Option<String>,
    pub(crate) advised_at: Option<String>,
    pub(crate) referred_on_at: Option<String>,
    pub(crate) accepted_at: Option<String>,
    pub(crate) completed_at: Option<String>,
    pub(crate) first_contact_at: Option<String>,
    pub(crate) reached_on: Option<String>,
    pub(crate) contact_days: Option<i64>,
}

pub(crate) const FACT_COLUMNS: [(&str, &str); 26] = [
    ("referral_id", "text"),
    ("person_id", "text"),
    ("received_at", "text"),
    ("received_on", "text"),
    ("month", "text"),
    ("received_day", "bigint"),
    ("due_on", "text"),
    ("area", "text"),
    ("source", "text"),
    ("crime_category", "text"),
    ("consent_to_aggregate", "boolean"),
    ("age_band", "text"),
    ("gender", "text"),
    ("ethnicity", "text"),
    ("disability", "text"),
    ("triaged_at", "text"),
    ("entitlement", "text"),
    ("tier", "text"),
    ("risk_level", "text"),
    ("advised_at", "text"),
    ("referred_on_at", "text"),
    ("accepted_at", "text"),
    ("completed_at", "text"),
    ("first_contact_at", "text"),
    ("reached_on", "text"),
    ("contact_days", "bigint"),
];

/// What a referral says when it arrives, which is all its facts then.
pub(crate) struct Arrival<'a> {
    pub(crate) referral_id: &'a str,
    pub(crate) person_id: &'a str,
    pub(crate) received_at: &'a str,
    pub(crate) due_on: &'a str,
    pub(crate) area: Option<&'a str>,
    pub(crate) source: &'a str,
    pub(crate) crime_category: &'a str,
    pub(crate) consent_to_aggregate: bool,
    pub(crate) risk_level: Option<&'a str>,
    pub(crate) person: &'a Person,
}

impl Arrival<'_> {
    pub(crate) fn facts(&self) -> Result<FactRow> {
        let on = uk_date(parse_time(self.received_at)?);
        let c = Characteristics::of(self.person, on, self.consent_to_aggregate);
        Ok(FactRow {
            referral_id: self.referral_id.to_owned(),
            person_id: self.person_id.to_owned(),
            received_at: self.received_at.to_owned(),
            received_on: on.to_string(),
            month: on.format("%Y-%m").to_string(),
            received_day: day_number(on),
            due_on: self.due_on.to_owned(),
            area: self.area.map(str::to_owned),
            source: self.source.to_owned(),
            crime_category: self.crime_category.to_owned(),
            consent_to_aggregate: self.consent_to_aggregate,
            age_band: c.age.slug().to_owned(),
            gender: c.gender.slug().to_owned(),
            ethnicity: c.ethnicity.slug().to_owned(),
            disability: c.disability.slug().to_owned(),
            triaged_at: None,
            entitlement: None,
            tier: None,
            risk_level: self.risk_level.map(str::to_owned),
            advised_at: None,
            referred_on_at: None,
            accepted_at: None,
            completed_at: None,
            first_contact_at: None,
            reached_on: None,
            contact_days: None,
        })
    }
}

/// A UK date as a day number: days since 1 January 1970.
pub(crate) fn day_number(d: chrono::NaiveDate) -> i64 {
    (d - chrono::NaiveDate::default()).num_days()
}

impl FactRow {
    /// Works out what follows from the milestones: when support was reached, and how many days
    /// it took to speak to the person.
    fn complete(&mut self) -> Result<()> {
        let reached = [&self.advised_at, &self.referred_on_at]
            .into_iter()
            .flatten()
            .min()
            .cloned();
        self.reached_on = reached
            .map(|at| parse_time(&at).map(|t| uk_date(t).to_string()))
            .transpose()?;
        self.contact_days = self
            .first_contact_at
            .as_ref()
            .map(|at| {
                let received: chrono::NaiveDate = self.received_on.parse().unwrap_or_default();
                parse_time(at).map(|t| (uk_date(t) - received).num_days())
            })
            .transpose()?;
        Ok(())
    }
}

pub(crate) static WRITE_FACTS: Statement =
    Statement::new(|backend| insert_json_rows(backend, "report_facts", &FACT_COLUMNS));

#[derive(sqlx::FromRow)]
struct ReferralRow {
    id: String,
    person_id: String,
    received_at: String,
    due_on: String,
    area: Option<String>,
    source: String,
    crime_category: String,
    consent_to_aggregate: Flag,
    risk_level: Option<String>,
    person_details: String,
    details: String,
}

/// Each milestone query: the referral and the first time, one row per referral.
fn milestones(backend: Backend) -> [(&'static str, String); 5] {
    let ids = |c: &str| in_json_array(backend, c, 1);
    [
        (
            "advised_at",
            format!(
                "SELECT referral_id, MIN(given_at) FROM referral_advice WHERE {} GROUP BY referral_id",
                ids("referral_id")
            ),
        ),
        (
            "referred_on_at",
            format!(
                "SELECT referral_id, MIN(sent_at) FROM onward_referrals WHERE {} GROUP BY referral_id",
                ids("referral_id")
            ),
        ),
        (
            "accepted_at",
            format!(
                "SELECT referral_id, MIN(at) FROM (\
                 SELECT o.referral_id, e.at FROM onward_events e JOIN onward_referrals o ON o.id = e.onward_referral_id \
                 WHERE e.to_state = 'accepted' AND {} \
                 UNION ALL SELECT referral_id, opened_at FROM cases WHERE {}) AS a GROUP BY referral_id",
                ids("o.referral_id"),
                ids("referral_id")
            ),
        ),
        (
            "completed_at",
            format!(
                "SELECT referral_id, MIN(at) FROM (\
                 SELECT o.referral_id, e.at FROM onward_events e JOIN onward_referrals o ON o.id = e.onward_referral_id \
                 WHERE e.to_state = 'outcome_recorded' AND o.outcome IN ('needs_met', 'needs_partly_met') AND {} \
                 UNION ALL SELECT referral_id, closed_at FROM cases \
                 WHERE closure_reason = 'support_completed' AND closed_at IS NOT NULL AND {}) AS c GROUP BY referral_id",
                ids("o.referral_id"),
                ids("referral_id")
            ),
        ),
        (
            "first_contact_at",
            format!(
                "SELECT o.referral_id, MIN(a.made_at) FROM contact_attempts a \
                 JOIN onward_referrals o ON o.id = a.onward_referral_id \
                 WHERE a.result = 'spoke' AND {} GROUP BY o.referral_id",
                ids("o.referral_id")
            ),
        ),
    ]
}

/// The facts of these referrals, computed afresh from their records.
pub(crate) async fn compute(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[String],
) -> Result<Vec<FactRow>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let list = to_json(ids)?;
    let referrals: Vec<ReferralRow> = sqlx::query_as(&format!(
        "SELECT r.id, r.person_id, r.received_at, r.due_on, r.area, r.source, r.crime_category, \
         r.consent_to_aggregate, r.risk_level, r.person_details, p.details \
         FROM referrals r JOIN persons p ON p.id = r.person_id WHERE {}",
        in_json_array(backend, "r.id", 1)
    ))
    .bind(&list)
    .fetch_all(&mut *conn)
    .await?;
    let mut found: HashMap<&'static str, HashMap<String, String>> = HashMap::new();
    for (name, sql) in milestones(backend) {
        let rows: Vec<(String, Option<String>)> = sqlx::query_as(&sql)
            .bind(&list)
            .fetch_all(&mut *conn)
            .await?;
        found.insert(
            name,
            rows.into_iter()
                .filter_map(|(r, at)| Some((r, at?)))
                .collect(),
        );
    }
    let triage: Vec<(String, String, String, String)> = sqlx::query_as(&format!(
        "SELECT referral_id, decided_at, entitlement, tier FROM triage_decisions WHERE {}",
        in_json_array(backend, "referral_id", 1)
    ))
    .bind(&list)
    .fetch_all(&mut *conn)
    .await?;
    let mut latest: HashMap<String, (String, String, String)> = HashMap::new();
    for (referral, at, entitlement, tier) in triage {
        let newer = latest.get(&referral).is_none_or(|(seen, _, _)| at > *seen);
        if newer {
            latest.insert(referral, (at, entitlement, tier));
        }
    }
    let get = |name: &str, id: &str| found.get(name).and_then(|m| m.get(id)).cloned();
    referrals
        .into_iter()
        .map(|r| {
            // The person as the referral recorded them; rows from before that was kept fall
            // back to the person held.
            let text = if r.person_details.is_empty() {
                &r.details
            } else {
                &r.person_details
            };
            let person: Person = crate::referrals::from_json(text).unwrap_or_default();
            let mut row = Arrival {
                referral_id: &r.id,
                person_id: &r.person_id,
                received_at: &r.received_at,
                due_on: &r.due_on,
                area: r.area.as_deref(),
                source: &r.source,
                crime_category: &r.crime_category,
                consent_to_aggregate: r.consent_to_aggregate.0,
                risk_level: r.risk_level.as_deref(),
                person: &person,
            }
            .facts()?;
            if let Some((at, entitlement, tier)) = latest.get(&r.id) {
                row.triaged_at = Some(at.clone());
                row.entitlement = Some(entitlement.clone());
                row.tier = Some(tier.clone());
            }
            row.advised_at = get("advised_at", &r.id);
            row.referred_on_at = get("referred_on_at", &r.id);
            row.accepted_at = get("accepted_at", &r.id);
            row.completed_at = get("completed_at", &r.id);
            row.first_contact_at = get("first_contact_at", &r.id);
            row.complete()?;
            Ok(row)
        })
        .collect()
}

/// Recomputes and rewrites the facts of these referrals, and the sums they count in, in the
/// caller's transaction.
pub(crate) async fn refresh(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[String],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    // An erased referral's facts are frozen as they were when its content went.
    let erased: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM referrals WHERE erased_at IS NOT NULL AND {}",
        in_json_array(backend, "id", 1)
    ))
    .bind(to_json(ids)?)
    .fetch_all(&mut *conn)
    .await?;
    let live: Vec<String>;
    let ids = if erased.is_empty() {
        ids
    } else {
        live = ids
            .iter()
            .filter(|i| !erased.contains(i))
            .cloned()
            .collect();
        if live.is_empty() {
            return Ok(());
        }
        &live
    };
    let (gone, rows) = rewrite(conn, backend, ids).await?;
    super::summary::apply(conn, backend, &gone, &rows).await
}

/// Recomputes and rewrites the facts of these referrals; returns the rows it replaced and
/// those it wrote.
async fn rewrite(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[String],
) -> Result<(Vec<FactRow>, Vec<FactRow>)> {
    let rows = compute(conn, backend, ids).await?;
    let gone: Vec<StoredRow> = sqlx::query_as(&format!(
        "DELETE FROM report_facts WHERE {} RETURNING {}",
        in_json_array(backend, "referral_id", 1),
        FACT_COLUMNS.map(|(c, _)| c).join(", ")
    ))
    .bind(to_json(ids)?)
    .fetch_all(&mut *conn)
    .await?;
    let gone: Vec<FactRow> = gone.into_iter().map(FactRow::from).collect();
    sqlx::query(WRITE_FACTS.text(backend))
        .bind(to_json(&rows)?)
        .execute(&mut *conn)
        .await?;
    Ok((gone, rows))
}

/// Moves these referrals' facts to the person their referrals now belong to, after a merge or
/// its undoing.
pub(crate) async fn follow_people(
    conn: &mut AnyConnection,
    backend: Backend,
    referrals: &[String],
) -> Result<()> {
    if referrals.is_empty() {
        return Ok(());
    }
    sqlx::query(&format!(
        "UPDATE report_facts SET person_id = \
         (SELECT r.person_id FROM referrals r WHERE r.id = report_facts.referral_id) WHERE {}",
        in_json_array(backend, "referral_id", 1)
    ))
    .bind(to_json(referrals)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Recomputes one referral's facts in a write's transaction: every write that changes what
/// the reports count about a referral calls this before it commits.
pub(crate) async fn touch(tx: &mut WriteTx, referral: &str) -> Result<()> {
    let backend = tx.backend();
    refresh(tx.conn(), backend, &[referral.to_owned()]).await
}

/// [`touch`] for the referral an onward referral came from.
pub(crate) async fn touch_onward(tx: &mut WriteTx, onward: &str) -> Result<()> {
    let referral: Option<String> =
        sqlx::query_scalar("SELECT referral_id FROM onward_referrals WHERE id = $1")
            .bind(onward)
            .fetch_optional(tx.conn())
            .await?;
    match referral {
        Some(r) => touch(tx, &r).await,
        None => Ok(()),
    }
}

/// How many referrals each pass of [`fill_missing`] computes.
const FILL_BATCH: i64 = 2_000;

/// Writes the facts of every referral that has none, then, if it wrote any, sums the facts
/// afresh (whether the sums counted the missing rows cannot be known); returns how many.
pub async fn fill_missing(db: &Db) -> Result<u64> {
    let mut written = 0;
    loop {
        let mut tx = db.begin_write().await?;
        let backend = tx.backend();
        let ids: Vec<(String,)> = sqlx::query_as(
            "SELECT r.id FROM referrals r WHERE r.erased_at IS NULL AND NOT EXISTS \
             (SELECT 1 FROM report_facts f WHERE f.referral_id = r.id) LIMIT $1",
        )
        .bind(FILL_BATCH)
        .fetch_all(tx.conn())
        .await?;
        if ids.is_empty() {
            tx.commit().await?;
            if written > 0 {
                super::summary::rebuild(db).await?;
            }
            return Ok(written);
        }
        let ids: Vec<String> = ids.into_iter().map(|(i,)| i).collect();
        rewrite(tx.conn(), backend, &ids).await?;
        tx.commit().await?;
        written += ids.len() as u64;
    }
}

/// A stored row, as read back.
#[derive(sqlx::FromRow)]
struct StoredRow {
    referral_id: String,
    person_id: String,
    received_at: String,
    received_on: String,
    month: String,
    received_day: i64,
    due_on: String,
    area: Option<String>,
    source: String,
    crime_category: String,
    consent_to_aggregate: Flag,
    age_band: String,
    gender: String,
    ethnicity: String,
    disability: String,
    triaged_at: Option<String>,
    entitlement: Option<String>,
    tier: Option<String>,
    risk_level: Option<String>,
    advised_at: Option<String>,
    referred_on_at: Option<String>,
    accepted_at: Option<String>,
    completed_at: Option<String>,
    first_contact_at: Option<String>,
    reached_on: Option<String>,
    contact_days: Option<i64>,
}

impl From<StoredRow> for FactRow {
    fn from(s: StoredRow) -> FactRow {
        FactRow {
            referral_id: s.referral_id,
            person_id: s.person_id,
            received_at: s.received_at,
            received_on: s.received_on,
            month: s.month,
            received_day: s.received_day,
            due_on: s.due_on,
            area: s.area,
            source: s.source,
            crime_category: s.crime_category,
            consent_to_aggregate: s.consent_to_aggregate.0,
            age_band: s.age_band,
            gender: s.gender,
            ethnicity: s.ethnicity,
            disability: s.disability,
            triaged_at: s.triaged_at,
            entitlement: s.entitlement,
            tier: s.tier,
            risk_level: s.risk_level,
            advised_at: s.advised_at,
            referred_on_at: s.referred_on_at,
            accepted_at: s.accepted_at,
            completed_at: s.completed_at,
            first_contact_at: s.first_contact_at,
            reached_on: s.reached_on,
            contact_days: s.contact_days,
        }
    }
}

/// Compares every stored row with a recount from the records: for each referral whose facts
/// differ or are missing (or that no longer exists), the stored and the recounted rows. Empty
/// when they agree.
pub async fn recount_differences(db: &Db) -> Result<Vec<String>> {
    let mut conn = db.pool().acquire().await?;
    // Erased referrals' facts are frozen: there is nothing left to recount them from.
    let ids: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM referrals WHERE erased_at IS NULL ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
    let ids: Vec<String> = ids.into_iter().map(|(i,)| i).collect();
    let stored: Vec<StoredRow> = sqlx::query_as(&format!(
        "SELECT {} FROM report_facts WHERE referral_id NOT IN \
         (SELECT id FROM referrals WHERE erased_at IS NOT NULL)",
        FACT_COLUMNS.map(|(c, _)| c).join(", ")
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut stored: HashMap<String, FactRow> = stored
        .into_iter()
        .map(|s| (s.referral_id.clone(), FactRow::from(s)))
        .collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(FILL_BATCH as usize) {
        for r in compute(&mut conn, db.backend(), chunk).await? {
            match stored.remove(&r.referral_id) {
                Some(s) if s == r => {}
                Some(s) => out.push(format!("stored {s:?}, recounted {r:?}")),
                None => out.push(format!("missing, recounted {r:?}")),
            }
        }
    }
    out.extend(
        stored
            .into_values()
            .map(|s| format!("no such referral: {s:?}")),
    );
    Ok(out)
}
