//! The service directory's rules: who a service is for, where it works, how to refer to it,
//! how much room it has, and when its entry needs checking again.
//!
//! The directory mirrors Open Referral UK (HSDS-UK 3.0); what a referral hub needs and the
//! standard lacks (gender, crime categories, tiers, referral route, capacity, confidential
//! fields, a "last checked" date) is held beside it. Categories of need, tiers and crime
//! categories are published as Harbour's own taxonomies, with fixed identifiers, so that
//! `taxonomy_term_id` searches work on them like any other term.

use crate::crime::CrimeCategory;
use crate::needs::{NeedCategory, ServiceTier};
use crate::place::{Point, Region};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An Open Referral service status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ServiceStatus {
    #[serde(rename = "active")]
    Active,
    #[serde(rename = "inactive")]
    Inactive,
    #[serde(rename = "defunct")]
    Defunct,
    #[serde(rename = "temporarily closed")]
    TemporarilyClosed,
}

impl ServiceStatus {
    pub const ALL: [ServiceStatus; 4] = [
        ServiceStatus::Active,
        ServiceStatus::TemporarilyClosed,
        ServiceStatus::Inactive,
        ServiceStatus::Defunct,
    ];

    /// The Open Referral value.
    pub fn code(self) -> &'static str {
        match self {
            ServiceStatus::Active => "active",
            ServiceStatus::Inactive => "inactive",
            ServiceStatus::Defunct => "defunct",
            ServiceStatus::TemporarilyClosed => "temporarily closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ServiceStatus::Active => "Active",
            ServiceStatus::Inactive => "Inactive",
            ServiceStatus::Defunct => "Closed for good",
            ServiceStatus::TemporarilyClosed => "Temporarily closed",
        }
    }

    pub fn from_code(s: &str) -> Option<ServiceStatus> {
        ServiceStatus::ALL.into_iter().find(|x| x.code() == s)
    }
}

/// Which genders a service is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GenderEligibility {
    Any,
    Women,
    Men,
}

impl GenderEligibility {
    pub const ALL: [GenderEligibility; 3] = [
        GenderEligibility::Any,
        GenderEligibility::Women,
        GenderEligibility::Men,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            GenderEligibility::Any => "any",
            GenderEligibility::Women => "women",
            GenderEligibility::Men => "men",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GenderEligibility::Any => "Anyone",
            GenderEligibility::Women => "Women",
            GenderEligibility::Men => "Men",
        }
    }

    pub fn from_slug(s: &str) -> Option<GenderEligibility> {
        GenderEligibility::ALL.into_iter().find(|x| x.slug() == s)
    }

    /// Reads a gender as a referral records it (free text) into what services are for.
    /// `None` when it is not recorded or says neither, so no one is turned away on a guess.
    pub fn of_person(gender: &str) -> Option<GenderEligibility> {
        let g = gender.trim().to_lowercase();
        let has = |words: &[&str]| {
            g.split(|c: char| !c.is_alphanumeric())
                .any(|w| words.contains(&w))
        };
        if has(&["f", "female", "woman", "women", "girl"]) {
            Some(GenderEligibility::Women)
        } else if has(&["m", "male", "man", "men", "boy"]) {
            Some(GenderEligibility::Men)
        } else {
            None
        }
    }
}

/// How a referrer reaches the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferralRoute {
    /// Through Harbour: the service's agency has an inbox here.
    Harbour,
    Phone,
    Email,
    /// The person contacts the service themself (helplines, drop-ins).
    SelfReferral,
}

impl ReferralRoute {
    pub const ALL: [ReferralRoute; 4] = [
        ReferralRoute::Harbour,
        ReferralRoute::Phone,
        ReferralRoute::Email,
        ReferralRoute::SelfReferral,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ReferralRoute::Harbour => "harbour",
            ReferralRoute::Phone => "phone",
            ReferralRoute::Email => "email",
            ReferralRoute::SelfReferral => "self",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReferralRoute::Harbour => "Through Harbour",
            ReferralRoute::Phone => "By phone",
            ReferralRoute::Email => "By secure email",
            ReferralRoute::SelfReferral => "The person contacts it themself",
        }
    }

    pub fn from_slug(s: &str) -> Option<ReferralRoute> {
        ReferralRoute::ALL.into_iter().find(|x| x.slug() == s)
    }
}

/// Room a service has now, such as refuge spaces. Never published in the open feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capacity {
    /// What is counted, in the plural: "refuge spaces", "IDVA places".
    pub unit: String,
    pub free: u32,
    pub total: Option<u32>,
    pub updated_at: DateTime<Utc>,
}

/// An entry that has not been checked for this long shows as due for checking.
pub const CHECK_AFTER_DAYS: i64 = 183;

