//! The directory's row writer: a service with everything under it (organisation, locations,
//! phones, schedules, areas, attributes), replacing what an earlier load put there, and the
//! change history.

use super::import::{Context, Loader, area_uri, code_from_uri, minutes, valid_uuid};
use super::oruk::{Attribute, Location, Phone, Schedule, Service, ServiceArea};
use super::taxonomy::upsert_term;
use crate::db::{WriteTx, new_id, now};
use crate::error::Result;
use harbour_domain::directory::HarbourTaxonomy;
use harbour_domain::place::{Point, Region};
use sqlx::Row;
use uuid::Uuid;

fn ensure_id(id: &str) -> String {
    if valid_uuid(id) {
        id.to_owned()
    } else {
        Uuid::new_v4().to_string()
    }
}

async fn insert_phone(tx: &mut WriteTx, owner_column: &str, owner: &str, p: &Phone) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO dir_phones (id, {owner_column}, number, extension, type, description, confidential) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(ensure_id(&p.id))
    .bind(owner)
    .bind(&p.number)
    .bind(p.extension.map(|e| e as i64))
    .bind(&p.kind)
    .bind(&p.description)
    .bind(p.confidential)
    .execute(tx.conn())
    .await?;
    Ok(())
}

async fn insert_schedule(
    tx: &mut WriteTx,
    owner_column: &str,
    owner: &str,
    h: &Schedule,
) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO dir_schedules (id, {owner_column}, valid_from, valid_to, dtstart, timezone, until, count, wkst, \
         freq, interval, byday, byweekno, bymonthday, byyearday, description, opens_at, closes_at, opens_minute, \
         closes_minute, schedule_link, attending_type, notes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)"
    ))
    // Optional numbers: a NULL double is sent untyped through sqlx's Any driver, so a
    // cached PostgreSQL statement would keep the wrong parameter type; prepare afresh.
    .persistent(false)
    .bind(ensure_id(&h.id))
    .bind(owner)
    .bind(&h.valid_from)
    .bind(&h.valid_to)
    .bind(&h.dtstart)
    .bind(h.timezone)
    .bind(&h.until)
    .bind(h.count.map(|c| c as i64))
    .bind(&h.wkst)
    .bind(&h.freq)
    .bind(h.interval.map(|c| c as i64))
    .bind(h.byday.as_ref().map(|d| d.to_uppercase()))
    .bind(&h.byweekno)
    .bind(&h.bymonthday)
    .bind(&h.byyearday)
    .bind(&h.description)
    .bind(&h.opens_at)
    .bind(&h.closes_at)
    .bind(h.opens_at.as_deref().and_then(minutes))
    .bind(h.closes_at.as_deref().and_then(minutes))
    .bind(&h.schedule_link)
    .bind(&h.attending_type)
    .bind(&h.notes)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Writes a location; `stored` when it may already have addresses, accessibility and phones,
