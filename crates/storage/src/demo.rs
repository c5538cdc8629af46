//! The demo partnership: Staffordshire and Stoke-on-Trent's areas, agencies named in public
//! documents, and synthetic staff made from a fixed seed. No real person's data.

use crate::agencies;
use crate::areas::{DEMO_AREAS_CSV, import_areas, parse_areas_csv};
use crate::audit;
use crate::db::{Db, new_id};
use crate::error::Result;
use crate::users;
use harbour_domain::agency::{AgencyKind, NewAgency};
use harbour_domain::audit::{AuditAction, AuditEvent};
use harbour_domain::role::Role;
use harbour_domain::user::UserInput;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Every demo account has this password. It is printed when the demo starts; a production
/// deployment never loads the demo.
pub const DEMO_PASSWORD: &str = "harbour-demo-only";
pub const DEMO_SEED: u64 = 20_261_123;

const ALL_AREAS: &[&str] = &[
    "E07000192",
    "E07000193",
    "E07000194",
    "E07000195",
    "E07000196",
    "E07000197",
    "E07000198",
    "E07000199",
    "E06000021",
];

/// (name, kind, areas served, or all).
const AGENCIES: &[(&str, AgencyKind, &[&str])] = &[
    ("Staffordshire Police", AgencyKind::Police, ALL_AREAS),
    ("Staffordshire Victim Gateway", AgencyKind::Hub, ALL_AREAS),
    ("New Era", AgencyKind::DomesticAbuseService, ALL_AREAS),
    ("Catch 22", AgencyKind::ChildrensService, ALL_AREAS),
    ("The Alice Charity", AgencyKind::Charity, &["E07000195"]),
    (
        "Stoke-on-Trent City Council",
        AgencyKind::Council,
        &["E06000021"],
    ),
    (
        "Staffordshire Commissioner's Office",
        AgencyKind::Commissioner,
        ALL_AREAS,
    ),
];

/// The account for each role that the demo prints, and the agency it belongs to.
const SIGN_INS: &[(Role, &str)] = &[
    (Role::Administrator, "Staffordshire Victim Gateway"),
    (Role::TriageOfficer, "Staffordshire Victim Gateway"),
    (Role::Caseworker, "New Era"),
    (Role::Referrer, "Staffordshire Police"),
    (Role::MaracCoordinator, "Staffordshire Police"),
    (Role::Commissioner, "Staffordshire Commissioner's Office"),
    (Role::Auditor, "Staffordshire Victim Gateway"),
];

const FIRST: &[&str] = &[
    "Amara", "Ben", "Chloe", "Dev", "Ellis", "Farah", "Gareth", "Hana", "Isaac", "Jo", "Kiran",
    "Leah", "Marek", "Nia", "Owen", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
];
const LAST: &[&str] = &[
    "Ashdown", "Brereton", "Caldwell", "Dunmore", "Eastley", "Fenwick", "Garside", "Holloway",
    "Ingram", "Jessop", "Kershaw", "Lowther", "Marlow", "Norbury", "Oakes", "Pennock",
];

#[derive(Debug, Clone)]
pub struct DemoSignIn {
    pub role: Role,
    pub email: String,
    pub agency: String,
}

/// The demo sign-in for each role; the same whether or not the demo was loaded just now.
pub fn demo_sign_ins() -> Vec<DemoSignIn> {
    SIGN_INS
        .iter()
        .map(|(role, agency)| DemoSignIn {
            role: *role,
            email: format!("{}@demo.harbour.example", role.slug().replace('_', ".")),
            agency: (*agency).to_owned(),
        })
        .collect()
}

/// Loads the demo partnership into an empty database. Returns false, changing nothing, if
/// any agency exists already.
pub async fn load_demo(db: &Db) -> Result<bool> {
    if !agencies::list_all(db).await?.is_empty() {
        return Ok(false);
    }
    import_areas(db, parse_areas_csv(DEMO_AREAS_CSV)?).await?;
    let mut agency_ids = Vec::new();
    let mut tx = db.begin_write().await?;
    for (name, kind, areas) in AGENCIES {
        let agency = NewAgency {
            name: (*name).to_owned(),
            kind: *kind,
            areas: areas.iter().map(|a| (*a).to_owned()).collect(),
        };
        let id = agencies::insert(&mut tx, &agency).await?;
        let event = AuditEvent {
            actor_user_id: None,
            actor_agency_id: None,
            action: AuditAction::Create,
            entity_kind: "agency".into(),
            entity_id: Some(id.clone()),
            purpose: "load demo data".into(),
            request_id: new_id(),
        };
        audit::append(&mut tx, &event).await?;
        agency_ids.push(((*name).to_owned(), id));
    }
    tx.commit().await?;
    let agency_id = |name: &str| {
        agency_ids
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| id.clone())
            .unwrap_or_default()
    };

    let mut rng = StdRng::seed_from_u64(DEMO_SEED);
    let mut names: Vec<(String, String)> = FIRST
        .iter()
        .flat_map(|f| LAST.iter().map(move |l| ((*f).to_owned(), (*l).to_owned())))
        .collect();
    names.shuffle(&mut rng);
    let mut names = names.into_iter();
    let mut next_name = || {
        names
            .next()
            .unwrap_or_else(|| ("Alex".into(), "Doe".into()))
    };

    for sign_in in demo_sign_ins() {
        let (first, last) = next_name();
        let input = UserInput {
            display_name: format!("{first} {last}"),
            email: sign_in.email.clone(),
            agency_id: agency_id(&sign_in.agency),
            roles: vec![sign_in.role.slug().to_owned()],
            password: DEMO_PASSWORD.to_owned(),
        };
        users::create_as_system(db, &input, "load demo data").await?;
    }
    // A few more staff in each agency, so lists and scoping have something to show.
    for (agency, _, _) in AGENCIES {
        for _ in 0..2 {
            let (first, last) = next_name();
            let role = *[Role::Caseworker, Role::Referrer, Role::TriageOfficer]
                .choose(&mut rng)
                .unwrap_or(&Role::Referrer);
            let input = UserInput {
                display_name: format!("{first} {last}"),
                email: format!(
                    "{}.{}@demo.harbour.example",
                    first.to_lowercase(),
                    last.to_lowercase()
                ),
                agency_id: agency_id(agency),
                roles: vec![role.slug().to_owned()],
                password: DEMO_PASSWORD.to_owned(),
            };
            users::create_as_system(db, &input, "load demo data").await?;
        }
    }
    Ok(true)
}
