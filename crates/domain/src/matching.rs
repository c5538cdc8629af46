//! Matching a person to the services they can use: every service is checked against where
//! they live, their age, gender, crime, needs and tier, and comes back with the reasons it
//! matched or did not, best first. The triage page shows the list; the hub chooses from it.

use crate::crime::CrimeCategory;
use crate::directory::{GenderEligibility, Reach, ServiceProfile, ServiceStatus, Whereabouts};
use crate::needs::{NeedCategory, ServiceTier};
use serde::Serialize;
use uuid::Uuid;

/// What is known of the person being matched. Anything unknown is not held against them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Seeker {
    pub whereabouts: Whereabouts,
    pub age: Option<u32>,
    pub gender: Option<GenderEligibility>,
    pub crime: Option<CrimeCategory>,
    pub needs: Vec<NeedCategory>,
    pub tier: Option<ServiceTier>,
}

/// One test a service passes or fails for this person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    Status,
    Area,
    Age,
    Gender,
    Crime,
    Needs,
    Tier,
    Capacity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub criterion: Criterion,
    /// Passed. A failed check makes the service unsuitable, except capacity, which only
    /// lowers its place.
    pub met: bool,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceMatch {
    pub service_id: Uuid,
    pub name: String,
    pub organization: String,
    pub eligible: bool,
    pub needs_met: Vec<NeedCategory>,
    pub reasons: Vec<Reason>,
}

impl ServiceMatch {
    pub fn unmet(&self) -> impl Iterator<Item = &Reason> {
        self.reasons.iter().filter(|r| !r.met)
    }
}

fn reason(criterion: Criterion, met: bool, text: impl Into<String>) -> Reason {
    Reason {
        criterion,
        met,
        text: text.into(),
    }
}

/// Checks one service for one person.
pub fn assess(seeker: &Seeker, service: &ServiceProfile) -> (ServiceMatch, Rank) {
    let e = &service.eligibility;
    let mut reasons = Vec::new();

    let running = service.status == ServiceStatus::Active;
    reasons.push(reason(
        Criterion::Status,
        running,
        if running {
            "Running".to_owned()
        } else {
            service.status.label().to_owned()
        },
    ));

    let reach = service.reach(&seeker.whereabouts);
    let local = match reach {
        Reach::Fully { distance } => distance,
        _ => usize::MAX,
    };
    reasons.push(match reach {
        Reach::Fully { distance: 0 } => reason(Criterion::Area, true, "Works where they live"),
        Reach::Fully { .. } => reason(
            Criterion::Area,
            true,
            "Works across a wider area that includes where they live",
        ),
        Reach::Partly => reason(
            Criterion::Area,
            true,
            "Works in part of their area: check the postcode",
        ),
        Reach::No if seeker.whereabouts.areas.is_empty() && seeker.whereabouts.point.is_none() => {
            reason(Criterion::Area, false, "Where they live is not recorded")
        }
        Reach::No => reason(Criterion::Area, false, "Does not work where they live"),
    });

    match seeker.age {
        Some(age) => {
            let ok = e.admits_age(age);
            let range = match (e.minimum_age, e.maximum_age) {
                (Some(lo), Some(hi)) => format!("aged {lo} to {hi}"),
                (Some(lo), None) => format!("aged {lo} and over"),
                (None, Some(hi)) => format!("aged up to {hi}"),
                (None, None) => "of any age".to_owned(),
            };
            reasons.push(reason(
                Criterion::Age,
                ok,
                if ok {
                    format!("For people {range}")
                } else {
                    format!("Only for people {range}")
                },
            ));
        }
        None if e.minimum_age.is_some() || e.maximum_age.is_some() => reasons.push(reason(
            Criterion::Age,
            true,
            "Has an age range: their age is not recorded",
        )),
        None => {}
    }

    match (e.gender.unwrap_or(GenderEligibility::Any), seeker.gender) {
        (GenderEligibility::Any, _) => {}
        (only, Some(g)) => {
            let ok = e.admits_gender(g);
            reasons.push(reason(
                Criterion::Gender,
                ok,
                format!("For {} only", only.label().to_lowercase()),
            ));
        }
        (only, None) => reasons.push(reason(
            Criterion::Gender,
            true,
            format!(
                "For {} only: their gender is not recorded",
                only.label().to_lowercase()
            ),
        )),
    }

    if !e.crime_categories.is_empty() {
        match seeker.crime {
            Some(c) => {
                let ok = e.crime_categories.contains(&c);
                reasons.push(reason(
                    Criterion::Crime,
                    ok,
                    if ok {
                        format!("Supports victims of {}", c.label().to_lowercase())
                    } else {
                        format!("Does not support victims of {}", c.label().to_lowercase())
                    },
                ));
            }
            None => reasons.push(reason(
                Criterion::Crime,
                true,
                "For victims of some crimes only: the crime is not recorded",
            )),
        }
    }

    let needs_met: Vec<NeedCategory> = seeker
        .needs
        .iter()
        .copied()
        .filter(|n| e.needs.contains(n))
        .collect();
    if !seeker.needs.is_empty() {
        let ok = !needs_met.is_empty();
        let names: Vec<&str> = needs_met.iter().map(|n| n.label()).collect();
        reasons.push(reason(
            Criterion::Needs,
            ok,
            if ok {
                format!("Meets: {}", names.join(", "))
            } else {
                "Meets none of their needs".to_owned()
            },
        ));
    }

    let mut exact_tier = false;
    if let Some(t) = seeker.tier
        && !e.tiers.is_empty()
    {
        exact_tier = e.tiers.contains(&t);
        reasons.push(reason(
            Criterion::Tier,
            exact_tier,
            if exact_tier {
                format!("Works at the {} tier", t.label().to_lowercase())
            } else {
                format!("Does not work at the {} tier", t.label().to_lowercase())
            },
        ));
    }

    let mut has_room = true;
    if let Some(c) = &service.capacity {
        has_room = c.free > 0;
        reasons.push(reason(
            Criterion::Capacity,
            has_room,
            if has_room {
                format!("{} {} free", c.free, c.unit)
            } else {
                format!("No {} free at the last update", c.unit)
            },
        ));
    }

    let eligible = reasons
        .iter()
        .all(|r| r.met || r.criterion == Criterion::Capacity);
    let rank = Rank {
        eligible,
        needs_met: needs_met.len(),
        exact_tier,
        has_room,
        local,
    };
    (
        ServiceMatch {
            service_id: service.id,
            name: service.name.clone(),
            organization: service.organization.clone(),
            eligible,
            needs_met,
            reasons,
        },
        rank,
    )
}

