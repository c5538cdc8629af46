//! Searching the directory as the Open Referral API asks: every filter ANDed, results in a
//! stable order (name, then id), a page at a time.

use super::read::placeholders;
use crate::db::{Db, get_bool};
use crate::error::Result;
use harbour_domain::place::Point;
use sqlx::Row;

/// A postcode already resolved to its point and the chain of areas it lies in.
#[derive(Debug, Clone, PartialEq)]
pub struct Near {
    pub point: Point,
    /// Its district, county and country codes, nearest first.
    pub areas: Vec<String>,
    /// With a distance: only services delivered at a location within it (metres).
    pub proximity_m: Option<f64>,
}

/// The filters of `/services` and `/service_at_locations`. Each one set narrows the result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    pub search: Option<String>,
    pub taxonomy_term_ids: Vec<String>,
    pub taxonomy_id: Option<String>,
    pub organization_id: Option<String>,
    /// Services whose minimum age is at least this (the standard's rule).
    pub minimum_age: Option<f64>,
    /// Services whose maximum age is at most this.
    pub maximum_age: Option<f64>,
    /// Two-letter day (MO … SU) on which the service is open.
    pub day: Option<String>,
    /// Minutes after midnight: opening at or after.
    pub start_minute: Option<i64>,
    /// Minutes after midnight: closing at or before.
    pub end_minute: Option<i64>,
    pub modified_after: Option<String>,
    pub near: Option<Near>,
    /// Only these statuses (the public search pages ask for running services).
    pub statuses: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// From 1.
    pub page: u64,
    pub per_page: u64,
}

enum Bind {
    Text(String),
    Real(f64),
    Int(i64),
}

/// A WHERE clause under construction, with its bound values numbered in order.
#[derive(Default)]
struct Filter {
    conditions: Vec<String>,
    binds: Vec<Bind>,
}

impl Filter {
    fn next(&self) -> usize {
        self.binds.len() + 1
    }

    fn text(&mut self, v: impl Into<String>) -> String {
        self.binds.push(Bind::Text(v.into()));
        format!("${}", self.binds.len())
    }

    fn real(&mut self, v: f64) -> String {
        self.binds.push(Bind::Real(v));
        format!("${}", self.binds.len())
    }

    fn int(&mut self, v: i64) -> String {
        self.binds.push(Bind::Int(v));
        format!("${}", self.binds.len())
    }

    fn list(&mut self, values: &[String]) -> String {
        let start = self.next();
        for v in values {
            self.binds.push(Bind::Text(v.clone()));
        }
        placeholders(start, values.len())
    }

    fn clause(&self) -> String {
        if self.conditions.is_empty() {
            "1 = 1".to_owned()
        } else {
            self.conditions.join(" AND ")
        }
    }

    fn apply<'q>(
        &'q self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for b in &self.binds {
            q = match b {
                Bind::Text(s) => q.bind(s.as_str()),
                Bind::Real(f) => q.bind(*f),
                Bind::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

/// `%text%` for LIKE, with the wildcards in the text itself escaped.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Drawn service areas that contain `p`: the bounding box narrows, the polygon decides.
async fn drawn_areas_containing(db: &Db, p: Point) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT id, extent FROM dir_service_areas WHERE extent_type = 'geojson' \
         AND min_latitude <= $1 AND max_latitude >= $1 AND min_longitude <= $2 AND max_longitude >= $2",
    )
    .bind(p.latitude)
    .bind(p.longitude)
    .fetch_all(db.pool())
    .await?;
    let mut ids = Vec::new();
    for r in rows {
        let extent: Option<String> = r.try_get("extent")?;
        if let Some(region) =
            extent.and_then(|e| harbour_domain::place::Region::from_geojson(&e).ok())
            && region.contains(p)
        {
            ids.push(r.try_get("id")?);
        }
    }
    Ok(ids)
}

