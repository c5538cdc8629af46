//! Reading directory records as Open Referral JSON, fully nested or as list items, for the
//! public (confidential rows left out or marked withheld) or for partners (everything).

mod at_locations;
mod services;
mod taxonomies;

use at_locations::service_at_locations_of;
pub use at_locations::{service_at_location_full, service_at_location_items};
pub use services::{locations, services_full, with_withheld_locations};
pub use taxonomies::{taxonomy, taxonomy_term};
pub(crate) use taxonomies::{taxonomy_from, term_row};

use super::oruk::{
    Accessibility, Address, Attribute, Contact, CostOption, Funding, HarbourService, Language,
    Location, Organization, OrganizationIdentifier, Phone, Schedule, Service, ServiceArea,
    ServiceAtLocation, Taxonomy, TaxonomyTerm,
};
use crate::db::{Db, get_bool};
use crate::error::Result;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

/// Who is reading: the open feed never carries confidential rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Public,
    Partner,
}

pub(crate) fn text(r: &AnyRow, c: &str) -> Result<Option<String>> {
    Ok(r.try_get::<Option<String>, _>(c)?.filter(|s| !s.is_empty()))
}

pub(super) fn number(r: &AnyRow, c: &str) -> Result<Option<f64>> {
    Ok(r.try_get::<Option<f64>, _>(c)?)
}

pub(super) fn whole(r: &AnyRow, c: &str) -> Result<Option<f64>> {
    Ok(r.try_get::<Option<i64>, _>(c)?.map(|n| n as f64))
}

pub(super) fn id(r: &AnyRow) -> Result<String> {
    Ok(r.try_get("id")?)
}

/// `$1, $2, …` from `start`.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows of `sql` (which ends `IN (`…`)` over `ids`), fetched in chunks.
pub(super) async fn rows_for(
    db: &Db,
    sql_before_in: &str,
    sql_after_in: &str,
    ids: &[String],
) -> Result<Vec<AnyRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "{sql_before_in} IN ({}) {sql_after_in}",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for i in chunk {
            q = q.bind(i.as_str());
        }
        out.extend(q.fetch_all(db.pool()).await?);
    }
    Ok(out)
}

/// Child rows grouped by the record they belong to (the `key` column), each built by `build`;
/// a row it answers `None` for is left out.
pub(super) fn grouped<T>(
    rows: &[AnyRow],
    key: &str,
    mut build: impl FnMut(&AnyRow) -> Result<Option<T>>,
) -> Result<HashMap<String, Vec<T>>> {
    let mut m: HashMap<String, Vec<T>> = HashMap::new();
    for r in rows {
        if let Some(v) = build(r)? {
            m.entry(r.try_get(key)?).or_default().push(v);
        }
    }
    Ok(m)
}

pub(super) fn phone_from(r: &AnyRow) -> Result<Phone> {
    Ok(Phone {
        id: id(r)?,
        number: r.try_get("number")?,
        extension: whole(r, "extension")?,
        kind: text(r, "type")?,
        description: text(r, "description")?,
        languages: vec![],
        confidential: get_bool(r, "confidential")?,
    })
}

/// Phones belonging to any of `ids` through `column`, keyed by that owner.
pub(super) async fn phones_by(
    db: &Db,
    column: &str,
    ids: &[String],
    view: View,
) -> Result<HashMap<String, Vec<Phone>>> {
    let rows = rows_for(
        db,
        &format!("SELECT {column} AS owner, id, number, extension, type, description, confidential FROM dir_phones WHERE {column}"),
        "ORDER BY confidential, number, id",
        ids,
    )
    .await?;
    grouped(&rows, "owner", |r| {
        let p = phone_from(r)?;
        Ok((view == View::Partner || !p.confidential).then_some(p))
    })
}

