//! `report_summary`: the facts summed by month, area, source, crime category and one more
//! breakdown, so the reports read a few thousand sums where a quarter over a million referrals
//! holds fifty thousand facts and five years a million.
//!
//! Every write of `report_facts` passes what it replaced and what it wrote to [`apply`], which
//! adds the difference in the same transaction; [`rebuild`] sums the facts afresh, and
//! [`recount_differences`] compares the two, so a test can keep them equal.
//!
//! Lock order on PostgreSQL: [`apply`] upserts its rows in key order, and every transaction
//! that calls it has appended to the audit chain first (which locks the chain's head until it
//! commits); intake's one statement does the same inside `intake_append` (migration 0019), so
//! two writers never wait for each other's rows, or for the head, in opposite orders. The
//! function's columns are [`COLUMNS`]; the recount test fails if they part.

use super::facts::FactRow;
use crate::db::{Backend, Db, insert_json_rows, to_json};
use crate::error::Result;
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// The breakdowns summed besides the area, source and crime category, each the facts column
/// it is; `all` sums every referral in the cell.
pub(crate) const BREAKDOWNS: [&str; 6] = [
    "tier",
    "entitlement",
    "age_band",
    "gender",
    "ethnicity",
    "disability",
];

/// The sums each row holds, in the table's order.
pub(crate) const MEASURES: [&str; 11] = [
    "referrals",
    "advised",
    "accepted",
    "referred_on",
    "completed",
    "reached",
    "reached_in_time",
    "contact_within_1",
    "contact_within_7",
    "contact_within_14",
    "contact_later",
];

/// A row's key: breakdown, month, area, source, crime category, value.
type Key = (String, String, String, String, String, String);

/// What one referral's facts add to each sum.
fn measures(f: &FactRow) -> [i64; 11] {
    let has = |v: &Option<String>| i64::from(v.is_some());
    let days = |lo: i64, hi: i64| i64::from(f.contact_days.is_some_and(|d| d >= lo && d <= hi));
    [
        1,
        has(&f.advised_at),
        has(&f.accepted_at),
        has(&f.referred_on_at),
        has(&f.completed_at),
        has(&f.reached_on),
        i64::from(f.reached_on.as_ref().is_some_and(|r| *r <= f.due_on)),
        days(i64::MIN, 1),
        days(2, 7),
        days(8, 14),
        days(15, i64::MAX),
    ]
}

/// The rows one referral's facts count in: the whole, and one for each breakdown.
fn keys(f: &FactRow) -> impl Iterator<Item = Key> + '_ {
    let value = |b: &str| -> String {
        match b {
            "tier" => f.tier.clone().unwrap_or_default(),
            "entitlement" => f.entitlement.clone().unwrap_or_default(),
            "age_band" => f.age_band.clone(),
            "gender" => f.gender.clone(),
            "ethnicity" => f.ethnicity.clone(),
            _ => f.disability.clone(),
        }
    };
    std::iter::once(("all", String::new()))
        .chain(BREAKDOWNS.iter().map(move |b| (*b, value(b))))
        .map(|(b, v)| {
            (
                b.to_owned(),
                f.month.clone(),
                f.area.clone().unwrap_or_default(),
                f.source.clone(),
                f.crime_category.clone(),
                v,
            )
        })
}

/// One row's change, as the upsert reads it; the names are the columns'.
#[derive(Serialize)]
pub(crate) struct Change {
    breakdown: String,
    month: String,
    area: String,
    source: String,
    crime_category: String,
    value: String,
    referrals: i64,
    advised: i64,
    accepted: i64,
    referred_on: i64,
    completed: i64,
    reached: i64,
    reached_in_time: i64,
    contact_within_1: i64,
    contact_within_7: i64,
    contact_within_14: i64,
    contact_later: i64,
}

const COLUMNS: [(&str, &str); 17] = [
    ("breakdown", "text"),
    ("month", "text"),
    ("area", "text"),
    ("source", "text"),
    ("crime_category", "text"),
    ("value", "text"),
    ("referrals", "bigint"),
    ("advised", "bigint"),
    ("accepted", "bigint"),
    ("referred_on", "bigint"),
    ("completed", "bigint"),
    ("reached", "bigint"),
    ("reached_in_time", "bigint"),
    ("contact_within_1", "bigint"),
    ("contact_within_7", "bigint"),
    ("contact_within_14", "bigint"),
    ("contact_later", "bigint"),
];

/// Adds each row's change to what it holds, making the rows it lacks.
static UPSERT: crate::db::Statement = crate::db::Statement::new(|backend| {
    let add: Vec<String> = MEASURES
        .iter()
        .map(|m| format!("{m} = report_summary.{m} + excluded.{m}"))
        .collect();
    // SQLite reads `ON CONFLICT` after a bare SELECT's FROM as the join's; a WHERE ends it.
    format!(
        "{} WHERE TRUE ON CONFLICT (breakdown, month, area, source, crime_category, value) \
         DO UPDATE SET {}",
        insert_json_rows(backend, "report_summary", &COLUMNS),
        add.join(", ")
    )
});