/// which are then replaced.
async fn upsert_location(
    tx: &mut WriteTx,
    l: &Location,
    organization_id: &str,
    stored: bool,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO dir_locations (id, organization_id, location_type, url, name, alternate_name, description, \
         transportation, latitude, longitude, external_identifier, external_identifier_type, confidential) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id, location_type = excluded.location_type, \
         url = excluded.url, name = excluded.name, alternate_name = excluded.alternate_name, description = excluded.description, \
         transportation = excluded.transportation, latitude = excluded.latitude, longitude = excluded.longitude, \
         external_identifier = excluded.external_identifier, external_identifier_type = excluded.external_identifier_type, \
         confidential = excluded.confidential",
    )
    // Optional numbers: a NULL double is sent untyped through sqlx's Any driver, so a
    // cached PostgreSQL statement would keep the wrong parameter type; prepare afresh.
    .persistent(false)
    .bind(&l.id)
    .bind(l.organization_id.clone().unwrap_or_else(|| organization_id.to_owned()))
    .bind(&l.location_type)
    .bind(&l.url)
    .bind(&l.name)
    .bind(&l.alternate_name)
    .bind(&l.description)
    .bind(&l.transportation)
    .bind(l.latitude)
    .bind(l.longitude)
    .bind(&l.external_identifier)
    .bind(&l.external_identifier_type)
    .bind(l.confidential)
    .execute(tx.conn())
    .await?;
    let replaced: &[&str] = if stored {
        &["dir_addresses", "dir_accessibilities", "dir_phones"]
    } else {
        &[]
    };
    for table in replaced {
        sqlx::query(&format!("DELETE FROM {table} WHERE location_id = $1"))
            .bind(&l.id)
            .execute(tx.conn())
            .await?;
    }
    for a in &l.addresses {
        sqlx::query(
            "INSERT INTO dir_addresses (id, location_id, attention, address_1, address_2, city, region, state_province, \
             postal_code, country, address_type) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(ensure_id(&a.id))
        .bind(&l.id)
        .bind(&a.attention)
        .bind(&a.address_1)
        .bind(&a.address_2)
        .bind(&a.city)
        .bind(&a.region)
        .bind(&a.state_province)
        .bind(&a.postal_code)
        .bind(if a.country.is_empty() { "GB" } else { &a.country })
        .bind(if a.address_type.is_empty() { "physical" } else { &a.address_type })
        .execute(tx.conn())
        .await?;
    }
    for a in &l.accessibility {
        sqlx::query("INSERT INTO dir_accessibilities (id, location_id, description, details, url) VALUES ($1, $2, $3, $4, $5)")
            .bind(ensure_id(&a.id))
            .bind(&l.id)
            .bind(&a.description)
            .bind(&a.details)
            .bind(&a.url)
            .execute(tx.conn())
            .await?;
    }
    for p in &l.phones {
        insert_phone(tx, "location_id", &l.id, p).await?;
    }
    Ok(())
}

/// The named area a service area stands for, by its ONS address or its name.
fn area_code_of(a: &ServiceArea, cx: &Context) -> Option<String> {
    if let Some(code) = a.uri.as_deref().and_then(code_from_uri) {
        return Some(code);
    }
    let name = a.name.as_deref()?.trim().to_lowercase();
    match name.as_str() {
        "england" => return Some("E92000001".into()),
        "wales" => return Some("W92000004".into()),
        _ => {}
    }
    cx.areas
        .iter()
        .find(|x| x.name.to_lowercase() == name)
        .map(|x| x.gss_code.clone())
}

/// The named areas whose postcodes fall inside a drawn area.
async fn touched_areas(tx: &mut WriteTx, region: &Region) -> Result<Vec<String>> {
    let b = region.bounding_box();
    let rows = sqlx::query(
        "SELECT area_code, latitude, longitude FROM postcodes WHERE area_code IS NOT NULL \
         AND latitude BETWEEN $1 AND $2 AND longitude BETWEEN $3 AND $4",
    )
    .bind(b.min_latitude)
    .bind(b.max_latitude)
    .bind(b.min_longitude)
    .bind(b.max_longitude)
    .fetch_all(tx.conn())
    .await?;
    let mut codes: Vec<String> = Vec::new();
    for r in rows {
        let code: String = r.try_get("area_code")?;
        if codes.contains(&code) {
            continue;
        }
        if let Some(p) = Point::new(r.try_get("latitude")?, r.try_get("longitude")?)
            && region.contains(p)
        {
            codes.push(code);
        }
    }
    codes.sort();
    Ok(codes)
}

