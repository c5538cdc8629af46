//! Services and their locations in full, as the open feed or a partner reads them.

use super::*;

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
