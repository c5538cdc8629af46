//! Loading Open Referral UK JSON into the directory: a council's feed, another Harbour's
//! export, or the demo directory. Each service is checked and then written with everything
//! under it, replacing what an earlier load put there; a service with a problem is reported
//! with its place in the file and the rest still load. Harbour's own fields (capacity, who it
//! is for, how to refer) are only changed when the file carries them, so reloading a
//! council's feed never wipes what partners keep up to date.

use super::oruk::{Export, Service};
use crate::areas::list_areas;
use crate::audit;
use crate::db::{Db, WriteTx};
use crate::error::{Result, StorageError};
use harbour_domain::area::is_gss_code;
use harbour_domain::audit::{AuditAction, AuditEvent};
use harbour_domain::directory::{GenderEligibility, ReferralRoute, ServiceStatus};
use harbour_domain::place::{Point, Region};
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use super::taxonomy::{ensure_harbour_taxonomies, upsert_term};
use super::writer::write_service;

/// What happened to each service in a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    /// (index in the file's `services`, name as given, reason).
    pub rejected: Vec<(usize, String, String)>,
}

/// Who is loading, for the change history and the audit trail.
#[derive(Debug, Clone)]
pub struct Loader {
    pub user_id: Option<String>,
    pub agency_id: Option<String>,
    /// Shown in the change history: a person's name or "import from FILE".
    pub label: String,
    pub request_id: String,
}

/// The ONS linked-data address of a GSS code, used as a named service area's `uri`.
pub fn area_uri(code: &str) -> String {
    format!("http://statistics.data.gov.uk/id/statistical-geography/{code}")
}

pub(super) fn code_from_uri(uri: &str) -> Option<String> {
    let last = uri.trim_end_matches('/').rsplit('/').next()?;
    is_gss_code(last).then(|| last.to_owned())
}