pub(super) fn term_from(r: &AnyRow, prefix: &str) -> Result<TaxonomyTerm> {
    let c = |n: &str| format!("{prefix}{n}");
    Ok(TaxonomyTerm {
        id: r.try_get(c("id").as_str())?,
        code: text(r, &c("code"))?,
        name: r.try_get(c("name").as_str())?,
        description: r.try_get(c("description").as_str())?,
        parent_id: text(r, &c("parent_id"))?,
        taxonomy: text(r, &c("taxonomy"))?,
        taxonomy_id: text(r, &c("taxonomy_id"))?,
        language: text(r, &c("language"))?,
        term_uri: text(r, &c("term_uri"))?,
        taxonomy_detail: None,
    })
}

pub(crate) const TERM_COLUMNS: &str = "t.id AS t_id, t.code AS t_code, t.name AS t_name, t.description AS t_description, \
     t.parent_id AS t_parent_id, t.taxonomy AS t_taxonomy, t.taxonomy_id AS t_taxonomy_id, \
     t.language AS t_language, t.term_uri AS t_term_uri";

pub(super) async fn attributes_by(
    db: &Db,
    ids: &[String],
) -> Result<HashMap<String, Vec<Attribute>>> {
    let rows = rows_for(
        db,
        &format!(
            "SELECT a.id, a.link_id, a.link_type, a.link_entity, a.value, a.taxonomy_term_id, {TERM_COLUMNS} \
             FROM dir_attributes a JOIN dir_taxonomy_terms t ON t.id = a.taxonomy_term_id WHERE a.link_id"
        ),
        "ORDER BY t.taxonomy_id, t.name, a.id",
        ids,
    )
    .await?;
    grouped(&rows, "link_id", |r| {
        Ok(Some(Attribute {
            id: id(r)?,
            link_id: Some(r.try_get("link_id")?),
            taxonomy_term_id: Some(r.try_get("taxonomy_term_id")?),
            link_type: text(r, "link_type")?,
            link_entity: text(r, "link_entity")?,
            value: text(r, "value")?,
            taxonomy_term: Some(term_from(r, "t_")?),
        }))
    })
}

pub(super) fn organization_from(r: &AnyRow, prefix: &str) -> Result<Organization> {
    let c = |n: &str| format!("{prefix}{n}");
    Ok(Organization {
        id: r.try_get(c("id").as_str())?,
        name: r.try_get(c("name").as_str())?,
        description: r.try_get(c("description").as_str())?,
        email: text(r, &c("email"))?,
        website: text(r, &c("website"))?,
        logo: text(r, &c("logo"))?,
        uri: text(r, &c("uri"))?,
        parent_organization_id: text(r, &c("parent_organization_id"))?,
        organization_identifiers: vec![],
        phones: vec![],
        agency: None,
    })
}

/// Harbour's own fields for `ids` (partners only), and the agency keeping each organisation.
pub(super) async fn harbour_fields(
    db: &Db,
    ids: &[String],
) -> Result<HashMap<String, (HarbourService, Option<String>)>> {
    let rows = rows_for(
        db,
        "SELECT s.id, s.gender, s.referral_route, s.referral_email, s.referral_phone, s.capacity_unit, \
         s.capacity_free, s.capacity_total, s.capacity_updated_at, s.last_checked_on, a.name AS agency \
         FROM dir_services s JOIN dir_organizations o ON o.id = s.organization_id \
         LEFT JOIN agencies a ON a.id = o.agency_id WHERE s.id",
        "",
        ids,
    )
    .await?;
    let mut out = HashMap::new();
    for r in &rows {
        let count = |c: &str| -> Result<Option<u32>> {
            Ok(r.try_get::<Option<i64>, _>(c)?
                .and_then(|n| u32::try_from(n).ok()))
        };
        out.insert(
            id(r)?,
            (
                HarbourService {
                    gender: text(r, "gender")?,
                    referral_route: text(r, "referral_route")?,
                    referral_email: text(r, "referral_email")?,
                    referral_phone: text(r, "referral_phone")?,
                    capacity_unit: text(r, "capacity_unit")?,
                    capacity_free: count("capacity_free")?,
                    capacity_total: count("capacity_total")?,
                    capacity_updated_at: text(r, "capacity_updated_at")?,
                    last_checked_on: text(r, "last_checked_on")?,
                },
                text(r, "agency")?,
            ),
        );
    }
    Ok(out)
}