/// Locations within `metres` of `p`. Confidential ones are never counted: a search by
/// distance from chosen postcodes would otherwise find a refuge.
async fn locations_within(db: &Db, p: Point, metres: f64) -> Result<Vec<String>> {
    let b = p.bounding_box(metres);
    let rows = sqlx::query(
        "SELECT id, latitude, longitude, confidential FROM dir_locations \
         WHERE latitude BETWEEN $1 AND $2 AND longitude BETWEEN $3 AND $4",
    )
    .bind(b.min_latitude)
    .bind(b.max_latitude)
    .bind(b.min_longitude)
    .bind(b.max_longitude)
    .fetch_all(db.pool())
    .await?;
    let mut ids = Vec::new();
    for r in rows {
        if get_bool(&r, "confidential")? {
            continue;
        }
        let (lat, lon): (Option<f64>, Option<f64>) =
            (r.try_get("latitude")?, r.try_get("longitude")?);
        if let Some(q) = lat.zip(lon).and_then(|(a, o)| Point::new(a, o))
            && p.distance_m(q) <= metres
        {
            ids.push(r.try_get("id")?);
        }
    }
    Ok(ids)
}

/// What a search needs worked out in Rust before the SQL: which drawn areas contain the
/// postcode, which locations are near it.
struct Resolved {
    drawn: Vec<String>,
    nearby: Option<Vec<String>>,
}

async fn resolve(db: &Db, q: &Query) -> Result<Resolved> {
    let Some(near) = &q.near else {
        return Ok(Resolved {
            drawn: vec![],
            nearby: None,
        });
    };
    let drawn = drawn_areas_containing(db, near.point).await?;
    let nearby = match near.proximity_m {
        Some(m) => Some(locations_within(db, near.point, m).await?),
        None => None,
    };
    Ok(Resolved { drawn, nearby })
}

/// The conditions on service `s` (and, for service-at-locations, the row `sl`).
fn service_filter(q: &Query, r: &Resolved, at_location: bool) -> Filter {
    let mut f = Filter::default();
    if let Some(text) = q.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let p = f.text(like_pattern(text));
        f.conditions.push(format!(
            "(lower(s.name) LIKE {p} ESCAPE '\\' OR lower(COALESCE(s.description, '')) LIKE {p} ESCAPE '\\' \
             OR lower(o.name) LIKE {p} ESCAPE '\\')"
        ));
    }
    for term in &q.taxonomy_term_ids {
        let p = f.text(term.clone());
        f.conditions.push(format!(
            "s.id IN (SELECT a.link_id FROM dir_attributes a WHERE a.taxonomy_term_id = {p})"
        ));
    }
    if let Some(t) = &q.taxonomy_id {
        let p = f.text(t.clone());
        f.conditions.push(format!(
            "s.id IN (SELECT a.link_id FROM dir_attributes a JOIN dir_taxonomy_terms t ON t.id = a.taxonomy_term_id \
             WHERE t.taxonomy_id = {p})"
        ));
    }
    if let Some(o) = &q.organization_id {
        let p = f.text(o.clone());
        f.conditions.push(format!("s.organization_id = {p}"));
    }
    if let Some(a) = q.minimum_age {
        let p = f.real(a);
        f.conditions.push(format!("s.minimum_age >= {p}"));
    }
    if let Some(a) = q.maximum_age {
        let p = f.real(a);
        f.conditions.push(format!("s.maximum_age <= {p}"));
    }
    if q.day.is_some() || q.start_minute.is_some() || q.end_minute.is_some() {
        // One schedule must satisfy every time filter; it belongs to the service or to one of
        // its places.
        let on = |f: &mut Filter| {
            let mut c = Vec::new();
            if let Some(d) = &q.day {
                let p = f.text(format!("%{d}%"));
                c.push(format!("h.byday LIKE {p}"));
            }
            if let Some(m) = q.start_minute {
                let p = f.int(m);
                c.push(format!("h.opens_minute >= {p}"));
            }
            if let Some(m) = q.end_minute {
                let p = f.int(m);
                c.push(format!("h.closes_minute <= {p}"));
            }
            c.join(" AND ")
        };
        let direct = on(&mut f);
        let placed = on(&mut f);
        if at_location {
            f.conditions.push(format!(
                "(s.id IN (SELECT h.service_id FROM dir_schedules h WHERE {direct}) \
                 OR sl.id IN (SELECT h.service_at_location_id FROM dir_schedules h WHERE {placed}))"
            ));
        } else {
            f.conditions.push(format!(
                "s.id IN (SELECT h.service_id FROM dir_schedules h WHERE {direct} \
                 UNION SELECT x.service_id FROM dir_schedules h JOIN dir_service_at_locations x \
                 ON x.id = h.service_at_location_id WHERE {placed})"
            ));
        }
    }
    if let Some(m) = &q.modified_after {
        let p = f.text(m.clone());
        f.conditions.push(format!("s.last_modified >= {p}"));
    }
    if !q.statuses.is_empty() {
        let p = f.list(&q.statuses);
        f.conditions.push(format!("s.status IN ({p})"));
    }
    if let Some(near) = &q.near {
        // Inside one of its service areas, when it has any (the standard's rule).
        let codes = f.list(&near.areas);
        let drawn = if r.drawn.is_empty() {
            String::new()
        } else {
            format!(
                " OR s.id IN (SELECT a.service_id FROM dir_service_areas a WHERE a.id IN ({}))",
                f.list(&r.drawn)
            )
        };
        f.conditions.push(format!(
            // `limited_to_areas` is kept on write; each IN is answered from an index.
            "(NOT s.limited_to_areas \
             OR s.id IN (SELECT a.service_id FROM dir_service_areas a WHERE a.area_code IN ({codes})){drawn})"
        ));
        if let Some(nearby) = &r.nearby {
            if nearby.is_empty() {
                f.conditions.push("1 = 0".to_owned());
            } else {
                let ids = f.list(nearby);
                f.conditions.push(if at_location {
                    format!("sl.location_id IN ({ids})")
                } else {
                    format!(
                        "s.id IN (SELECT x.service_id FROM dir_service_at_locations x WHERE x.location_id IN ({ids}))"
                    )
                });
            }
        }
    }
    f
}