/// Minutes after midnight from `HH:MM`, `HH:MM:SS`, with or without an offset.
pub fn minutes(time: &str) -> Option<i64> {
    let t = time.trim();
    let (h, rest) = t.split_once(':')?;
    let h: i64 = h.parse().ok()?;
    let m: i64 = rest.get(..2)?.parse().ok()?;
    ((0..=24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

pub(super) fn valid_uuid(s: &str) -> bool {
    Uuid::parse_str(s).is_ok()
}

/// Writes Harbour's own taxonomies (needs, tiers, crimes) with their fixed identifiers.
/// Loads a whole file in one transaction, audited as one change.
pub async fn import(db: &Db, export: &Export, who: &Loader) -> Result<ImportReport> {
    let mut tx = db.begin_write().await?;
    let report = import_in(&mut tx, db, export, who).await?;
    audit::append(
        &mut tx,
        &AuditEvent {
            actor_user_id: who.user_id.clone(),
            actor_agency_id: who.agency_id.clone(),
            action: AuditAction::Change,
            entity_kind: "directory".into(),
            entity_id: None,
            purpose: format!(
                "directory import: {} created, {} updated, {} rejected",
                report.created,
                report.updated,
                report.rejected.len()
            ),
            request_id: who.request_id.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    super::profiles::forget(db);
    // A load can change the tables' shape a lot: give PostgreSQL's planner fresh statistics
    // now rather than when autovacuum next looks.
    if db.backend() == crate::db::Backend::Postgres && report.created + report.updated > 0 {
        sqlx::query(
            "ANALYZE dir_services, dir_organizations, dir_attributes, dir_taxonomy_terms, dir_service_areas, \
             dir_schedules, dir_service_at_locations, dir_locations",
        )
        .execute(db.pool())
        .await?;
    }
    Ok(report)
}

pub(super) struct Context {
    pub(super) areas: Vec<harbour_domain::area::Area>,
    pub(super) agencies: HashMap<String, String>,
    pub(super) known_terms: HashSet<String>,
    pub(super) known_taxonomies: HashSet<String>,
    pub(super) known_orgs: HashSet<String>,
    /// Services and locations stored before this import or written earlier in it: only these
    /// can have rows to clear before they are written afresh (a first load skips the deletes).
    pub(super) known_services: HashSet<String>,
    pub(super) known_locations: HashSet<String>,
}

async fn ids(tx: &mut WriteTx, sql: &str) -> Result<HashSet<String>> {
    Ok(sqlx::query(sql)
        .fetch_all(tx.conn())
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<std::result::Result<_, _>>()?)
}

pub(crate) async fn import_in(
    tx: &mut WriteTx,
    db: &Db,
    export: &Export,
    who: &Loader,
) -> Result<ImportReport> {
    ensure_harbour_taxonomies(tx).await?;
    let mut cx = Context {
        areas: list_areas(db).await?,
        agencies: sqlx::query("SELECT id, name FROM agencies")
            .fetch_all(tx.conn())
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("name")?.to_lowercase(),
                    r.try_get("id")?,
                ))
            })
            .collect::<Result<_>>()?,
        known_terms: ids(tx, "SELECT id FROM dir_taxonomy_terms").await?,
        known_taxonomies: ids(tx, "SELECT id FROM dir_taxonomies").await?,
        known_orgs: ids(tx, "SELECT id FROM dir_organizations").await?,
        known_services: ids(tx, "SELECT id FROM dir_services").await?,
        known_locations: ids(tx, "SELECT id FROM dir_locations").await?,
    };
    for t in &export.taxonomies {
        if !valid_uuid(&t.id) || t.name.trim().is_empty() {
            continue;
        }
        sqlx::query(
            "INSERT INTO dir_taxonomies (id, name, description, uri, version) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, \
             uri = excluded.uri, version = excluded.version",
        )
        .bind(&t.id)
        .bind(&t.name)
        .bind(&t.description)
        .bind(&t.uri)
        .bind(&t.version)
        .execute(tx.conn())
        .await?;
        cx.known_taxonomies.insert(t.id.clone());
    }
    for term in &export.taxonomy_terms {
        if valid_uuid(&term.id) && !term.name.trim().is_empty() {
            upsert_term(tx, &mut cx, term).await?;
        }
    }
    let existing = cx.known_services.clone();
    let mut report = ImportReport::default();
    for (i, service) in export.services.iter().enumerate() {
        if let Err(why) = check(service, &cx) {
            report.rejected.push((i, service.name.clone(), why));
            continue;
        }
        match write_service(tx, &mut cx, service, who).await {
            Ok(()) if existing.contains(&service.id) => report.updated += 1,
            Ok(()) => report.created += 1,
            Err(StorageError::Invalid(e)) => {
                report
                    .rejected
                    .push((i, service.name.clone(), e.to_string()));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

/// Everything that can be said against a service before writing it.
fn check(s: &Service, cx: &Context) -> std::result::Result<(), String> {
    if !valid_uuid(&s.id) {
        return Err("id must be a UUID".into());
    }
    if s.name.trim().is_empty() {
        return Err("name is missing".into());
    }
    if ServiceStatus::from_code(&s.status).is_none() {
        return Err("status must be active, inactive, defunct or temporarily closed".into());
    }
    match (&s.organization, &s.organization_id) {
        (Some(o), _) => {
            if !valid_uuid(&o.id) {
                return Err("organization/id must be a UUID".into());
            }
            if o.name.trim().is_empty() {
                return Err("organization/name is missing".into());
            }
        }
        (None, Some(id)) if cx.known_orgs.contains(id) => {}
        (None, Some(_)) => {
            return Err(
                "organization_id names an organisation not in the file or the directory".into(),
            );
        }
        (None, None) => return Err("the service has no organization".into()),
    }
    for (field, age) in [
        ("minimum_age", s.minimum_age),
        ("maximum_age", s.maximum_age),
    ] {
        if let Some(a) = age
            && !(0.0..=150.0).contains(&a)
        {
            return Err(format!("{field} must be between 0 and 150"));
        }
    }
    for (n, a) in s.attributes.iter().enumerate() {
        let term_id = a
            .taxonomy_term
            .as_ref()
            .map(|t| t.id.clone())
            .or_else(|| a.taxonomy_term_id.clone());
        match term_id {
            Some(t) if valid_uuid(&t) => {
                if a.taxonomy_term.is_none() && !cx.known_terms.contains(&t) {
                    return Err(format!(
                        "attributes/{n}: the taxonomy term is not in the file or the directory"
                    ));
                }
            }
            _ => return Err(format!("attributes/{n}: taxonomy_term_id must be a UUID")),
        }
    }
    for (n, area) in s.service_areas.iter().enumerate() {
        if area.extent_type.as_deref() == Some("geojson")
            && let Some(extent) = &area.extent
            && let Err(e) = Region::from_geojson(extent)
        {
            return Err(format!("service_areas/{n}: {e}"));
        }
    }
    for (n, sal) in s.service_at_locations.iter().enumerate() {
        let Some(l) = &sal.location else {
            return Err(format!("service_at_locations/{n}: the location is missing"));
        };
        if !valid_uuid(&sal.id) || !valid_uuid(&l.id) {
            return Err(format!("service_at_locations/{n}: ids must be UUIDs"));
        }
        if !["physical", "postal", "virtual"].contains(&l.location_type.as_str()) {
            return Err(format!(
                "service_at_locations/{n}/location: location_type must be physical, postal or virtual"
            ));
        }
        if let (Some(a), Some(o)) = (l.latitude, l.longitude)
            && Point::new(a, o).is_none()
        {
            return Err(format!(
                "service_at_locations/{n}/location: latitude or longitude is off the globe"
            ));
        }
    }
    if let Some(h) = &s.harbour {
        if let Some(g) = &h.gender
            && GenderEligibility::from_slug(g).is_none()
        {
            return Err("x_harbour/gender must be any, women or men".into());
        }
        if let Some(r) = &h.referral_route
            && ReferralRoute::from_slug(r).is_none()
        {
            return Err("x_harbour/referral_route must be harbour, phone, email or self".into());
        }
    }
    Ok(())
}

/// Reads an Open Referral file in any of the shapes feeds come in: Harbour's export (an object
/// with `services`), a bare array of services, a page from a `/services` endpoint (`contents`),
/// or one service.
pub fn parse_file(text: &str) -> Result<Export> {
    let bad = |why: String| StorageError::invalid("file", &why);
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad(format!("The file is not JSON: {e}")))?;
    let services = |v: serde_json::Value| -> Result<Vec<Service>> {
        serde_json::from_value(v)
            .map_err(|e| bad(format!("A service is not in the Open Referral shape: {e}")))
    };
    match value {
        serde_json::Value::Array(_) => Ok(Export {
            services: services(value)?,
            ..Export::default()
        }),
        serde_json::Value::Object(ref map) if map.contains_key("services") => serde_json::from_value(value)
            .map_err(|e| bad(format!("The file is not in Harbour's export shape: {e}"))),
        serde_json::Value::Object(mut map) if map.contains_key("contents") => Ok(Export {
            services: services(map.remove("contents").unwrap_or_default())?,
            ..Export::default()
        }),
        serde_json::Value::Object(ref map) if map.contains_key("id") && map.contains_key("name") => Ok(Export {
            services: services(serde_json::Value::Array(vec![value]))?,
            ..Export::default()
        }),
        _ => Err(bad(
            "The file holds no services: expected an array of services, an object with services or contents, or one service"
                .into(),
        )),
    }
}