/// Whether an entry last checked on `last_checked` is due for checking on `today`.
pub fn check_due(last_checked: Option<NaiveDate>, today: NaiveDate) -> bool {
    last_checked.is_none_or(|d| (today - d).num_days() > CHECK_AFTER_DAYS)
}

/// Capacity figures older than this are shown as possibly out of date.
pub const CAPACITY_STALE_AFTER_HOURS: i64 = 48;

/// Who a service is for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Eligibility {
    pub minimum_age: Option<u32>,
    pub maximum_age: Option<u32>,
    pub gender: Option<GenderEligibility>,
    /// Empty: victims of any crime.
    pub crime_categories: Vec<CrimeCategory>,
    /// Empty: any tier.
    pub tiers: Vec<ServiceTier>,
    /// The categories of need it meets.
    pub needs: Vec<NeedCategory>,
}

impl Eligibility {
    /// Whether anyone aged `age` is within the service's age range.
    pub fn admits_age(&self, age: u32) -> bool {
        self.minimum_age.is_none_or(|m| age >= m) && self.maximum_age.is_none_or(|m| age <= m)
    }

    pub fn admits_gender(&self, gender: GenderEligibility) -> bool {
        match self.gender.unwrap_or(GenderEligibility::Any) {
            GenderEligibility::Any => true,
            only => gender == GenderEligibility::Any || gender == only,
        }
    }
}

/// Where a service works.
#[derive(Debug, Clone, PartialEq)]
pub enum AreaServed {
    /// A named area by GSS code: a district, a county, or a country (E92000001 for England).
    Named(String),
    /// A polygon, with the named areas it covers only part of (worked out from the postcodes
    /// inside it when it was saved).
    Drawn {
        region: Region,
        touches: Vec<String>,
    },
}

/// A service as matching and the coverage view see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceProfile {
    pub id: Uuid,
    pub name: String,
    pub organization: String,
    pub status: ServiceStatus,
    pub eligibility: Eligibility,
    pub areas: Vec<AreaServed>,
    pub referral_route: ReferralRoute,
    pub capacity: Option<Capacity>,
}

/// The GSS code for a whole country, from the first letter of any area in it.
pub fn country_code(gss_code: &str) -> Option<&'static str> {
    match gss_code.as_bytes().first() {
        Some(b'E') => Some("E92000001"),
        Some(b'W') => Some("W92000004"),
        Some(b'S') => Some("S92000003"),
        Some(b'N') => Some("N92000002"),
        _ => None,
    }
}

/// Where a person lives, as the chain of areas that contain it (district, county, country)
/// and, when the postcode is known, its point.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Whereabouts {
    pub areas: Vec<String>,
    pub point: Option<Point>,
}

impl Whereabouts {
    /// From an area and its parent chain (nearest first); the country is added.
    pub fn new(chain: Vec<String>, point: Option<Point>) -> Whereabouts {
        let mut areas = chain;
        if let Some(c) = areas.first().and_then(|a| country_code(a))
            && !areas.iter().any(|a| a == c)
        {
            areas.push(c.to_owned());
        }
        Whereabouts { areas, point }
    }
}

/// How well an area served reaches someone: fully, partly (a drawn area they may be
/// outside), or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    No,
    Partly,
    /// Through an area, the nearer (0 = their own district) the better.
    Fully {
        distance: usize,
    },
}

impl AreaServed {
    pub fn reach(&self, w: &Whereabouts) -> Reach {
        match self {
            AreaServed::Named(code) => match w.areas.iter().position(|a| a == code) {
                Some(distance) => Reach::Fully { distance },
                None => Reach::No,
            },
            AreaServed::Drawn { region, touches } => match w.point {
                Some(p) if region.contains(p) => Reach::Fully { distance: 0 },
                Some(_) => Reach::No,
                None if w.areas.iter().any(|a| touches.contains(a)) => Reach::Partly,
                None => Reach::No,
            },
        }
    }
}

impl ServiceProfile {
    /// The best reach of any of its areas.
    pub fn reach(&self, w: &Whereabouts) -> Reach {
        self.areas
            .iter()
            .map(|a| a.reach(w))
            .max_by(|a, b| match (a, b) {
                (Reach::Fully { distance: x }, Reach::Fully { distance: y }) => y.cmp(x),
                _ => a.cmp(b),
            })
            .unwrap_or(Reach::No)
    }
}

/// Harbour's own taxonomies, published with fixed identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HarbourTaxonomy {
    Needs,
    Tiers,
    Crimes,
}

const TAXONOMY_NAMESPACE: Uuid = Uuid::from_u128(0x6a1f_0c5e_37b2_4c8e_9d1a_5e0b_7f3c_2a91);