pub(crate) async fn insert_service_area(
    tx: &mut WriteTx,
    cx_areas: Option<String>,
    service_id: &str,
    a: &ServiceArea,
) -> Result<()> {
    let id = ensure_id(&a.id);
    let drawn = match (a.extent_type.as_deref(), a.extent.as_deref()) {
        (Some("geojson"), Some(extent)) => Region::from_geojson(extent).ok(),
        _ => None,
    };
    let bbox = drawn.as_ref().map(Region::bounding_box);
    sqlx::query(
        "INSERT INTO dir_service_areas (id, service_id, name, description, extent, extent_type, uri, area_code, \
         min_latitude, max_latitude, min_longitude, max_longitude) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    // Optional numbers: a NULL double is sent untyped through sqlx's Any driver, so a
    // cached PostgreSQL statement would keep the wrong parameter type; prepare afresh.
    .persistent(false)
    .bind(&id)
    .bind(service_id)
    .bind(&a.name)
    .bind(&a.description)
    .bind(&a.extent)
    .bind(&a.extent_type)
    .bind(a.uri.clone().or_else(|| cx_areas.as_deref().map(area_uri)))
    .bind(if drawn.is_some() { None } else { cx_areas })
    .bind(bbox.map(|b| b.min_latitude))
    .bind(bbox.map(|b| b.max_latitude))
    .bind(bbox.map(|b| b.min_longitude))
    .bind(bbox.map(|b| b.max_longitude))
    .execute(tx.conn())
    .await?;
    if let Some(region) = &drawn {
        for code in touched_areas(tx, region).await? {
            sqlx::query(
                "INSERT INTO dir_service_area_touches (service_area_id, area_code) VALUES ($1, $2)",
            )
            .bind(&id)
            .bind(code)
            .execute(tx.conn())
            .await?;
        }
    }
    Ok(())
}

pub(crate) async fn insert_attribute(
    tx: &mut WriteTx,
    link_entity: &str,
    link_id: &str,
    a: &Attribute,
    term_id: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO dir_attributes (id, link_id, link_type, link_entity, taxonomy_term_id, value) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ensure_id(&a.id))
    .bind(link_id)
    .bind(&a.link_type)
    .bind(link_entity)
    .bind(term_id)
    .bind(&a.value)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Removes a service's needs, tiers and crimes (Harbour's own attributes), keeping any other
