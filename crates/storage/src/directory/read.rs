//! Reading directory records as Open Referral JSON, fully nested or as list items, for the
//! public (confidential rows left out or marked withheld) or for partners (everything).

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

fn number(r: &AnyRow, c: &str) -> Result<Option<f64>> {
    Ok(r.try_get::<Option<f64>, _>(c)?)
}

fn whole(r: &AnyRow, c: &str) -> Result<Option<f64>> {
    Ok(r.try_get::<Option<i64>, _>(c)?.map(|n| n as f64))
}

fn id(r: &AnyRow) -> Result<String> {
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
async fn rows_for(
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
fn grouped<T>(
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

fn phone_from(r: &AnyRow) -> Result<Phone> {
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
async fn phones_by(
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

fn term_from(r: &AnyRow, prefix: &str) -> Result<TaxonomyTerm> {
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

async fn attributes_by(db: &Db, ids: &[String]) -> Result<HashMap<String, Vec<Attribute>>> {
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

fn organization_from(r: &AnyRow, prefix: &str) -> Result<Organization> {
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
async fn harbour_fields(
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

fn schedule_from(r: &AnyRow) -> Result<Schedule> {
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

const SCHEDULE_COLUMNS: &str = "id, valid_from, valid_to, dtstart, timezone, until, count, wkst, freq, interval, \
     byday, byweekno, bymonthday, byyearday, description, opens_at, closes_at, schedule_link, attending_type, notes";

async fn schedules_by(
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

/// Locations by id, nested with addresses, accessibility and phones. A confidential one is
/// marked withheld in the public view and carries nothing that would find it.
pub async fn locations(db: &Db, ids: &[String], view: View) -> Result<HashMap<String, Location>> {
    let rows = rows_for(
        db,
        "SELECT id, organization_id, location_type, url, name, alternate_name, description, transportation, \
         latitude, longitude, external_identifier, external_identifier_type, confidential FROM dir_locations WHERE id",
        "",
        ids,
    )
    .await?;
    let addresses = {
        let rows = rows_for(
            db,
            "SELECT location_id AS owner, id, attention, address_1, address_2, city, region, state_province, \
             postal_code, country, address_type FROM dir_addresses WHERE location_id",
            "ORDER BY id",
            ids,
        )
        .await?;
        grouped(&rows, "owner", |r| {
            Ok(Some(Address {
                id: id(r)?,
                attention: text(r, "attention")?,
                address_1: r.try_get("address_1")?,
                address_2: text(r, "address_2")?,
                city: r.try_get("city")?,
                region: text(r, "region")?,
                state_province: r.try_get("state_province")?,
                postal_code: r.try_get("postal_code")?,
                country: r.try_get("country")?,
                address_type: r.try_get("address_type")?,
            }))
        })?
    };
    let accessibility = {
        let rows = rows_for(
            db,
            "SELECT location_id AS owner, id, description, details, url FROM dir_accessibilities WHERE location_id",
            "ORDER BY id",
            ids,
        )
        .await?;
        grouped(&rows, "owner", |r| {
            Ok(Some(Accessibility {
                id: id(r)?,
                description: text(r, "description")?,
                details: text(r, "details")?,
                url: text(r, "url")?,
            }))
        })?
    };
    let mut phones = phones_by(db, "location_id", ids, view).await?;
    let (mut addresses, mut accessibility) = (addresses, accessibility);
    let mut out = HashMap::new();
    for r in &rows {
        let lid = id(r)?;
        let confidential = get_bool(r, "confidential")?;
        // A confidential location (a refuge's address) is simply absent from public output:
        // not marked, which Open Referral UK has no value for, and not described.
        if confidential && view == View::Public {
            continue;
        }
        let location = {
            Location {
                id: lid.clone(),
                location_type: r.try_get("location_type")?,
                url: text(r, "url")?,
                organization_id: text(r, "organization_id")?,
                name: text(r, "name")?,
                alternate_name: text(r, "alternate_name")?,
                description: text(r, "description")?,
                transportation: text(r, "transportation")?,
                latitude: number(r, "latitude")?,
                longitude: number(r, "longitude")?,
                external_identifier: text(r, "external_identifier")?,
                external_identifier_type: text(r, "external_identifier_type")?,
                addresses: addresses.remove(&lid).unwrap_or_default(),
                accessibility: accessibility.remove(&lid).unwrap_or_default(),
                phones: phones.remove(&lid).unwrap_or_default(),
                confidential,
            }
        };
        out.insert(lid, location);
    }
    Ok(out)
}

/// Which of `ids` have a location withheld from the public (a refuge's address), so a page can
/// say that there is one without saying where.
pub async fn with_withheld_locations(
    db: &Db,
    ids: &[String],
) -> Result<std::collections::HashSet<String>> {
    let rows = rows_for(
        db,
        "SELECT DISTINCT x.service_id AS owner FROM dir_service_at_locations x \
         JOIN dir_locations l ON l.id = x.location_id AND l.confidential WHERE x.service_id",
        "",
        ids,
    )
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("owner")?))
        .collect()
}

/// Services fully nested (the `/services/{id}` shape), in the order of `ids`.
pub async fn services_full(db: &Db, ids: &[String], view: View) -> Result<Vec<Service>> {
    let mut services = service_items(db, ids).await?;
    if services.is_empty() {
        return Ok(services);
    }
    let ids: Vec<String> = services.iter().map(|s| s.id.clone()).collect();
    let org_ids: Vec<String> = services
        .iter()
        .filter_map(|s| s.organization_id.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut phones = phones_by(db, "service_id", &ids, view).await?;
    let org_phones = phones_by(db, "organization_id", &org_ids, view).await?;
    let mut schedules = schedules_by(db, "service_id", &ids).await?;
    let mut attributes = attributes_by(db, &ids).await?;

    let org_identifiers = {
        let rows = rows_for(
            db,
            "SELECT organization_id AS owner, id, identifier_scheme, identifier_type, identifier \
             FROM dir_organization_identifiers WHERE organization_id",
            "ORDER BY id",
            &org_ids,
        )
        .await?;
        grouped(&rows, "owner", |r| {
            Ok(Some(OrganizationIdentifier {
                id: id(r)?,
                identifier_scheme: text(r, "identifier_scheme")?,
                identifier_type: r.try_get("identifier_type")?,
                identifier: r.try_get("identifier")?,
            }))
        })?
    };

    let mut areas = {
        let rows = rows_for(
            db,
            "SELECT service_id AS owner, id, name, description, extent, extent_type, uri FROM dir_service_areas WHERE service_id",
            "ORDER BY name, id",
            &ids,
        )
        .await?;
        grouped(&rows, "owner", |r| {
            Ok(Some(ServiceArea {
                id: id(r)?,
                name: text(r, "name")?,
                description: text(r, "description")?,
                extent: text(r, "extent")?,
                extent_type: text(r, "extent_type")?,
                uri: text(r, "uri")?,
            }))
        })?
    };

    let mut languages = {
        let rows = rows_for(
            db,
            "SELECT service_id AS owner, id, name, code, note FROM dir_languages WHERE service_id",
            "ORDER BY name, id",
            &ids,
        )
        .await?;
        grouped(&rows, "owner", |r| {
            Ok(Some(Language {
                id: id(r)?,
                name: text(r, "name")?,
                code: text(r, "code")?,
                note: text(r, "note")?,
            }))
        })?
    };

    let mut fundings = {
        let rows = rows_for(
            db,
            "SELECT service_id AS owner, id, source FROM dir_fundings WHERE service_id",
            "ORDER BY id",
            &ids,
        )
        .await?;
        grouped(&rows, "owner", |r| {
            Ok(Some(Funding {
                id: id(r)?,
                source: text(r, "source")?,
            }))
        })?
    };

    let mut costs = {
        let rows = rows_for(
            db,
            "SELECT service_id AS owner, id, valid_from, valid_to, option, currency, amount, amount_description \
             FROM dir_cost_options WHERE service_id",
            "ORDER BY id",
            &ids,
        )
        .await?;
        grouped(&rows, "owner", |r| {
            Ok(Some(CostOption {
                id: id(r)?,
                valid_from: text(r, "valid_from")?,
                valid_to: text(r, "valid_to")?,
                option: text(r, "option")?,
                currency: text(r, "currency")?,
                amount: number(r, "amount")?,
                amount_description: text(r, "amount_description")?,
            }))
        })?
    };

    let mut contacts = {
        let rows = rows_for(
            db,
            "SELECT service_id AS owner, id, name, title, department, email, confidential FROM dir_contacts WHERE service_id",
            "ORDER BY name, id",
            &ids,
        )
        .await?;
        let contact_ids: Vec<String> = rows.iter().map(id).collect::<Result<_>>()?;
        let mut contact_phones = phones_by(db, "contact_id", &contact_ids, view).await?;
        grouped(&rows, "owner", |r| {
            let confidential = get_bool(r, "confidential")?;
            if confidential && view == View::Public {
                return Ok(None);
            }
            let cid = id(r)?;
            Ok(Some(Contact {
                phones: contact_phones.remove(&cid).unwrap_or_default(),
                id: cid,
                name: text(r, "name")?,
                title: text(r, "title")?,
                department: text(r, "department")?,
                email: text(r, "email")?,
                confidential,
            }))
        })?
    };

    let mut at_locations = service_at_locations_of(db, &ids, view).await?;
    let mut harbour = match view {
        View::Partner => harbour_fields(db, &ids).await?,
        View::Public => HashMap::new(),
    };

    for s in &mut services {
        let sid = s.id.clone();
        s.phones = phones.remove(&sid).unwrap_or_default();
        s.schedules = schedules.remove(&sid).unwrap_or_default();
        s.attributes = attributes.remove(&sid).unwrap_or_default();
        s.service_areas = areas.remove(&sid).unwrap_or_default();
        s.languages = languages.remove(&sid).unwrap_or_default();
        s.funding = fundings.remove(&sid).unwrap_or_default();
        s.cost_options = costs.remove(&sid).unwrap_or_default();
        s.contacts = contacts.remove(&sid).unwrap_or_default();
        s.service_at_locations = at_locations.remove(&sid).unwrap_or_default();
        let extra = harbour.remove(&sid);
        if let Some(o) = &mut s.organization {
            o.agency = extra.as_ref().and_then(|(_, a)| a.clone());
            o.organization_identifiers = org_identifiers.get(&o.id).cloned().unwrap_or_default();
            o.phones = org_phones.get(&o.id).cloned().unwrap_or_default();
        }
        s.harbour = extra.map(|(h, _)| h);
    }
    Ok(services)
}

/// The places each service is delivered, nested with their location, by service id.
async fn service_at_locations_of(
    db: &Db,
    service_ids: &[String],
    view: View,
) -> Result<HashMap<String, Vec<ServiceAtLocation>>> {
    let rows = rows_for(
        db,
        "SELECT service_id AS owner, id, service_id, location_id, description FROM dir_service_at_locations WHERE service_id",
        "ORDER BY id",
        service_ids,
    )
    .await?;
    let sal_ids: Vec<String> = rows.iter().map(id).collect::<Result<_>>()?;
    let location_ids: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>("location_id"))
        .collect::<std::result::Result<_, _>>()?;
    let locations = locations(db, &location_ids, view).await?;
    let mut schedules = schedules_by(db, "service_at_location_id", &sal_ids).await?;
    let mut phones = phones_by(db, "service_at_location_id", &sal_ids, view).await?;
    grouped(&rows, "owner", |r| {
        let sid = id(r)?;
        let location_id: String = r.try_get("location_id")?;
        // Absent from the map only when withheld from the public: leave the pair out.
        if view == View::Public && !locations.contains_key(&location_id) {
            return Ok(None);
        }
        Ok(Some(ServiceAtLocation {
            schedules: schedules.remove(&sid).unwrap_or_default(),
            phones: phones.remove(&sid).unwrap_or_default(),
            id: sid,
            service_id: Some(r.try_get("service_id")?),
            description: text(r, "description")?,
            location: locations.get(&location_id).cloned(),
            location_id: Some(location_id),
            service: None,
        }))
    })
}

/// One service-at-location, fully nested with its location and its service.
pub async fn service_at_location_full(
    db: &Db,
    sal_id: &str,
    view: View,
) -> Result<Option<ServiceAtLocation>> {
    let Some(row) = sqlx::query("SELECT service_id FROM dir_service_at_locations WHERE id = $1")
        .bind(sal_id)
        .fetch_optional(db.pool())
        .await?
    else {
        return Ok(None);
    };
    let service_id: String = row.try_get("service_id")?;
    let Some(mut service) = services_full(db, &[service_id], view).await?.pop() else {
        return Ok(None);
    };
    let Some(pos) = service
        .service_at_locations
        .iter()
        .position(|x| x.id == sal_id)
    else {
        return Ok(None);
    };
    let mut sal = service.service_at_locations.remove(pos);
    service.service_at_locations.clear();
    sal.service = Some(Box::new(service));
    Ok(Some(sal))
}

/// Service-at-location list items: scalars, with the location's and service's scalars.
pub async fn service_at_location_items(
    db: &Db,
    ids: &[String],
    view: View,
) -> Result<Vec<ServiceAtLocation>> {
    let rows = rows_for(
        db,
        "SELECT id, service_id, location_id, description FROM dir_service_at_locations WHERE id",
        "",
        ids,
    )
    .await?;
    let location_ids: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>("location_id"))
        .collect::<std::result::Result<_, _>>()?;
    let service_ids: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>("service_id"))
        .collect::<std::result::Result<_, _>>()?;
    let locations = locations(db, &location_ids, view).await?;
    let services: HashMap<String, Service> = service_items(db, &service_ids)
        .await?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    let mut by_id = HashMap::new();
    for r in &rows {
        let location_id: String = r.try_get("location_id")?;
        let service_id: String = r.try_get("service_id")?;
        let location = locations.get(&location_id).map(|l| Location {
            addresses: vec![],
            accessibility: vec![],
            phones: vec![],
            ..l.clone()
        });
        let service = services.get(&service_id).map(|s| Service {
            organization: None,
            ..s.clone()
        });
        by_id.insert(
            id(r)?,
            ServiceAtLocation {
                id: id(r)?,
                service_id: Some(service_id),
                location_id: Some(location_id),
                description: text(r, "description")?,
                location,
                service: service.map(Box::new),
                ..ServiceAtLocation::default()
            },
        );
    }
    Ok(ids.iter().filter_map(|i| by_id.remove(i)).collect())
}

pub(crate) fn taxonomy_from(r: &AnyRow) -> Result<Taxonomy> {
    Ok(Taxonomy {
        id: id(r)?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        uri: text(r, "uri")?,
        version: text(r, "version")?,
    })
}

pub async fn taxonomy(db: &Db, taxonomy_id: &str) -> Result<Option<Taxonomy>> {
    sqlx::query("SELECT id, name, description, uri, version FROM dir_taxonomies WHERE id = $1")
        .bind(taxonomy_id)
        .fetch_optional(db.pool())
        .await?
        .map(|r| taxonomy_from(&r))
        .transpose()
}

pub async fn taxonomy_term(db: &Db, term_id: &str) -> Result<Option<TaxonomyTerm>> {
    let row = sqlx::query(&format!(
        "SELECT {TERM_COLUMNS} FROM dir_taxonomy_terms t WHERE t.id = $1"
    ))
    .bind(term_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let mut term = term_from(&r, "t_")?;
    if let Some(tid) = &term.taxonomy_id {
        term.taxonomy_detail = taxonomy(db, tid).await?;
    }
    Ok(Some(term))
}

pub(crate) fn term_row(r: &AnyRow) -> Result<TaxonomyTerm> {
    term_from(r, "t_")
}