impl HarbourTaxonomy {
    pub const ALL: [HarbourTaxonomy; 3] = [
        HarbourTaxonomy::Needs,
        HarbourTaxonomy::Tiers,
        HarbourTaxonomy::Crimes,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            HarbourTaxonomy::Needs => "harbour-needs",
            HarbourTaxonomy::Tiers => "harbour-tiers",
            HarbourTaxonomy::Crimes => "harbour-crimes",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            HarbourTaxonomy::Needs => "Categories of need",
            HarbourTaxonomy::Tiers => "Service tiers",
            HarbourTaxonomy::Crimes => "Crime categories",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            HarbourTaxonomy::Needs => {
                "The eight categories of need in the Ministry of Justice victims' services commissioning framework."
            }
            HarbourTaxonomy::Tiers => {
                "The tiers of domestic abuse support: prevention, early intervention, targeted and acute."
            }
            HarbourTaxonomy::Crimes => "The crimes a victim service supports people after.",
        }
    }

    /// What an attribute linking a service to one of these terms says about it.
    pub fn link_type(self) -> &'static str {
        match self {
            HarbourTaxonomy::Needs => "need_met",
            HarbourTaxonomy::Tiers => "tier",
            HarbourTaxonomy::Crimes => "eligible_crime",
        }
    }

    pub fn id(self) -> Uuid {
        Uuid::new_v5(&TAXONOMY_NAMESPACE, self.slug().as_bytes())
    }

    /// The identifier of the term with this code in this taxonomy.
    pub fn term_id(self, code: &str) -> Uuid {
        Uuid::new_v5(
            &TAXONOMY_NAMESPACE,
            format!("{}/{code}", self.slug()).as_bytes(),
        )
    }

    /// Every term: (code, name).
    pub fn terms(self) -> Vec<(&'static str, &'static str)> {
        match self {
            HarbourTaxonomy::Needs => NeedCategory::ALL
                .iter()
                .map(|n| (n.slug(), n.label()))
                .collect(),
            HarbourTaxonomy::Tiers => ServiceTier::ALL
                .iter()
                .map(|t| (t.slug(), t.label()))
                .collect(),
            HarbourTaxonomy::Crimes => CrimeCategory::ALL
                .iter()
                .map(|c| (c.slug(), c.label()))
                .collect(),
        }
    }
}

pub mod entry;

pub use entry::{ServiceEntry, ServiceInput, is_phone_number, parse_capacity};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_fall_due_for_checking_after_six_months() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(!check_due(Some(d("2026-06-01")), d("2026-11-23")));
        assert!(check_due(Some(d("2026-05-01")), d("2026-11-23")));
        assert!(check_due(None, d("2026-11-23")));
    }

    #[test]
    fn harbour_taxonomy_ids_are_fixed_and_distinct() {
        let mut ids = std::collections::HashSet::new();
        for t in HarbourTaxonomy::ALL {
            assert!(ids.insert(t.id()));
            for (code, _) in t.terms() {
                assert!(ids.insert(t.term_id(code)), "{code}");
            }
        }
        assert_eq!(
            HarbourTaxonomy::Needs.term_id("accommodation"),
            HarbourTaxonomy::Needs.term_id("accommodation")
        );
    }

    #[test]
    fn named_areas_reach_through_the_chain_and_drawn_ones_by_the_point() {
        let w = Whereabouts::new(vec!["E07000197".into(), "E10000028".into()], None);
        assert_eq!(w.areas.last().map(String::as_str), Some("E92000001"));
        assert_eq!(
            AreaServed::Named("E07000197".into()).reach(&w),
            Reach::Fully { distance: 0 }
        );
        assert_eq!(
            AreaServed::Named("E10000028".into()).reach(&w),
            Reach::Fully { distance: 1 }
        );
        assert_eq!(AreaServed::Named("E06000021".into()).reach(&w), Reach::No);
        let region = Region::from_geojson(
            r#"{"type":"Polygon","coordinates":[[[-2.3,52.7],[-1.9,52.7],[-1.9,52.9],[-2.3,52.9],[-2.3,52.7]]]}"#,
        )
        .unwrap();
        let drawn = AreaServed::Drawn {
            region,
            touches: vec!["E07000197".into()],
        };
        assert_eq!(drawn.reach(&w), Reach::Partly);
        let inside = Whereabouts {
            point: Point::new(52.8, -2.1),
            ..w.clone()
        };
        assert_eq!(drawn.reach(&inside), Reach::Fully { distance: 0 });
        let outside = Whereabouts {
            point: Point::new(53.0, -2.18),
            ..w
        };
        assert_eq!(drawn.reach(&outside), Reach::No);
    }
}
