//! The pieces the demo directory is built from: ids, organisations, terms, areas, phones,
//! opening hours, and a service from a short description of it.

use crate::directory::import::area_uri;
use crate::directory::oruk::{
    Attribute, Contact, HarbourService, Location, Organization, Phone, Schedule, Service,
    ServiceArea, ServiceAtLocation, TaxonomyTerm,
};
use harbour_domain::crime::CrimeCategory;
use harbour_domain::directory::HarbourTaxonomy;
use harbour_domain::needs::{NeedCategory, ServiceTier};
use uuid::Uuid;

pub(super) const NS: Uuid = Uuid::from_u128(0x2b8c_41d0_9a6e_4f37_b5c2_0d19_e7a4_6f58);

/// A fixed identifier for a demo record, so reloading updates rather than duplicates.
pub(super) fn id(what: &str) -> String {
    Uuid::new_v5(&NS, what.as_bytes()).to_string()
}

pub(super) const COUNTY: &str = "E10000028";
pub(super) const STOKE: &str = "E06000021";
pub(super) const NEWCASTLE: &str = "E07000195";
pub(super) const MOORLANDS: &str = "E07000198";
pub(super) const STAFFORD: &str = "E07000197";
pub(super) const EAST_STAFFS: &str = "E07000193";
pub(super) const LICHFIELD: &str = "E07000194";
pub(super) const SOUTH_STAFFS: &str = "E07000196";
pub(super) const ENGLAND: &str = "E92000001";

pub(super) fn org(
    name: &str,
    description: &str,
    agency: Option<&str>,
    website: &str,
) -> Organization {
    Organization {
        id: id(&format!("org/{name}")),
        name: name.into(),
        description: description.into(),
        website: Some(website.into()),
        agency: agency.map(str::to_owned),
        ..Organization::default()
    }
}

pub(super) fn term(t: HarbourTaxonomy, code: &str, name: &str) -> TaxonomyTerm {
    TaxonomyTerm {
        id: t.term_id(code).to_string(),
        code: Some(code.into()),
        name: name.into(),
        description: name.into(),
        taxonomy: Some(t.name().into()),
        taxonomy_id: Some(t.id().to_string()),
        ..TaxonomyTerm::default()
    }
}

pub(super) fn attribute(service: &str, t: HarbourTaxonomy, code: &str, name: &str) -> Attribute {
    Attribute {
        id: id(&format!("attr/{service}/{code}")),
        link_type: Some(t.link_type().into()),
        link_entity: Some("service".into()),
        taxonomy_term: Some(term(t, code, name)),
        ..Attribute::default()
    }
}

pub(super) fn named_area(service: &str, code: &str, name: &str) -> ServiceArea {
    ServiceArea {
        id: id(&format!("area/{service}/{code}")),
        name: Some(name.into()),
        extent_type: Some("text".into()),
        uri: Some(area_uri(code)),
        ..ServiceArea::default()
    }
}

pub(super) fn area_name(code: &str) -> &'static str {
    match code {
        COUNTY => "Staffordshire",
        STOKE => "Stoke-on-Trent",
        NEWCASTLE => "Newcastle-under-Lyme",
        MOORLANDS => "Staffordshire Moorlands",
        STAFFORD => "Stafford",
        EAST_STAFFS => "East Staffordshire",
        LICHFIELD => "Lichfield",
        SOUTH_STAFFS => "South Staffordshire",
        ENGLAND => "England",
        _ => "Area",
    }
}

pub(super) fn phone(owner: &str, number: &str, description: &str, confidential: bool) -> Phone {
    Phone {
        id: id(&format!("phone/{owner}/{number}")),
        number: number.into(),
        kind: Some("voice".into()),
        description: Some(description.into()),
        confidential,
        ..Phone::default()
    }
}

pub(super) fn weekdays(owner: &str, opens: &str, closes: &str) -> Schedule {
    Schedule {
        id: id(&format!("schedule/{owner}")),
        freq: Some("WEEKLY".into()),
        wkst: Some("MO".into()),
        byday: Some("MO,TU,WE,TH,FR".into()),
        opens_at: Some(opens.into()),
        closes_at: Some(closes.into()),
        description: Some(format!("Monday to Friday, {opens} to {closes}")),
        ..Schedule::default()
    }
}