/// Ids of the services matching `q` on the requested page, and how many match in all.
pub async fn services(db: &Db, q: &Query, paging: Paging) -> Result<(Vec<String>, u64)> {
    let r = resolve(db, q).await?;
    let f = service_filter(q, &r, false);
    let from = "FROM dir_services s JOIN dir_organizations o ON o.id = s.organization_id";
    page_of(db, &f, from, "s.id", "s.name, s.id", paging).await
}

/// One page of `key`s and the number matching in all. SQLite answers both fastest in one query
/// with a window count; PostgreSQL's planner then walks the whole name index row by row, so there
/// the page (which can stop early) and the count (which can hash) are asked separately, at once.
async fn page_of(
    db: &Db,
    f: &Filter,
    from: &str,
    key: &str,
    order: &str,
    paging: Paging,
) -> Result<(Vec<String>, u64)> {
    let limit = f.next();
    let window = db.backend() == crate::db::Backend::Sqlite;
    let page_sql = format!(
        "SELECT {key} AS id{} {from} WHERE {} ORDER BY {order} LIMIT ${limit} OFFSET ${}",
        if window {
            ", COUNT(*) OVER () AS total"
        } else {
            ""
        },
        f.clause(),
        limit + 1
    );
    let page = f
        .apply(sqlx::query(&page_sql))
        .bind(i64::try_from(paging.per_page).unwrap_or(i64::MAX))
        .bind(
            i64::try_from((paging.page.max(1) - 1).saturating_mul(paging.per_page))
                .unwrap_or(i64::MAX),
        )
        .fetch_all(db.pool());
    let count_sql = format!("SELECT COUNT(*) AS n {from} WHERE {}", f.clause());
    let count = f.apply(sqlx::query(&count_sql)).fetch_one(db.pool());
    let (rows, total) = if window {
        let rows = page.await?;
        let total: i64 = match rows.first() {
            Some(r) => r.try_get("total")?,
            // A page past the end has no row to carry the count.
            None => count.await?.try_get("n")?,
        };
        (rows, total)
    } else {
        // Both at once, on two connections.
        let (rows, count) = tokio::try_join!(page, count)?;
        (rows, count.try_get("n")?)
    };
    let ids = rows
        .iter()
        .map(|r| r.try_get::<String, _>("id"))
        .collect::<std::result::Result<_, _>>()?;
    Ok((ids, total.max(0) as u64))
}

