//! Who an alert reaches: the confirmed subscribers with a place inside its area, a topic in
//! common and a lowest priority at or below the alert's.
//!
//! A circle is found from the index on (grid row, longitude) alone: one short range of
//! longitudes in each of the few grid rows its box spans, then the chord test between unit
//! vectors (see `harbour_domain::alerts::reach`), all in SQL on both databases. A polygon reads
//! its box the same way and the polygon's own test decides; named areas read the index on the
//! area code. A subscriber with both places inside is counted once.

use crate::db::Db;
use crate::error::Result;
use harbour_domain::alerts::area::AlertArea;
use harbour_domain::alerts::quiet::QuietHours;
use harbour_domain::alerts::reach::{UnitVector, chord2_within, grid_row};
use harbour_domain::place::{BoundingBox, Point};
use sqlx::any::AnyArguments;
use sqlx::query::QueryAs;

/// What an alert asks of a subscriber, besides being inside its area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    /// The alert's topics as bits: a subscriber with any of them hears it.
    pub topics_mask: i64,
    /// The alert's priority level: a subscriber whose lowest level is at most this hears it.
    pub level: i64,
}

/// A subscriber an alert reaches, with their quiet hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub subscriber_id: String,
    pub quiet: Option<QuietHours>,
}

enum Bind {
    F(f64),
    I(i64),
    B(bool),
    T(String),
}

/// The conditions on `alert_places` (as `p`) an area and what is wanted make, with their
/// values from `$1`.
fn conditions(area: &AlertArea, wanted: Wanted, areas: &[String]) -> (String, Vec<Bind>) {
    let mut sql = String::from("p.live = $1 AND (p.topics_mask & $2) <> 0 AND p.min_level <= $3");
    let mut binds = vec![
        Bind::B(true),
        Bind::I(wanted.topics_mask),
        Bind::I(wanted.level),
    ];
    match area {
        AlertArea::Named(_) => {
            let params: Vec<String> = (0..areas.len()).map(|i| format!("${}", i + 4)).collect();
            sql.push_str(&format!(" AND p.area_code IN ({})", params.join(", ")));
            binds.extend(areas.iter().map(|a| Bind::T(a.clone())));
        }
        AlertArea::Circle { centre, radius_m } => {
            box_conditions(&mut sql, &mut binds, &centre.bounding_box(*radius_m));
            let v = UnitVector::of(*centre);
            sql.push_str(
                " AND (p.x - $6) * (p.x - $6) + (p.y - $7) * (p.y - $7) + (p.z - $8) * (p.z - $8) <= $9",
            );
            binds.extend([
                Bind::F(v.x),
                Bind::F(v.y),
                Bind::F(v.z),
                Bind::F(chord2_within(*radius_m)),
            ]);
        }
        AlertArea::Polygon(_) => {
            if let Some(b) = area.bounding_box() {
                box_conditions(&mut sql, &mut binds, &b);
            }
        }
    }
    (sql, binds)
}

/// The grid rows a box spans, as literal numbers (computed, never given), and its longitudes as
/// `$4` and `$5`.
fn box_conditions(sql: &mut String, binds: &mut Vec<Bind>, b: &BoundingBox) {
    let rows: Vec<String> = (grid_row(b.min_latitude)..=grid_row(b.max_latitude))
        .map(|r| r.to_string())
        .collect();
    sql.push_str(&format!(
        " AND p.grid_row IN ({}) AND p.longitude BETWEEN $4 AND $5",
        rows.join(", ")
    ));
    binds.extend([Bind::F(b.min_longitude), Bind::F(b.max_longitude)]);
}

fn bind_all<'q, O>(
    mut q: QueryAs<'q, sqlx::Any, O, AnyArguments<'q>>,
    binds: Vec<Bind>,
) -> QueryAs<'q, sqlx::Any, O, AnyArguments<'q>> {
    for b in binds {
        q = match b {
            Bind::F(v) => q.bind(v),
            Bind::I(v) => q.bind(v),
            Bind::B(v) => q.bind(v),
            Bind::T(v) => q.bind(v),
        };
    }
    q
}

/// The named areas' codes with every area inside them (a county's districts).
async fn with_inner_areas(db: &Db, codes: &[String]) -> Result<Vec<String>> {
    let all = crate::areas::list_areas(db).await?;
    let mut out: Vec<String> = codes.to_vec();
    let mut grew = true;
    while grew {
        grew = false;
        for a in &all {
            if let Some(parent) = &a.parent_gss_code
                && out.contains(parent)
                && !out.contains(&a.gss_code)
            {
                out.push(a.gss_code.clone());
                grew = true;
            }
        }
    }
    Ok(out)
}

/// How many subscribers an alert would reach: a count, never who.
pub async fn count(db: &Db, area: &AlertArea, wanted: Wanted) -> Result<i64> {
    let areas = match area {
        AlertArea::Named(codes) => with_inner_areas(db, codes).await?,
        _ => Vec::new(),
    };
    let (cond, binds) = conditions(area, wanted, &areas);
    if let AlertArea::Polygon(_) = area {
        let mut ids: Vec<String> = polygon_members(db, area, &cond, binds)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        return Ok(ids.len() as i64);
    }
    let sql = format!("SELECT COUNT(DISTINCT p.subscriber_id) FROM alert_places p WHERE {cond}");
    let (n,): (i64,) = bind_all(sqlx::query_as(&sql), binds)
        .fetch_one(db.pool())
        .await?;
    Ok(n)
}

async fn polygon_members(
    db: &Db,
    area: &AlertArea,
    cond: &str,
    binds: Vec<Bind>,
) -> Result<Vec<(String, Option<i64>)>> {
    let sql = format!(
        "SELECT p.subscriber_id, p.latitude, p.longitude, p.quiet FROM alert_places p WHERE {cond}"
    );
    let rows: Vec<(String, f64, f64, Option<i64>)> = bind_all(sqlx::query_as(&sql), binds)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, la, lo, _)| Point::new(*la, *lo).is_some_and(|p| area.contains(p, &[])))
        .map(|(id, _, _, quiet)| (id, quiet))
        .collect())
}

/// The subscribers an alert reaches, each once, with their quiet hours: from the index alone.
pub async fn recipients(db: &Db, area: &AlertArea, wanted: Wanted) -> Result<Vec<Recipient>> {
    let areas = match area {
        AlertArea::Named(codes) => with_inner_areas(db, codes).await?,
        _ => Vec::new(),
    };
    let (cond, binds) = conditions(area, wanted, &areas);
    let rows: Vec<(String, Option<i64>)> = match area {
        AlertArea::Polygon(_) => polygon_members(db, area, &cond, binds).await?,
        _ => {
            let sql = format!("SELECT p.subscriber_id, p.quiet FROM alert_places p WHERE {cond}");
            bind_all(sqlx::query_as(&sql), binds)
                .fetch_all(db.pool())
                .await?
        }
    };
    let mut seen = std::collections::HashSet::with_capacity(rows.len());
    Ok(rows
        .into_iter()
        .filter(|(id, _)| seen.insert(id.clone()))
        .map(|(id, quiet)| Recipient {
            subscriber_id: id,
            quiet: quiet.and_then(QuietHours::from_code),
        })
        .collect())
}