pub(crate) const SERVICE_COLUMNS: &str = "s.id, s.organization_id, s.name, s.description, s.url, s.email, s.status, \
     s.fees, s.accreditations, s.minimum_age, s.maximum_age, s.assured_date, s.assurer_email, s.alert, \
     s.last_modified, o.id AS o_id, o.name AS o_name, o.description AS o_description, o.email AS o_email, \
     o.website AS o_website, o.logo AS o_logo, o.uri AS o_uri, o.parent_organization_id AS o_parent_organization_id";

/// A service's one-to-one fields and its organisation, as in list responses.
pub(crate) fn service_item(r: &AnyRow) -> Result<Service> {
    Ok(Service {
        id: id(r)?,
        organization_id: text(r, "organization_id")?,
        name: r.try_get("name")?,
        description: text(r, "description")?,
        url: text(r, "url")?,
        email: text(r, "email")?,
        status: r.try_get("status")?,
        fees: text(r, "fees")?,
        accreditations: text(r, "accreditations")?,
        minimum_age: whole(r, "minimum_age")?,
        maximum_age: whole(r, "maximum_age")?,
        assured_date: text(r, "assured_date")?,
        assurer_email: text(r, "assurer_email")?,
        alert: text(r, "alert")?,
        last_modified: text(r, "last_modified")?,
        organization: Some(organization_from(r, "o_")?),
        ..Service::default()
    })
}

/// List items for `ids`, in the order given.
pub async fn service_items(db: &Db, ids: &[String]) -> Result<Vec<Service>> {
    let rows = rows_for(
        db,
        &format!("SELECT {SERVICE_COLUMNS} FROM dir_services s JOIN dir_organizations o ON o.id = s.organization_id WHERE s.id"),
        "",
        ids,
    )
    .await?;
    let mut by_id: HashMap<String, Service> = HashMap::new();
    for r in &rows {
        let s = service_item(r)?;
        by_id.insert(s.id.clone(), s);
    }
    Ok(ids.iter().filter_map(|i| by_id.remove(i)).collect())
}

pub(super) fn schedule_from(r: &AnyRow) -> Result<Schedule> {
    Ok(Schedule {
        id: id(r)?,
        valid_from: text(r, "valid_from")?,
        valid_to: text(r, "valid_to")?,
        dtstart: text(r, "dtstart")?,
        timezone: number(r, "timezone")?,
        until: text(r, "until")?,
        count: whole(r, "count")?,
        wkst: text(r, "wkst")?,
        freq: text(r, "freq")?,
        interval: whole(r, "interval")?,
        byday: text(r, "byday")?,
        byweekno: text(r, "byweekno")?,
        bymonthday: text(r, "bymonthday")?,
        byyearday: text(r, "byyearday")?,
        description: text(r, "description")?,
        opens_at: text(r, "opens_at")?,
        closes_at: text(r, "closes_at")?,
        schedule_link: text(r, "schedule_link")?,
        attending_type: text(r, "attending_type")?,
        notes: text(r, "notes")?,
    })
}

pub(super) const SCHEDULE_COLUMNS: &str = "id, valid_from, valid_to, dtstart, timezone, until, count, wkst, freq, interval, \
     byday, byweekno, bymonthday, byyearday, description, opens_at, closes_at, schedule_link, attending_type, notes";

pub(super) async fn schedules_by(
    db: &Db,
    column: &str,
    ids: &[String],
) -> Result<HashMap<String, Vec<Schedule>>> {
    let rows = rows_for(
        db,
        &format!("SELECT {column} AS owner, {SCHEDULE_COLUMNS} FROM dir_schedules WHERE {column}"),
        "ORDER BY opens_minute, id",
        ids,
    )
    .await?;
    grouped(&rows, "owner", |r| schedule_from(r).map(Some))
}