/// Every service id matching `q`, in order (for exports and the public search page).
pub async fn all_services(db: &Db, q: &Query) -> Result<Vec<String>> {
    let (ids, _) = services(
        db,
        q,
        Paging {
            page: 1,
            per_page: i64::MAX as u64 / 2,
        },
    )
    .await?;
    Ok(ids)
}

/// Ids of the service-at-locations matching `q` on the page, and how many in all.
pub async fn service_at_locations(
    db: &Db,
    q: &Query,
    paging: Paging,
) -> Result<(Vec<String>, u64)> {
    let r = resolve(db, q).await?;
    let f = service_filter(q, &r, true);
    // A service at a confidential location (a refuge) is left out of the open list: its
    // service stays in /services, with its public routes in.
    let from = "FROM dir_service_at_locations sl JOIN dir_services s ON s.id = sl.service_id \
                JOIN dir_organizations o ON o.id = s.organization_id \
                JOIN dir_locations loc ON loc.id = sl.location_id AND NOT loc.confidential";
    page_of(db, &f, from, "sl.id", "s.name, sl.id", paging).await
}

/// A page of taxonomies, by name.
pub async fn taxonomies(db: &Db, paging: Paging) -> Result<(Vec<super::oruk::Taxonomy>, u64)> {
    let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM dir_taxonomies")
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    let rows = sqlx::query(
        "SELECT id, name, description, uri, version FROM dir_taxonomies ORDER BY name, id LIMIT $1 OFFSET $2",
    )
    .bind(paging.per_page as i64)
    .bind(((paging.page.max(1) - 1) * paging.per_page) as i64)
    .fetch_all(db.pool())
    .await?;
    let list = rows
        .iter()
        .map(super::read::taxonomy_from)
        .collect::<Result<_>>()?;
    Ok((list, total.max(0) as u64))
}

/// A page of taxonomy terms, optionally of one taxonomy, by name.
pub async fn taxonomy_terms(
    db: &Db,
    taxonomy_id: Option<&str>,
    paging: Paging,
) -> Result<(Vec<super::oruk::TaxonomyTerm>, u64)> {
    let (cond, bind) = match taxonomy_id {
        Some(t) => ("t.taxonomy_id = $1", Some(t)),
        None => ("1 = 1", None),
    };
    let n = if bind.is_some() { 2 } else { 1 };
    let count_sql = format!("SELECT COUNT(*) AS n FROM dir_taxonomy_terms t WHERE {cond}");
    let mut count = sqlx::query(&count_sql);
    let sql = format!(
        "SELECT {} FROM dir_taxonomy_terms t WHERE {cond} ORDER BY t.name, t.id LIMIT ${n} OFFSET ${}",
        super::read::TERM_COLUMNS,
        n + 1
    );
    let mut page = sqlx::query(&sql);
    if let Some(t) = bind {
        count = count.bind(t);
        page = page.bind(t);
    }
    let total: i64 = count.fetch_one(db.pool()).await?.try_get("n")?;
    let rows = page
        .bind(paging.per_page as i64)
        .bind(((paging.page.max(1) - 1) * paging.per_page) as i64)
        .fetch_all(db.pool())
        .await?;
    let list = rows
        .iter()
        .map(super::read::term_row)
        .collect::<Result<_>>()?;
    Ok((list, total.max(0) as u64))
}
