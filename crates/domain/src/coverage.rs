//! The coverage view: for each area and category of need (and tier), how many running
//! services a resident there can use. A nought is a gap: the "postcode lottery" made visible.

use crate::area::Area;
use crate::directory::{
    AreaServed, GenderEligibility, Reach, ServiceProfile, ServiceStatus, Whereabouts,
};
use crate::needs::{NeedCategory, ServiceTier};
use serde::Serialize;
use uuid::Uuid;

/// The age groups commissioners plan for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeGroup {
    Adults,
    ChildrenAndYoungPeople,
}

impl AgeGroup {
    pub const ALL: [AgeGroup; 2] = [AgeGroup::Adults, AgeGroup::ChildrenAndYoungPeople];

    pub fn slug(self) -> &'static str {
        match self {
            AgeGroup::Adults => "adults",
            AgeGroup::ChildrenAndYoungPeople => "children",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AgeGroup::Adults => "Adults (18 and over)",
            AgeGroup::ChildrenAndYoungPeople => "Children and young people (under 18)",
        }
    }

    pub fn from_slug(s: &str) -> Option<AgeGroup> {
        AgeGroup::ALL.into_iter().find(|a| a.slug() == s)
    }
}

/// Which residents the view counts for. Empty: everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CoverageFilter {
    pub age_group: Option<AgeGroup>,
    pub gender: Option<GenderEligibility>,
    pub tier: Option<ServiceTier>,
}

impl CoverageFilter {
    /// Whether a service is open to the residents counted, at the tier counted.
    pub fn admits(&self, s: &ServiceProfile) -> bool {
        let e = &s.eligibility;
        let age_ok = match self.age_group {
            None => true,
            Some(AgeGroup::Adults) => e.maximum_age.is_none_or(|m| m >= 18),
            Some(AgeGroup::ChildrenAndYoungPeople) => e.minimum_age.is_none_or(|m| m < 18),
        };
        let gender_ok = self.gender.is_none_or(|g| e.admits_gender(g));
        let tier_ok = self
            .tier
            .is_none_or(|t| e.tiers.is_empty() || e.tiers.contains(&t));
        s.status == ServiceStatus::Active && age_ok && gender_ok && tier_ok
    }
}

/// Services a resident of one area can use for one need.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cell {
    /// Services working across the whole area.
    pub full: Vec<Uuid>,
    /// Services whose drawn area covers only part of it.
    pub partial: Vec<Uuid>,
}

impl Cell {
    pub fn count(&self) -> usize {
        self.full.len()
    }