/// vocabulary's.
pub(crate) async fn clear_harbour_links(tx: &mut WriteTx, id: &str) -> Result<()> {
    sqlx::query(
        "DELETE FROM dir_attributes WHERE link_id = $1 AND taxonomy_term_id IN \
         (SELECT t.id FROM dir_taxonomy_terms t WHERE t.taxonomy_id IN ($2, $3, $4))",
    )
    .bind(id)
    .bind(HarbourTaxonomy::Needs.id().to_string())
    .bind(HarbourTaxonomy::Tiers.id().to_string())
    .bind(HarbourTaxonomy::Crimes.id().to_string())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Notes whether the service now has service areas (`dir_services.limited_to_areas`), after
/// its areas were written: a postcode search finds services without any by this flag.
pub(crate) async fn note_area_limits(tx: &mut WriteTx, service_id: &str) -> Result<()> {
    sqlx::query(
        "UPDATE dir_services SET limited_to_areas = \
         EXISTS (SELECT 1 FROM dir_service_areas a WHERE a.service_id = $1) WHERE id = $1",
    )
    .bind(service_id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Removes everything hanging off a service, before it is written afresh.
pub(crate) async fn clear_service_children(tx: &mut WriteTx, id: &str) -> Result<()> {
    for sql in [
        "DELETE FROM dir_phones WHERE service_id = $1",
        "DELETE FROM dir_schedules WHERE service_id = $1",
        "DELETE FROM dir_service_areas WHERE service_id = $1",
        "DELETE FROM dir_languages WHERE service_id = $1",
        "DELETE FROM dir_cost_options WHERE service_id = $1",
        "DELETE FROM dir_fundings WHERE service_id = $1",
        "DELETE FROM dir_contacts WHERE service_id = $1",
        "DELETE FROM dir_attributes WHERE link_id = $1",
        "DELETE FROM dir_service_at_locations WHERE service_id = $1",
    ] {
        sqlx::query(sql).bind(id).execute(tx.conn()).await?;
    }
    Ok(())
}

/// One line of a record's change history (HSDS metadata).
pub(crate) struct Change<'a> {
    pub resource_id: &'a str,
    pub resource_type: &'a str,
    /// create, update, import, capacity, checked …
    pub action: &'a str,
    pub field: &'a str,
    pub previous: &'a str,
    pub replacement: &'a str,
}

pub(crate) async fn record_change(tx: &mut WriteTx, c: &Change<'_>, who: &Loader) -> Result<()> {
    sqlx::query(
        "INSERT INTO dir_changes (id, resource_id, resource_type, last_action_date, last_action_type, field_name, \
         previous_value, replacement_value, updated_by, user_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new_id())
    .bind(c.resource_id)
    .bind(c.resource_type)
    .bind(now())
    .bind(c.action)
    .bind(c.field)
    .bind(c.previous)
    .bind(c.replacement)
    .bind(&who.label)
    .bind(&who.user_id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub(super) async fn write_service(
    tx: &mut WriteTx,
    cx: &mut Context,
    s: &Service,
    who: &Loader,
) -> Result<()> {
    let stamp = now();
    let organization_id = match &s.organization {
        Some(o) => {
            let agency_id = o
                .agency
                .as_ref()
                .and_then(|name| cx.agencies.get(&name.to_lowercase()).cloned());
            sqlx::query(
                "INSERT INTO dir_organizations (id, name, description, email, website, logo, uri, agency_id, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, email = excluded.email, \
                 website = excluded.website, logo = excluded.logo, uri = excluded.uri, \
                 agency_id = COALESCE(excluded.agency_id, dir_organizations.agency_id), updated_at = excluded.updated_at",
            )
            .bind(&o.id)
            .bind(o.name.trim())
            .bind(&o.description)
            .bind(&o.email)
            .bind(&o.website)
            .bind(&o.logo)
            .bind(&o.uri)
            .bind(agency_id)
            .bind(&stamp)
            .execute(tx.conn())
            .await?;
            if !o.organization_identifiers.is_empty() {
                sqlx::query("DELETE FROM dir_organization_identifiers WHERE organization_id = $1")
                    .bind(&o.id)
                    .execute(tx.conn())
                    .await?;
                for i in &o.organization_identifiers {
                    sqlx::query(
                        "INSERT INTO dir_organization_identifiers (id, organization_id, identifier_scheme, identifier_type, identifier) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(ensure_id(&i.id))
                    .bind(&o.id)
                    .bind(&i.identifier_scheme)
                    .bind(&i.identifier_type)
                    .bind(&i.identifier)
                    .execute(tx.conn())
                    .await?;
                }
            }
            if !o.phones.is_empty() {
                sqlx::query("DELETE FROM dir_phones WHERE organization_id = $1")
                    .bind(&o.id)
                    .execute(tx.conn())
                    .await?;
                for p in &o.phones {
                    insert_phone(tx, "organization_id", &o.id, p).await?;
                }
            }
            cx.known_orgs.insert(o.id.clone());
            o.id.clone()
        }
        None => s.organization_id.clone().unwrap_or_default(),
    };
    let last_modified = s.last_modified.clone().unwrap_or_else(|| stamp.clone());
    sqlx::query(
        "INSERT INTO dir_services (id, organization_id, name, description, url, email, status, fees, accreditations, \
         minimum_age, maximum_age, assured_date, assurer_email, alert, last_modified, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id, name = excluded.name, \
         description = excluded.description, url = excluded.url, email = excluded.email, status = excluded.status, \
         fees = excluded.fees, accreditations = excluded.accreditations, minimum_age = excluded.minimum_age, \
         maximum_age = excluded.maximum_age, assured_date = excluded.assured_date, assurer_email = excluded.assurer_email, \
         alert = excluded.alert, last_modified = excluded.last_modified",
    )
    .bind(&s.id)
    .bind(&organization_id)
    .bind(s.name.trim())
    .bind(&s.description)
    .bind(&s.url)
    .bind(&s.email)
    .bind(&s.status)
    .bind(&s.fees)
    .bind(&s.accreditations)
    .bind(s.minimum_age.map(|a| a as i64))
    .bind(s.maximum_age.map(|a| a as i64))
    .bind(&s.assured_date)
    .bind(&s.assurer_email)
    .bind(&s.alert)
    .bind(&last_modified)
    .bind(&stamp)
    .execute(tx.conn())
    .await?;
    if let Some(h) = &s.harbour {
        sqlx::query(
            "UPDATE dir_services SET gender = $2, referral_route = $3, referral_email = $4, referral_phone = $5, \
             capacity_unit = $6, capacity_free = $7, capacity_total = $8, capacity_updated_at = $9, last_checked_on = $10 \
             WHERE id = $1",
        )
        .bind(&s.id)
        .bind(h.gender.as_deref().unwrap_or("any"))
        .bind(h.referral_route.as_deref().unwrap_or("harbour"))
        .bind(&h.referral_email)
        .bind(&h.referral_phone)
        .bind(&h.capacity_unit)
        .bind(h.capacity_free.map(i64::from))
        .bind(h.capacity_total.map(i64::from))
        .bind(
            h.capacity_updated_at
                .clone()
                .or_else(|| h.capacity_free.map(|_| stamp.clone())),
        )
        .bind(&h.last_checked_on)
        .execute(tx.conn())
        .await?;
    }

    if !cx.known_services.insert(s.id.clone()) {
        clear_service_children(tx, &s.id).await?;
    }
    for p in &s.phones {
        insert_phone(tx, "service_id", &s.id, p).await?;
    }
    for h in &s.schedules {
        insert_schedule(tx, "service_id", &s.id, h).await?;
    }
    for a in &s.service_areas {
        let code = area_code_of(a, cx);
        insert_service_area(tx, code, &s.id, a).await?;
    }
    note_area_limits(tx, &s.id).await?;
    for l in &s.languages {
        sqlx::query("INSERT INTO dir_languages (id, service_id, name, code, note) VALUES ($1, $2, $3, $4, $5)")
            .bind(ensure_id(&l.id))
            .bind(&s.id)
            .bind(&l.name)
            .bind(&l.code)
            .bind(&l.note)
            .execute(tx.conn())
            .await?;
    }
    for c in &s.cost_options {
        sqlx::query(
            "INSERT INTO dir_cost_options (id, service_id, valid_from, valid_to, option, currency, amount, amount_description) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
    // Optional numbers: a NULL double is sent untyped through sqlx's Any driver, so a
    // cached PostgreSQL statement would keep the wrong parameter type; prepare afresh.
    .persistent(false)
        .bind(ensure_id(&c.id))
        .bind(&s.id)
        .bind(&c.valid_from)
        .bind(&c.valid_to)
        .bind(&c.option)
        .bind(c.currency.clone().or_else(|| c.amount.map(|_| "GBP".to_owned())))
        .bind(c.amount)
        .bind(&c.amount_description)
        .execute(tx.conn())
        .await?;
    }
    for f in &s.funding {
        sqlx::query("INSERT INTO dir_fundings (id, service_id, source) VALUES ($1, $2, $3)")
            .bind(ensure_id(&f.id))
            .bind(&s.id)
            .bind(&f.source)
            .execute(tx.conn())
            .await?;
    }
    for c in &s.contacts {
        let cid = ensure_id(&c.id);
        sqlx::query(
            "INSERT INTO dir_contacts (id, service_id, name, title, department, email, confidential) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&cid)
        .bind(&s.id)
        .bind(&c.name)
        .bind(&c.title)
        .bind(&c.department)
        .bind(&c.email)
        .bind(c.confidential)
        .execute(tx.conn())
        .await?;
        for p in &c.phones {
            insert_phone(tx, "contact_id", &cid, p).await?;
        }
    }
    for a in &s.attributes {
        if let Some(t) = &a.taxonomy_term {
            if !cx.known_terms.contains(&t.id) || t.taxonomy_id.is_some() {
                upsert_term(tx, cx, t).await?;
            }
            insert_attribute(tx, "service", &s.id, a, &t.id).await?;
        } else if let Some(t) = &a.taxonomy_term_id {
            insert_attribute(tx, "service", &s.id, a, t).await?;
        }
    }
    for sal in &s.service_at_locations {
        let Some(l) = &sal.location else { continue };
        let stored = !cx.known_locations.insert(l.id.clone());
        upsert_location(tx, l, &organization_id, stored).await?;
        sqlx::query("INSERT INTO dir_service_at_locations (id, service_id, location_id, description) VALUES ($1, $2, $3, $4)")
            .bind(&sal.id)
            .bind(&s.id)
            .bind(&l.id)
            .bind(&sal.description)
            .execute(tx.conn())
            .await?;
        for h in &sal.schedules {
            insert_schedule(tx, "service_at_location_id", &sal.id, h).await?;
        }
        for p in &sal.phones {
            insert_phone(tx, "service_at_location_id", &sal.id, p).await?;
        }
    }
    let change = Change {
        resource_id: &s.id,
        resource_type: "service",
        action: "import",
        field: "*",
        previous: "",
        replacement: &s.name,
    };
    record_change(tx, &change, who).await?;
    Ok(())
}
