//! The demo directory: the real services named in the partnership's public documents, with
//! fictional contact details except the public numbers they publish. Built as Open Referral
//! JSON and loaded through the same import as any council's feed.

mod build;

use crate::directory::oruk::{Export, Location, Schedule, ServiceArea, ServiceAtLocation};
use build::*;
use harbour_domain::crime::CrimeCategory;
use harbour_domain::needs::{NeedCategory, ServiceTier};

/// The demo directory as an Open Referral export.
pub fn demo_directory() -> Export {
    use CrimeCategory as C;
    use NeedCategory::*;
    use ServiceTier::*;
    let all = [COUNTY, STOKE];
    let gateway = org(
        "Staffordshire Victim Gateway",
        "The front door for all victims of crime in Staffordshire and Stoke-on-Trent, whether reported or not.",
        Some("Staffordshire Victim Gateway"),
        "https://www.staffordshirecommissioner.gov.uk/",
    );
    let new_era = org(
        "New Era",
        "Domestic abuse services across Staffordshire and Stoke-on-Trent, for victims and, separately, perpetrators.",
        Some("New Era"),
        "https://www.new-era.uk/",
    );
    let alice = org(
        "The Alice Charity",
        "Practical help for families after a crisis in Newcastle-under-Lyme.",
        Some("The Alice Charity"),
        "https://www.alicecharity.org/",
    );
    let catch22 = org(
        "Catch 22",
        "Support for children and young people at risk of exploitation, and return-home interviews.",
        Some("Catch 22"),
        "https://www.catch-22.org.uk/",
    );
    let barnardos = org(
        "Barnardo's National FGM Centre",
        "Prevention of female genital mutilation and support for families.",
        None,
        "https://www.nationalfgmcentre.org.uk/",
    );
    let challenge = org(
        "Challenge North Staffs",
        "Support for victims of hate crime in the north of the county.",
        None,
        "https://www.challengenorthstaffs.org.uk/",
    );
    let commissioner = org(
        "Staffordshire Commissioner's Office",
        "Commissions victim services for Staffordshire and Stoke-on-Trent.",
        Some("Staffordshire Commissioner's Office"),
        "https://www.staffordshirecommissioner.gov.uk/",
    );
    let brake = org(
        "Brake",
        "The road safety charity, supporting people bereaved or injured in road crashes.",
        None,
        "https://www.brake.org.uk/",
    );
    let stafford_council = org(
        "Stafford Borough Council",
        "The district council for the borough of Stafford.",
        None,
        "https://www.staffordbc.gov.uk/",
    );
    let stoke_council = org(
        "Stoke-on-Trent City Council",
        "The unitary council for Stoke-on-Trent.",
        Some("Stoke-on-Trent City Council"),
        "https://www.stoke.gov.uk/",
    );
    let newcastle_council = org(
        "Newcastle-under-Lyme Borough Council",
        "The district council for Newcastle-under-Lyme.",
        None,
        "https://www.newcastle-staffs.gov.uk/",
    );

    let mut services = vec![
        service(Spec {
            key: "gateway",
            org: &gateway,
            name: "Victim Gateway: information, advice and support",
            description: "Information, advice and emotional support for any victim of crime, reported or not, and referral on to specialist services.",
            needs: &[
                HealthMentalAndPhysical,
                OutlookAndAttitudes,
                SocialInteraction,
                FinanceAndBenefits,
            ],
            tiers: &[Prevention, EarlyIntervention],
            crimes: &[],
            areas: &all,
            ages: (None, None),
            gender: "any",
            route: "harbour",
            public_phone: Some("0330 0881 339"),
        }),
        service(Spec {
            key: "newera-early",
            org: &new_era,
            name: "New Era domestic abuse support: prevention and early intervention",
            description: "Information, safety planning and group programmes for people experiencing domestic abuse, before it escalates.",
            needs: &[
                OutlookAndAttitudes,
                SocialInteraction,
                FamilyFriendsAndChildren,
            ],
            tiers: &[Prevention, EarlyIntervention],
            crimes: &[C::DomesticAbuse, C::StalkingOrHarassment],
            areas: &all,
            ages: (Some(16), None),
            gender: "any",
            route: "harbour",
            public_phone: Some("01632 960 101"),
        }),
        service(Spec {
            key: "newera-outreach",
            org: &new_era,
            name: "New Era targeted outreach",
            description: "One-to-one outreach support for victims of domestic abuse at medium risk, in the community.",
            needs: &[
                HealthMentalAndPhysical,
                FamilyFriendsAndChildren,
                FinanceAndBenefits,
                ShelterAndAccommodation,
            ],
            tiers: &[Targeted],
            crimes: &[C::DomesticAbuse, C::StalkingOrHarassment],
            areas: &all,
            ages: (Some(16), None),
            gender: "any",
            route: "harbour",
            public_phone: Some("01632 960 102"),
        }),
        service(Spec {
            key: "newera-idva",
            org: &new_era,
            name: "New Era independent domestic violence advisers (IDVA)",
            description: "Intensive support for victims at high risk of serious harm, through MARAC and the criminal justice process.",
            needs: &[
                HealthMentalAndPhysical,
                ShelterAndAccommodation,
                FamilyFriendsAndChildren,
            ],
            tiers: &[Acute],
            crimes: &[C::DomesticAbuse, C::StalkingOrHarassment],
            areas: &all,
            ages: (Some(16), None),
            gender: "any",
            route: "harbour",
            public_phone: Some("01632 960 103"),
        }),
        service(Spec {
            key: "newera-refuge",
            org: &new_era,
            name: "New Era refuge",
            description: "Safe emergency accommodation for women, and their children, fleeing domestic abuse. The address is never published.",
            needs: &[ShelterAndAccommodation, FamilyFriendsAndChildren],
            tiers: &[Acute],
            crimes: &[C::DomesticAbuse],
            areas: &all,
            ages: (Some(16), None),
            gender: "women",
            route: "harbour",
            public_phone: Some("01632 960 104"),
        }),
        service(Spec {
            key: "alice",
            org: &alice,
            name: "The Alice Charity: basics and household furnishings",
            description: "Practical help for families after a crisis: food, clothing, and furniture and household goods for a new home.",
            needs: &[FinanceAndBenefits, ShelterAndAccommodation],
            tiers: &[],
            crimes: &[],
            areas: &[NEWCASTLE, STOKE],
            ages: (None, None),
            gender: "any",
            route: "email",
            public_phone: Some("01632 960 205"),
        }),
        service(Spec {
            key: "catch22-cse",
            org: &catch22,
            name: "Catch 22 child sexual exploitation support",
            description: "Specialist support for children and young people who are, or are at risk of being, sexually exploited.",
            needs: &[
                HealthMentalAndPhysical,
                FamilyFriendsAndChildren,
                SocialInteraction,
            ],
            tiers: &[Targeted, Acute],
            crimes: &[C::SexualOffence, C::HumanTrafficking],
            areas: &all,
            ages: (Some(8), Some(18)),
            gender: "any",
            route: "harbour",
            public_phone: None,
        }),
        service(Spec {
            key: "catch22-rhi",
            org: &catch22,
            name: "Catch 22 return-home interviews",
            description: "An independent interview within 72 hours for every child who returns home after going missing.",
            needs: &[FamilyFriendsAndChildren],
            tiers: &[],
            crimes: &[],
            areas: &all,
            ages: (None, Some(17)),
            gender: "any",
            route: "harbour",
            public_phone: Some("01632 960 306"),
        }),
        service(Spec {
            key: "fgm",
            org: &barnardos,
            name: "National FGM Centre: prevention and family support",
            description: "Direct work with girls and families affected by, or at risk of, female genital mutilation.",
            needs: &[FamilyFriendsAndChildren, HealthMentalAndPhysical],
            tiers: &[Targeted],
            crimes: &[],
            areas: &[ENGLAND],
            ages: (None, None),
            gender: "any",
            route: "email",
            public_phone: None,
        }),
        service(Spec {
            key: "challenge",
            org: &challenge,
            name: "Challenge North Staffs hate crime service",
            description: "Support and advocacy for victims of hate crime in Newcastle-under-Lyme, Staffordshire Moorlands and Stoke-on-Trent.",
            needs: &[OutlookAndAttitudes, SocialInteraction],
            tiers: &[],
            crimes: &[C::HateCrime],
            areas: &[NEWCASTLE, MOORLANDS, STOKE],
            ages: (None, None),
            gender: "any",
            route: "phone",
            public_phone: Some("01632 960 408"),
        }),
        service(Spec {
            key: "rj",
            org: &commissioner,
            name: "Restorative Justice Hub",
            description: "Restorative interventions at any stage of the justice process, when the victim wants one.",
            needs: &[OutlookAndAttitudes],
            tiers: &[],
            crimes: &[],
            areas: &all,
            ages: (None, None),
            gender: "any",
            route: "harbour",
            public_phone: None,
        }),
        service(Spec {
            key: "isva",
            org: &commissioner,
            name: "Independent sexual violence advisers (ISVA)",
            description: "Independent advice and support for victims of rape and sexual assault, whether or not they report to the police.",
            needs: &[HealthMentalAndPhysical, OutlookAndAttitudes],
            tiers: &[Targeted, Acute],
            crimes: &[C::SexualOffence],
            areas: &all,
            ages: (Some(13), None),
            gender: "any",
            route: "harbour",
            public_phone: None,
        }),
        service(Spec {
            key: "business-crime",
            org: &commissioner,
            name: "Business Crime Advisor",
            description: "Contacts victims of business crime within one day and offers an hour of free specialist support.",
            needs: &[FinanceAndBenefits, EducationSkillsAndEmployment],
            tiers: &[],
            crimes: &[C::BusinessCrime],
            areas: &all,
            ages: (Some(18), None),
            gender: "any",
            route: "harbour",
            public_phone: None,
        }),
        service(Spec {
            key: "brake",
            org: &brake,
            name: "Brake National Road Victim Service",
            description: "Support for people bereaved or seriously injured in a road crash.",
            needs: &[HealthMentalAndPhysical, OutlookAndAttitudes],
            tiers: &[],
            crimes: &[C::BereavedByCrime],
            areas: &[ENGLAND],
            ages: (None, None),
            gender: "any",
            route: "phone",
            public_phone: None,
        }),
        service(Spec {
            key: "sanctuary-stafford",
            org: &stafford_council,
            name: "Sanctuary scheme: Stafford",
            description: "Extra security fitted to the home so a victim of domestic abuse can stay safely in it.",
            needs: &[ShelterAndAccommodation],
            tiers: &[Targeted, Acute],
            crimes: &[C::DomesticAbuse],
            areas: &[STAFFORD],
            ages: (Some(18), None),
            gender: "any",
            route: "email",
            public_phone: None,
        }),
        service(Spec {
            key: "sanctuary-stoke",
            org: &stoke_council,
            name: "Sanctuary scheme: Stoke-on-Trent",
            description: "Extra security fitted to the home so a victim of domestic abuse can stay safely in it.",
            needs: &[ShelterAndAccommodation],
            tiers: &[Targeted, Acute],
            crimes: &[C::DomesticAbuse],
            areas: &[STOKE],
            ages: (Some(18), None),
            gender: "any",
            route: "harbour",
            public_phone: None,
        }),
        service(Spec {
            key: "sanctuary-newcastle",
            org: &newcastle_council,
            name: "Sanctuary scheme: Newcastle-under-Lyme",
            description: "Extra security fitted to the home so a victim of domestic abuse can stay safely in it.",
            needs: &[ShelterAndAccommodation],
            tiers: &[Targeted, Acute],
            crimes: &[C::DomesticAbuse],
            areas: &[NEWCASTLE],
            ages: (Some(18), None),
            gender: "any",
            route: "email",
            public_phone: None,
        }),
        service(Spec {
            key: "newera-stafford-dropin",
            org: &new_era,
            name: "New Era drop-in: Stafford town",
            description: "A weekly drop-in for anyone worried about domestic abuse, for people living in the Stafford town wards.",
            needs: &[SocialInteraction, OutlookAndAttitudes],
            tiers: &[Prevention, EarlyIntervention],
            crimes: &[C::DomesticAbuse],
            areas: &[],
            ages: (Some(16), None),
            gender: "any",
            route: "self",
            public_phone: Some("01632 960 107"),
        }),
    ];

    for s in &mut services {
        match s.name.as_str() {
            "New Era refuge" => {
                s.service_at_locations = vec![ServiceAtLocation {
                    id: id("sal/refuge"),
                    location: Some(Location {
                        id: id("location/refuge"),
                        location_type: "physical".into(),
                        name: Some("Refuge (confidential)".into()),
                        latitude: Some(52.8105),
                        longitude: Some(-2.1052),
                        addresses: vec![crate::directory::oruk::Address {
                            id: id("address/refuge"),
                            address_1: "17 Larkspur Close".into(),
                            city: "Stafford".into(),
                            state_province: "Staffordshire".into(),
                            postal_code: "ST16 9ZZ".into(),
                            country: "GB".into(),
                            address_type: "physical".into(),
                            ..crate::directory::oruk::Address::default()
                        }],
                        phones: vec![phone(
                            "refuge",
                            "01785 990 417",
                            "Refuge staff office",
                            true,
                        )],
                        confidential: true,
                        ..Location::default()
                    }),
                    ..ServiceAtLocation::default()
                }];
                if let Some(h) = &mut s.harbour {
                    h.capacity_unit = Some("refuge spaces".into());
                    h.capacity_free = Some(2);
                    h.capacity_total = Some(9);
                }
            }
            "The Alice Charity: basics and household furnishings" => {
                s.service_at_locations = vec![office(
                    "alice",
                    "The Alice Charity warehouse",
                    "Unit 4, Brunswick Yard",
                    "Newcastle-under-Lyme",
                    "ST5 1AB",
                    53.0109,
                    -2.2278,
                )];
            }
            "Victim Gateway: information, advice and support" => {
                s.service_at_locations = vec![office(
                    "gateway",
                    "Victim Gateway office",
                    "Block 3, Weston Road",
                    "Stafford",
                    "ST16 3AA",
                    52.8098,
                    -2.0941,
                )];
                s.schedules = vec![weekdays("gateway", "08:00", "20:00")];
            }
            "New Era drop-in: Stafford town" => {
                s.service_areas = vec![ServiceArea {
                    id: id("area/stafford-town"),
                    name: Some("Stafford town wards".into()),
                    description: Some("Common, Coton, Forebridge, Highfields & Western Downs, Manor, Penkside".into()),
                    extent_type: Some("geojson".into()),
                    extent: Some(
                        r#"{"type":"Polygon","coordinates":[[[-2.150,52.785],[-2.070,52.785],[-2.070,52.830],[-2.150,52.830],[-2.150,52.785]]]}"#
                            .into(),
                    ),
                    ..ServiceArea::default()
                }];
                s.schedules = vec![Schedule {
                    id: id("schedule/dropin"),
                    freq: Some("WEEKLY".into()),
                    wkst: Some("MO".into()),
                    byday: Some("WE".into()),
                    opens_at: Some("10:00".into()),
                    closes_at: Some("13:00".into()),
                    description: Some("Wednesdays, 10am to 1pm".into()),
                    ..Schedule::default()
                }];
                s.service_at_locations = vec![office(
                    "dropin",
                    "Stafford community hub",
                    "Market Square",
                    "Stafford",
                    "ST16 2AB",
                    52.8066,
                    -2.1170,
                )];
            }
            _ => {}
        }
    }
    Export {
        version: "HSDS-UK-3.0".into(),
        services,
        ..Export::default()
    }
}
