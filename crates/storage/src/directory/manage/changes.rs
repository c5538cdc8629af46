//! What an edit changes, field by field, for the entry's history.

use super::Service;
use super::ServiceSummary;
use harbour_domain::directory::{HarbourTaxonomy, ServiceEntry};

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn age(v: Option<f64>) -> String {
    v.map(|a| (a as i64).to_string()).unwrap_or_default()
}

fn sorted(mut v: Vec<String>) -> String {
    v.sort();
    v.join(", ")
}

/// (field, before, after) for every field an edit changes.
pub(super) fn differences(
    old: &Service,
    summary: &ServiceSummary,
    e: &ServiceEntry,
) -> Vec<(&'static str, String, String)> {
    let el = &e.eligibility;
    let old_areas: Vec<String> = old
        .service_areas
        .iter()
        .filter_map(|a| {
            a.uri
                .as_deref()
                .and_then(|u| u.rsplit('/').next())
                .map(str::to_owned)
        })
        .collect();
    let public_phone = old
        .phones
        .iter()
        .find(|p| !p.confidential)
        .map(|p| p.number.clone());
    let pairs: Vec<(&'static str, String, String)> = vec![
        ("name", old.name.clone(), e.name.clone()),
        ("description", opt(&old.description), e.description.clone()),
        ("status", old.status.clone(), e.status.code().to_owned()),
        ("url", opt(&old.url), opt(&e.url)),
        ("email", opt(&old.email), opt(&e.email)),
        ("alert", opt(&old.alert), opt(&e.alert)),
        (
            "minimum_age",
            age(old.minimum_age),
            el.minimum_age.map(|a| a.to_string()).unwrap_or_default(),
        ),
        (
            "maximum_age",
            age(old.maximum_age),
            el.maximum_age.map(|a| a.to_string()).unwrap_or_default(),
        ),
        (
            "gender",
            summary.gender.clone(),
            el.gender.map(|g| g.slug()).unwrap_or("any").to_owned(),
        ),
        (
            "needs",
            sorted(old.harbour_codes(HarbourTaxonomy::Needs)),
            sorted(el.needs.iter().map(|n| n.slug().to_owned()).collect()),
        ),
        (
            "tiers",
            sorted(old.harbour_codes(HarbourTaxonomy::Tiers)),
            sorted(el.tiers.iter().map(|n| n.slug().to_owned()).collect()),
        ),
        (
            "crime_categories",
            sorted(old.harbour_codes(HarbourTaxonomy::Crimes)),
            sorted(
                el.crime_categories
                    .iter()
                    .map(|n| n.slug().to_owned())
                    .collect(),
            ),
        ),
        ("areas", sorted(old_areas), sorted(e.areas.clone())),
        (
            "referral_route",
            summary.referral_route.clone(),
            e.referral_route.slug().to_owned(),
        ),
        (
            "referral_email",
            opt(&summary.referral_email),
            opt(&e.referral_email),
        ),
        (
            "referral_phone",
            opt(&summary.referral_phone),
            opt(&e.referral_phone),
        ),
        ("public_phone", opt(&public_phone), opt(&e.public_phone)),
        (
            "capacity_unit",
            opt(&summary.capacity_unit),
            opt(&e.capacity_unit),
        ),
    ];
    pairs.into_iter().filter(|(_, a, b)| a != b).collect()
}