/// The order of a match: suitable first; then those meeting more of the person's needs; at
/// their tier; with room; working nearest (their own district before the county); then by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rank {
    eligible: bool,
    needs_met: usize,
    exact_tier: bool,
    has_room: bool,
    local: usize,
}

impl Rank {
    fn key(self) -> (bool, std::cmp::Reverse<usize>, bool, bool, usize) {
        (
            !self.eligible,
            std::cmp::Reverse(self.needs_met),
            !self.exact_tier,
            !self.has_room,
            self.local,
        )
    }
}

/// Every service, assessed and ranked best first. Unsuitable ones come last, with their reasons,
/// so the hub can see why a service it expected is not offered.
pub fn match_services(seeker: &Seeker, services: &[ServiceProfile]) -> Vec<ServiceMatch> {
    let mut assessed: Vec<(ServiceMatch, Rank)> =
        services.iter().map(|s| assess(seeker, s)).collect();
    assessed.sort_by(|(a, ra), (b, rb)| {
        ra.key()
            .cmp(&rb.key())
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.service_id.cmp(&b.service_id))
    });
    assessed.into_iter().map(|(m, _)| m).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{AreaServed, Capacity, Eligibility, ReferralRoute};
    use proptest::prelude::*;

    const STAFFORD: &str = "E07000197";
    const COUNTY: &str = "E10000028";
    const STOKE: &str = "E06000021";

    fn service(name: &str, areas: &[&str], eligibility: Eligibility) -> ServiceProfile {
        ServiceProfile {
            id: Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()),
            name: name.into(),
            organization: "Org".into(),
            status: ServiceStatus::Active,
            eligibility,
            areas: areas
                .iter()
                .map(|a| AreaServed::Named((*a).into()))
                .collect(),
            referral_route: ReferralRoute::Harbour,
            capacity: None,
        }
    }

    fn needs(n: &[NeedCategory]) -> Eligibility {
        Eligibility {
            needs: n.to_vec(),
            ..Eligibility::default()
        }
    }

    fn adult_woman_in_stafford() -> Seeker {
        Seeker {
            whereabouts: Whereabouts::new(vec![STAFFORD.into(), COUNTY.into()], None),
            age: Some(34),
            gender: Some(GenderEligibility::Women),
            crime: Some(CrimeCategory::DomesticAbuse),
            needs: vec![
                NeedCategory::ShelterAndAccommodation,
                NeedCategory::HealthMentalAndPhysical,
            ],
            tier: Some(ServiceTier::Acute),
        }
    }

    #[test]
    fn ranks_suitable_services_by_needs_met_then_nearness_and_says_why_others_are_not() {
        use NeedCategory::*;
        let both = service(
            "B both needs county",
            &[COUNTY],
            needs(&[ShelterAndAccommodation, HealthMentalAndPhysical]),
        );
        let local = service(
            "C one need local",
            &[STAFFORD],
            needs(&[ShelterAndAccommodation]),
        );
        let county = service(
            "A one need county",
            &[COUNTY],
            needs(&[HealthMentalAndPhysical]),
        );
        let stoke = service("D stoke only", &[STOKE], needs(&[ShelterAndAccommodation]));
        let kids = service(
            "E children",
            &[STAFFORD],
            Eligibility {
                maximum_age: Some(17),
                ..needs(&[HealthMentalAndPhysical])
            },
        );
        let men = service(
            "F men",
            &[STAFFORD],
            Eligibility {
                gender: Some(GenderEligibility::Men),
                ..needs(&[HealthMentalAndPhysical])
            },
        );
        let matches = match_services(
            &adult_woman_in_stafford(),
            &[stoke, kids, men, county, local, both],
        );
        let names: Vec<&str> = matches.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            &names[..3],
            [
                "B both needs county",
                "C one need local",
                "A one need county"
            ]
        );
        assert!(matches[..3].iter().all(|m| m.eligible));
        let why = |name: &str| -> Vec<Criterion> {
            matches
                .iter()
                .find(|m| m.name == name)
                .unwrap()
                .unmet()
                .map(|r| r.criterion)
                .collect()
        };
        assert_eq!(why("D stoke only"), [Criterion::Area]);
        assert_eq!(why("E children"), [Criterion::Age]);
        assert_eq!(why("F men"), [Criterion::Gender]);
    }

    #[test]
    fn a_full_service_stays_suitable_but_comes_after_one_with_room() {
        let mut full = service(
            "A refuge full",
            &[STAFFORD],
            needs(&[NeedCategory::ShelterAndAccommodation]),
        );
        full.capacity = Some(Capacity {
            unit: "refuge spaces".into(),
            free: 0,
            total: Some(6),
            updated_at: chrono::DateTime::UNIX_EPOCH,
        });
        let room = service(
            "B refuge",
            &[STAFFORD],
            needs(&[NeedCategory::ShelterAndAccommodation]),
        );
        let m = match_services(&adult_woman_in_stafford(), &[full, room]);
        assert_eq!(m[0].name, "B refuge");
        assert!(m[1].eligible);
        assert_eq!(m[1].unmet().next().unwrap().criterion, Criterion::Capacity);
    }

    #[test]
    fn unknown_facts_are_not_held_against_the_person() {
        let s = service(
            "Women's service",
            &[STAFFORD],
            Eligibility {
                gender: Some(GenderEligibility::Women),
                minimum_age: Some(16),
                crime_categories: vec![CrimeCategory::DomesticAbuse],
                ..needs(&[NeedCategory::HealthMentalAndPhysical])
            },
        );
        let unknown = Seeker {
            age: None,
            gender: None,
            crime: None,
            needs: vec![],
            tier: None,
            ..adult_woman_in_stafford()
        };
        let m = &match_services(&unknown, &[s])[0];
        assert!(m.eligible, "{m:?}");
    }

    #[test]
    fn closed_services_and_wrong_crimes_are_not_suitable() {
        let mut closed = service(
            "Closed",
            &[STAFFORD],
            needs(&[NeedCategory::HealthMentalAndPhysical]),
        );
        closed.status = ServiceStatus::TemporarilyClosed;
        let hate = service(
            "Hate crime",
            &[STAFFORD],
            Eligibility {
                crime_categories: vec![CrimeCategory::HateCrime],
                ..needs(&[NeedCategory::HealthMentalAndPhysical])
            },
        );
        let m = match_services(&adult_woman_in_stafford(), &[closed, hate]);
        assert!(m.iter().all(|x| !x.eligible));
    }

    fn arb_service() -> impl Strategy<Value = ServiceProfile> {
        (
            prop::sample::subsequence(NeedCategory::ALL.to_vec(), 0..4),
            prop::sample::select(vec![STAFFORD, COUNTY, STOKE]),
            prop::option::of(0u32..30),
            any::<bool>(),
            "[a-z]{1,6}",
        )
            .prop_map(|(n, area, min_age, women, name)| {
                service(
                    &name,
                    &[area],
                    Eligibility {
                        minimum_age: min_age,
                        gender: women.then_some(GenderEligibility::Women),
                        ..needs(&n)
                    },
                )
            })
    }

    proptest! {
        #[test]
        fn suitable_services_always_come_first_and_every_unsuitable_one_says_why(
            services in prop::collection::vec(arb_service(), 0..20)
        ) {
            let m = match_services(&adult_woman_in_stafford(), &services);
            prop_assert_eq!(m.len(), services.len());
            let first_unsuitable = m.iter().position(|x| !x.eligible).unwrap_or(m.len());
            prop_assert!(m[first_unsuitable..].iter().all(|x| !x.eligible));
            for x in &m[first_unsuitable..] {
                prop_assert!(x.unmet().any(|r| r.criterion != Criterion::Capacity));
            }
            for x in &m[..first_unsuitable] {
                prop_assert!(!x.needs_met.is_empty());
            }
        }
    }
}