    /// No service covers the whole area.
    pub fn is_gap(&self) -> bool {
        self.full.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageRow {
    pub area: Area,
    /// One cell per category of need, in [`NeedCategory::ALL`] order.
    pub cells: Vec<Cell>,
}

impl CoverageRow {
    pub fn gaps(&self) -> usize {
        self.cells.iter().filter(|c| c.is_gap()).count()
    }
}

/// The chain of areas that contain `code`, nearest first.
pub fn area_chain(code: &str, areas: &[Area]) -> Vec<String> {
    let mut chain = vec![code.to_owned()];
    let mut at = code;
    while let Some(parent) = areas
        .iter()
        .find(|a| a.gss_code == at)
        .and_then(|a| a.parent_gss_code.as_deref())
    {
        if chain.iter().any(|c| c == parent) {
            break;
        }
        chain.push(parent.to_owned());
        at = parent;
    }
    chain
}

/// The areas a resident lives in at the finest level held: those no other area names as parent.
pub fn home_areas(areas: &[Area]) -> Vec<&Area> {
    areas
        .iter()
        .filter(|a| {
            !areas
                .iter()
                .any(|b| b.parent_gss_code.as_deref() == Some(a.gss_code.as_str()))
        })
        .collect()
}

/// The services open to the filter's residents that reach someone living in `chain`, and how.
/// Where a service works does not depend on the need, so this is worked out once per area.
fn reaching<'a>(
    chain: &[String],
    services: &'a [ServiceProfile],
    f: &CoverageFilter,
) -> Vec<(&'a ServiceProfile, Reach)> {
    let w = Whereabouts::new(chain.to_vec(), None);
    services
        .iter()
        .filter(|s| f.admits(s))
        .map(|s| (s, s.reach(&w)))
        .filter(|(_, r)| *r != Reach::No)
        .collect()
}

fn cell_of(
    reached: &[(&ServiceProfile, Reach)],
    need: NeedCategory,
    tier: Option<ServiceTier>,
) -> Cell {
    let mut c = Cell::default();
    for (s, r) in reached {
        let e = &s.eligibility;
        let tier_ok = tier.is_none_or(|t| e.tiers.is_empty() || e.tiers.contains(&t));
        if !e.needs.contains(&need) || !tier_ok {
            continue;
        }
        match r {
            Reach::Fully { .. } => c.full.push(s.id),
            Reach::Partly => c.partial.push(s.id),
            Reach::No => {}
        }
    }
    c
}

/// One cell: services open to the filter's residents of `chain` that meet `need`.
pub fn cell(
    chain: &[String],
    need: NeedCategory,
    services: &[ServiceProfile],
    f: &CoverageFilter,
) -> Cell {
    cell_of(&reaching(chain, services, f), need, None)
}

/// The whole table: a row per home area (by name), a cell per category of need.
pub fn coverage(
    areas: &[Area],
    services: &[ServiceProfile],
    f: &CoverageFilter,
) -> Vec<CoverageRow> {
    let mut rows: Vec<CoverageRow> = home_areas(areas)
        .into_iter()
        .map(|area| {
            let reached = reaching(&area_chain(&area.gss_code, areas), services, f);
            CoverageRow {
                area: area.clone(),
                cells: NeedCategory::ALL
                    .iter()
                    .map(|&n| cell_of(&reached, n, None))
                    .collect(),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.area.name.cmp(&b.area.name));
    rows
}

/// One area in depth: for each need, a cell per tier (in [`ServiceTier::ALL`] order).
pub fn area_by_tier(
    code: &str,
    areas: &[Area],
    services: &[ServiceProfile],
    f: &CoverageFilter,
) -> Vec<(NeedCategory, Vec<Cell>)> {
    // Each column is a tier of its own, whatever tier the filter names.
    let any_tier = CoverageFilter { tier: None, ..*f };
    let reached = reaching(&area_chain(code, areas), services, &any_tier);
    NeedCategory::ALL
        .iter()
        .map(|&n| {
            let by_tier = ServiceTier::ALL
                .iter()
                .map(|&t| cell_of(&reached, n, Some(t)))
                .collect();
            (n, by_tier)
        })
        .collect()
}

/// Whether a service named for `code` or a wider area (as opposed to drawn) is counted there;
/// for tests and the per-area page's explanation.
pub fn is_named_for(s: &ServiceProfile, code: &str) -> bool {
    s.areas
        .iter()
        .any(|a| matches!(a, AreaServed::Named(c) if c == code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{Eligibility, ReferralRoute};
    use crate::place::Region;
    use proptest::prelude::*;

    fn area(code: &str, name: &str, parent: Option<&str>) -> Area {
        Area {
            gss_code: code.into(),
            name: name.into(),
            kind: "district".into(),
            parent_gss_code: parent.map(str::to_owned),
            population: None,
        }
    }

    fn areas() -> Vec<Area> {
        vec![
            area("E10000028", "Staffordshire", None),
            area("E07000197", "Stafford", Some("E10000028")),
            area("E07000195", "Newcastle-under-Lyme", Some("E10000028")),
            area("E06000021", "Stoke-on-Trent", None),
        ]
    }

    fn service(
        n: u128,
        areas: Vec<AreaServed>,
        needs: &[NeedCategory],
        e: Eligibility,
    ) -> ServiceProfile {
        ServiceProfile {
            id: Uuid::from_u128(n),
            name: format!("S{n}"),
            organization: "Org".into(),
            status: ServiceStatus::Active,
            eligibility: Eligibility {
                needs: needs.to_vec(),
                ..e
            },
            areas,
            referral_route: ReferralRoute::Harbour,
            capacity: None,
        }
    }

    fn named(c: &str) -> AreaServed {
        AreaServed::Named(c.into())
    }

    #[test]
    fn counts_services_per_area_and_need_and_shows_gaps() {
        use NeedCategory::*;
        let services = vec![
            service(1, vec![named("E10000028")], &[ShelterAndAccommodation], Eligibility::default()),
            service(2, vec![named("E07000197")], &[ShelterAndAccommodation, HealthMentalAndPhysical], Eligibility::default()),
            service(3, vec![named("E92000001")], &[HealthMentalAndPhysical], Eligibility::default()),
            service(
                4,
                vec![AreaServed::Drawn {
                    region: Region::from_geojson(r#"{"type":"Polygon","coordinates":[[[-2.3,52.9],[-2.1,52.9],[-2.1,53.1],[-2.3,52.9]]]}"#).unwrap(),
                    touches: vec!["E07000195".into()],
                }],
                &[FinanceAndBenefits],
                Eligibility::default(),
            ),
        ];
        let rows = coverage(&areas(), &services, &CoverageFilter::default());
        let names: Vec<&str> = rows.iter().map(|r| r.area.name.as_str()).collect();
        assert_eq!(
            names,
            ["Newcastle-under-Lyme", "Stafford", "Stoke-on-Trent"],
            "the county is not a home area"
        );
        let at = |name: &str, need: NeedCategory| {
            let r = rows.iter().find(|r| r.area.name == name).unwrap();
            r.cells[NeedCategory::ALL.iter().position(|&n| n == need).unwrap()].clone()
        };
        assert_eq!(at("Stafford", ShelterAndAccommodation).count(), 2);
        assert_eq!(
            at("Newcastle-under-Lyme", ShelterAndAccommodation).count(),
            1
        );
        assert!(at("Stoke-on-Trent", ShelterAndAccommodation).is_gap());
        assert_eq!(
            at("Stoke-on-Trent", HealthMentalAndPhysical).count(),
            1,
            "national service"
        );
        let partly = at("Newcastle-under-Lyme", FinanceAndBenefits);
        assert!(partly.is_gap() && partly.partial == vec![Uuid::from_u128(4)]);
        assert_eq!(
            rows.iter()
                .find(|r| r.area.name == "Stoke-on-Trent")
                .unwrap()
                .gaps(),
            7
        );
    }

    #[test]
    fn filters_by_age_group_gender_and_tier() {
        use NeedCategory::HealthMentalAndPhysical as H;
        let everywhere = || vec![named("E92000001")];
        let services = vec![
            service(
                1,
                everywhere(),
                &[H],
                Eligibility {
                    maximum_age: Some(17),
                    ..Eligibility::default()
                },
            ),
            service(
                2,
                everywhere(),
                &[H],
                Eligibility {
                    minimum_age: Some(18),
                    gender: Some(GenderEligibility::Women),
                    ..Eligibility::default()
                },
            ),
            service(
                3,
                everywhere(),
                &[H],
                Eligibility {
                    tiers: vec![ServiceTier::Acute],
                    ..Eligibility::default()
                },
            ),
        ];
        let count =
            |f: CoverageFilter| cell(&area_chain("E07000197", &areas()), H, &services, &f).count();
        assert_eq!(count(CoverageFilter::default()), 3);
        assert_eq!(
            count(CoverageFilter {
                age_group: Some(AgeGroup::ChildrenAndYoungPeople),
                ..Default::default()
            }),
            2
        );
        assert_eq!(
            count(CoverageFilter {
                age_group: Some(AgeGroup::Adults),
                ..Default::default()
            }),
            2
        );
        assert_eq!(
            count(CoverageFilter {
                gender: Some(GenderEligibility::Men),
                ..Default::default()
            }),
            2
        );
        assert_eq!(
            count(CoverageFilter {
                tier: Some(ServiceTier::Prevention),
                ..Default::default()
            }),
            2
        );
        let by_tier = area_by_tier("E07000197", &areas(), &services, &CoverageFilter::default());
        let acute = ServiceTier::ALL
            .iter()
            .position(|&t| t == ServiceTier::Acute)
            .unwrap();
        assert_eq!(by_tier[0].1[acute].count(), 3);
    }

    #[test]
    fn area_chains_climb_to_the_top_and_stop_at_loops() {
        assert_eq!(
            area_chain("E07000197", &areas()),
            ["E07000197", "E10000028"]
        );
        let looped = vec![area("A", "a", Some("B")), area("B", "b", Some("A"))];
        assert_eq!(area_chain("A", &looped), ["A", "B"]);
    }

    proptest! {
        #[test]
        fn narrowing_the_filter_never_adds_services(
            max_ages in prop::collection::vec(prop::option::of(0u32..40), 1..12),
            group in prop::sample::select(AgeGroup::ALL.to_vec()),
        ) {
            use NeedCategory::HealthMentalAndPhysical as H;
            let services: Vec<ServiceProfile> = max_ages
                .iter()
                .enumerate()
                .map(|(i, m)| service(i as u128, vec![named("E10000028")], &[H], Eligibility { maximum_age: *m, ..Eligibility::default() }))
                .collect();
            let chain = area_chain("E07000197", &areas());
            let all = cell(&chain, H, &services, &CoverageFilter::default()).count();
            let some = cell(&chain, H, &services, &CoverageFilter { age_group: Some(group), ..Default::default() }).count();
            prop_assert!(some <= all);
            prop_assert_eq!(all, services.len());
        }
    }
}