/// The changes to the sums when the facts `old` are replaced by `new`, in key order, leaving
/// out those that change nothing.
pub(crate) fn changes(old: &[FactRow], new: &[FactRow]) -> Vec<Change> {
    let mut sums: BTreeMap<Key, [i64; 11]> = BTreeMap::new();
    for (rows, sign) in [(old, -1), (new, 1)] {
        for f in rows {
            let m = measures(f);
            for k in keys(f) {
                let e = sums.entry(k).or_insert([0; 11]);
                for (s, v) in e.iter_mut().zip(m) {
                    *s += sign * v;
                }
            }
        }
    }
    sums.into_iter()
        .filter(|(_, m)| m.iter().any(|v| *v != 0))
        .map(
            |((breakdown, month, area, source, crime_category, value), m)| Change {
                breakdown,
                month,
                area,
                source,
                crime_category,
                value,
                referrals: m[0],
                advised: m[1],
                accepted: m[2],
                referred_on: m[3],
                completed: m[4],
                reached: m[5],
                reached_in_time: m[6],
                contact_within_1: m[7],
                contact_within_7: m[8],
                contact_within_14: m[9],
                contact_later: m[10],
            },
        )
        .collect()
}

/// Adds to the sums what replacing the facts `old` by `new` changes, in the caller's
/// transaction.
pub(crate) async fn apply(
    conn: &mut AnyConnection,
    backend: Backend,
    old: &[FactRow],
    new: &[FactRow],
) -> Result<()> {
    let changes = changes(old, new);
    if changes.is_empty() {
        return Ok(());
    }
    sqlx::query(UPSERT.text(backend))
        .bind(to_json(&changes)?)
        .execute(conn)
        .await?;
    Ok(())
}

/// The funnel's counts over the facts `f` in a group, named as [`MEASURES`]: the one
/// definition of what the sums hold, which counts of the days outside whole months read too.
pub(crate) const FACT_SUMS: &str = "COUNT(*) AS referrals, COUNT(f.advised_at) AS advised, \
     COUNT(f.accepted_at) AS accepted, COUNT(f.referred_on_at) AS referred_on, \
     COUNT(f.completed_at) AS completed, COUNT(f.reached_on) AS reached, \
     COALESCE(SUM(CASE WHEN f.reached_on <= f.due_on THEN 1 ELSE 0 END), 0) AS reached_in_time, \
     COALESCE(SUM(CASE WHEN f.contact_days <= 1 THEN 1 ELSE 0 END), 0) AS contact_within_1, \
     COALESCE(SUM(CASE WHEN f.contact_days BETWEEN 2 AND 7 THEN 1 ELSE 0 END), 0) AS contact_within_7, \
     COALESCE(SUM(CASE WHEN f.contact_days BETWEEN 8 AND 14 THEN 1 ELSE 0 END), 0) AS contact_within_14, \
     COALESCE(SUM(CASE WHEN f.contact_days > 14 THEN 1 ELSE 0 END), 0) AS contact_later";

/// The sums as a SELECT over `report_facts`: each breakdown's rows, then the whole's.
fn recount_sql() -> String {
    let dims = "month, COALESCE(area, ''), source, crime_category";
    std::iter::once(("'all'".to_owned(), "''".to_owned(), String::new()))
        .chain(BREAKDOWNS.iter().map(|b| {
            let v = format!("COALESCE({b}, '')");
            (format!("'{b}'"), v.clone(), format!(", {v}"))
        }))
        .map(|(b, v, by)| {
            format!("SELECT {b}, {dims}, {v}, {FACT_SUMS} FROM report_facts f GROUP BY {dims}{by}")
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// Sums the facts afresh into an emptied table, as after a bulk load that wrote facts
/// without it.
pub async fn rebuild(db: &Db) -> Result<()> {
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM report_summary")
        .execute(tx.conn())
        .await?;
    sqlx::query(&format!(
        "INSERT INTO report_summary (breakdown, month, area, source, crime_category, value, {}) {}",
        MEASURES.join(", "),
        recount_sql()
    ))
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Builds the sums where a database has facts and none (one from before the table).
pub async fn fill_if_missing(db: &Db) -> Result<bool> {
    let summed: Option<i64> = sqlx::query_scalar("SELECT 1 FROM report_summary LIMIT 1")
        .fetch_optional(db.pool())
        .await?;
    let facts: Option<i64> = sqlx::query_scalar("SELECT 1 FROM report_facts LIMIT 1")
        .fetch_optional(db.pool())
        .await?;
    if summed.is_some() || facts.is_none() {
        return Ok(false);
    }
    rebuild(db).await?;
    Ok(true)
}

/// Compares the stored sums with a recount from `report_facts`: each row that differs, is
/// missing, or holds what no facts add up to. Empty when they agree; rows of nothing but
/// zeroes (left where facts moved away) count as absent.
pub async fn recount_differences(db: &Db) -> Result<Vec<String>> {
    async fn read(db: &Db, sql: &str) -> Result<BTreeMap<Key, Vec<i64>>> {
        let rows = sqlx::query(sql).fetch_all(db.pool()).await?;
        let mut out = BTreeMap::new();
        for r in rows {
            use sqlx::Row as _;
            let key: Key = (
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
            );
            let m = (6..6 + MEASURES.len())
                .map(|i| r.try_get::<i64, _>(i))
                .collect::<std::result::Result<Vec<i64>, _>>()?;
            if m.iter().any(|v| *v != 0) {
                out.insert(key, m);
            }
        }
        Ok(out)
    }
    let stored = read(
        db,
        &format!(
            "SELECT breakdown, month, area, source, crime_category, value, {} FROM report_summary",
            MEASURES.join(", ")
        ),
    )
    .await?;
    let mut recounted = read(db, &recount_sql()).await?;
    let mut out = Vec::new();
    for (k, s) in stored {
        match recounted.remove(&k) {
            Some(r) if r == s => {}
            Some(r) => out.push(format!("{k:?}: stored {s:?}, recounted {r:?}")),
            None => out.push(format!("{k:?}: stored {s:?}, no facts")),
        }
    }
    out.extend(
        recounted
            .into_iter()
            .map(|(k, r)| format!("{k:?}: missing, recounted {r:?}")),
    );
    Ok(out)
}