pub(super) struct Spec<'a> {
    pub(super) key: &'a str,
    pub(super) org: &'a Organization,
    pub(super) name: &'a str,
    pub(super) description: &'a str,
    pub(super) needs: &'a [NeedCategory],
    pub(super) tiers: &'a [ServiceTier],
    pub(super) crimes: &'a [CrimeCategory],
    pub(super) areas: &'a [&'a str],
    pub(super) ages: (Option<u32>, Option<u32>),
    pub(super) gender: &'a str,
    pub(super) route: &'a str,
    pub(super) public_phone: Option<&'a str>,
}

pub(super) fn service(s: Spec<'_>) -> Service {
    let mut attributes = Vec::new();
    for n in s.needs {
        attributes.push(attribute(
            s.key,
            HarbourTaxonomy::Needs,
            n.slug(),
            n.label(),
        ));
    }
    for t in s.tiers {
        attributes.push(attribute(
            s.key,
            HarbourTaxonomy::Tiers,
            t.slug(),
            t.label(),
        ));
    }
    for c in s.crimes {
        attributes.push(attribute(
            s.key,
            HarbourTaxonomy::Crimes,
            c.slug(),
            c.label(),
        ));
    }
    let mut phones = vec![phone(
        s.key,
        &format!(
            "01785 {:03} {:03}",
            100 + s.key.len() * 7,
            200 + s.key.len() * 13
        ),
        "Professionals' referral line",
        true,
    )];
    if let Some(p) = s.public_phone {
        phones.insert(0, phone(s.key, p, "Public line", false));
    }
    Service {
        id: id(&format!("service/{}", s.key)),
        organization_id: Some(s.org.id.clone()),
        name: s.name.into(),
        description: Some(s.description.into()),
        url: s.org.website.clone(),
        email: Some(format!("{}@demo.harbour.example", s.key)),
        status: "active".into(),
        minimum_age: s.ages.0.map(f64::from),
        maximum_age: s.ages.1.map(f64::from),
        phones,
        schedules: vec![weekdays(s.key, "09:00", "17:00")],
        service_areas: s
            .areas
            .iter()
            .map(|c| named_area(s.key, c, area_name(c)))
            .collect(),
        organization: Some(s.org.clone()),
        attributes,
        contacts: vec![Contact {
            id: id(&format!("contact/{}", s.key)),
            title: Some("Duty manager".into()),
            name: Some("Duty manager (demo)".into()),
            email: Some(format!("duty.{}@demo.harbour.example", s.key)),
            confidential: true,
            ..Contact::default()
        }],
        harbour: Some(HarbourService {
            gender: Some(s.gender.into()),
            referral_route: Some(s.route.into()),
            referral_email: (s.route == "email")
                .then(|| format!("referrals.{}@demo.harbour.example", s.key)),
            last_checked_on: Some("2026-09-01".into()),
            ..HarbourService::default()
        }),
        ..Service::default()
    }
}

pub(super) fn office(
    key: &str,
    name: &str,
    street: &str,
    city: &str,
    postcode: &str,
    lat: f64,
    lon: f64,
) -> ServiceAtLocation {
    ServiceAtLocation {
        id: id(&format!("sal/{key}")),
        location: Some(Location {
            id: id(&format!("location/{key}")),
            location_type: "physical".into(),
            name: Some(name.into()),
            latitude: Some(lat),
            longitude: Some(lon),
            addresses: vec![crate::directory::oruk::Address {
                id: id(&format!("address/{key}")),
                address_1: street.into(),
                city: city.into(),
                state_province: "Staffordshire".into(),
                postal_code: postcode.into(),
                country: "GB".into(),
                address_type: "physical".into(),
                ..crate::directory::oruk::Address::default()
            }],
            ..Location::default()
        }),
        ..ServiceAtLocation::default()
    }
}
