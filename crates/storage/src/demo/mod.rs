//! The demo partnership: Staffordshire and Stoke-on-Trent's areas, agencies named in public
//! documents, and synthetic staff made from a fixed seed. No real person's data.
//!
//! Every demo loader is here: the partnership and its synthetic referrals (this module), the
//! directory's services ([`directory`]) and the referrals on to New Era ([`onward`]).

pub mod alerts;
pub mod cases;
pub mod directory;
pub mod governance;
pub mod history;
pub mod marac;
pub mod onward;
pub mod recognition;

pub use onward::load_demo_onward;

use crate::agencies;
use crate::areas::{DEMO_AREAS_CSV, import_areas, parse_areas_csv};
use crate::audit;
use crate::db::{Db, new_id, now};
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
    (Role::ServiceManager, "New Era"),
    (Role::Referrer, "Staffordshire Police"),
    (Role::MaracCoordinator, "Staffordshire Police"),
    (Role::Commissioner, "Staffordshire Commissioner's Office"),
    (Role::Auditor, "Staffordshire Victim Gateway"),
    (Role::AlertAuthor, "Staffordshire Police"),
    (
        Role::DataProtectionOfficer,
        "Staffordshire Commissioner's Office",
    ),
];

const FIRST: &[&str] = &[
    "Amara", "Ben", "Chloe", "Dev", "Ellis", "Farah", "Gareth", "Hana", "Isaac", "Jo", "Kiran",
    "Leah", "Marek", "Nia", "Owen", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
];
const STREETS: &[&str] = &[
    "Church Lane",
    "Station Road",
    "Mill Street",
    "Queensway",
    "Park Avenue",
    "Victoria Road",
    "Meadow Close",
    "Oak Drive",
    "Canal Side",
    "Market Street",
    "Hill Crescent",
    "Brook Way",
    "School Lane",
    "Elm Grove",
    "Riverside Walk",
    "Castle Street",
    "Moorland Road",
    "Priory Close",
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

/// A demo account's authenticator secret: the same every time, derived from its address, so
/// `harbour demo-code` and the tests can give its code. Real accounts get random secrets.
pub fn demo_two_factor_secret(email: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(format!("harbour demo authenticator\n{email}").as_bytes())[..20].to_vec()
}

/// A demo account's authenticator code for a time step (seconds since 1970 over 30).
pub fn demo_code(email: &str, step: u64) -> String {
    harbour_domain::two_factor::code_at(&demo_two_factor_secret(email), step)
}

/// Whether an address is one of the demo's, whose authenticator codes anyone can work out.
pub fn is_demo_address(email: &str) -> bool {
    email.ends_with("@demo.harbour.example")
}

/// Sets up an authenticator for each demo account whose roles require two-factor sign-in.
async fn enrol_demo_authenticators(db: &Db) -> Result<()> {
    let users: Vec<(String, String)> = sqlx::query_as("SELECT id, email FROM users ORDER BY id")
        .fetch_all(db.pool())
        .await?;
    let mut tx = db.begin_write().await?;
    for (id, email) in users {
        let roles = crate::auth::roles_of(&mut tx, &id).await?;
        if is_demo_address(&email) && harbour_domain::two_factor::required(&roles, false) {
            sqlx::query(
                "INSERT INTO two_factor (user_id, secret, confirmed_at) VALUES ($1, $2, $3)",
            )
            .bind(&id)
            .bind(tx.keyring()?.seal(
                crate::sealed::AUTHENTICATOR_SECRET,
                &hex::encode(demo_two_factor_secret(&email)),
            )?)
            .bind(now())
            .execute(tx.conn())
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
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
    enrol_demo_authenticators(db).await?;
    crate::postcodes::import_postcodes(db, crate::postcodes::DEMO_POSTCODES_CSV.as_bytes()).await?;
    let loader = crate::directory::Loader {
        user_id: None,
        agency_id: None,
        label: "demo data".into(),
        request_id: new_id(),
    };
    crate::directory::import(db, &directory::demo_directory(), &loader).await?;
    marac::load_demo_maracs(db).await?;
    Ok(true)
}

/// Adds `n` synthetic referrals with a realistic mix: crime categories (domestic abuse the
/// largest share), areas weighted by population, sources (mostly police), repeat victims,
/// dates over the past year, and a backlog still waiting for triage. Fixed seed; written in
/// large batches so a million rows for a benchmark take minutes, not hours. Each batch is one
/// audit entry ("load demo referrals").
pub async fn load_demo_referrals(db: &Db, n: u64) -> Result<u64> {
    load_demo_referrals_over(db, n, 365, 1.6).await
}

/// [`load_demo_referrals`] received over the last `days` days: evenly with `skew` 1, more of
/// them recently the higher it is.
pub async fn load_demo_referrals_over(db: &Db, n: u64, days: u32, skew: f64) -> Result<u64> {
    use crate::sealed;
    use chrono::{Duration, Utc};
    use harbour_domain::calendar::{WorkingDays, uk_date};
    use harbour_domain::crime::CrimeCategory as C;
    use harbour_domain::referral::{Person, Source, Status, due_by};
    use harbour_domain::safe_contact::{AllowedChannel, Channel, SafeContact};
    use rand::Rng;
    use rand::distributions::{Distribution, WeightedIndex};

    let areas = parse_areas_csv(DEMO_AREAS_CSV)?;
    let districts: Vec<_> = areas.iter().filter(|a| a.kind != "county").collect();
    let area_pick = WeightedIndex::new(districts.iter().map(|a| a.population.unwrap_or(1)))
        .map_err(|e| crate::error::StorageError::Corrupt(e.to_string()))?;
    let crimes = [
        (C::DomesticAbuse, 34),
        (C::ViolenceAgainstThePerson, 15),
        (C::Theft, 9),
        (C::Burglary, 7),
        (C::CriminalDamage, 7),
        (C::SexualOffence, 5),
        (C::StalkingOrHarassment, 6),
        (C::Fraud, 5),
        (C::HateCrime, 2),
        (C::Robbery, 2),
        (C::BusinessCrime, 3),
        (C::WoundingWithIntent, 1),
        (C::BereavedByCrime, 1),
        (C::Other, 3),
    ];
    let crime_pick = WeightedIndex::new(crimes.iter().map(|c| c.1))
        .map_err(|e| crate::error::StorageError::Corrupt(e.to_string()))?;
    let agencies = agencies::list_all(db).await?;
    let police = agencies
        .iter()
        .find(|a| a.kind == AgencyKind::Police)
        .map(|a| a.id.to_string());
    let partner = agencies
        .iter()
        .find(|a| a.kind == AgencyKind::DomesticAbuseService)
        .map(|a| a.id.to_string());
    let calendar = WorkingDays::england_and_wales();
    let now = Utc::now();
    let today = uk_date(now);
    let mut rng = StdRng::seed_from_u64(DEMO_SEED ^ n);
    let keyring = db.keyring()?;
    // Victims seen before, for repeats: (person id, details, safe contact), each as JSON.
    let mut known: Vec<(String, String, String)> = Vec::new();
    let existing: i64 = {
        use sqlx::Row;
        sqlx::query("SELECT COUNT(*) AS c FROM referrals")
            .fetch_one(db.pool())
            .await?
            .get("c")
    };
    let mut made = 0u64;
    const BATCH: u64 = 400;
    while made < n {
        let size = BATCH.min(n - made);
        let mut persons: Vec<[Option<String>; 9]> = Vec::new();
        let mut referrals: Vec<Vec<Option<String>>> = Vec::new();
        for i in 0..size {
            let seq = existing as u64 + made + i;
            let (crime, _) = crimes[crime_pick.sample(&mut rng)];
            let area = districts[area_pick.sample(&mut rng)].gss_code.clone();
            let repeat = crime == C::DomesticAbuse && !known.is_empty() && rng.gen_bool(0.38);
            let (person_id, person_details, person_safe_contact, review) = if repeat {
                let (id, details, safe) = known[rng.gen_range(0..known.len())].clone();
                // Records of one person differ as records do: a slip in the given name, a new
                // address, no date of birth. Such a referral waits for the hub to confirm.
                if rng.gen_bool(0.3) {
                    let mut p: Person = crate::referrals::from_json(&details)?;
                    match rng.gen_range(0..3) {
                        0 => {
                            let mut given: Vec<char> = p.given_name.chars().collect();
                            let at = rng.gen_range(0..given.len().saturating_sub(1).max(1));
                            if given.len() > 2 {
                                given.swap(at, at + 1);
                            }
                            p.given_name = given.into_iter().collect();
                        }
                        1 => {
                            p.address = format!(
                                "{} {}",
                                rng.gen_range(1..200),
                                STREETS[rng.gen_range(0..STREETS.len())]
                            );
                        }
                        _ => p.date_of_birth = None,
                    }
                    (
                        id,
                        crate::db::to_json(&p)?,
                        safe,
                        Some("pending".to_owned()),
                    )
                } else {
                    (id, details, safe, None)
                }
            } else {
                let given = FIRST[rng.gen_range(0..FIRST.len())].to_owned();
                let family = LAST[rng.gen_range(0..LAST.len())].to_owned();
                let dob = today - Duration::days(rng.gen_range(16 * 365..80 * 365));
                let p = Person {
                    given_name: given.clone(),
                    family_name: family.clone(),
                    previous_names: vec![],
                    date_of_birth: Some(dob),
                    age: None,
                    gender: if rng.gen_bool(0.78) { "Female" } else { "Male" }.into(),
                    address: format!(
                        "{} {}",
                        rng.gen_range(1..200),
                        STREETS[rng.gen_range(0..STREETS.len())]
                    ),
                    postcode: String::new(),
                    area: Some(area.clone()),
                    language: "English".into(),
                    interpreter_needed: rng.gen_bool(0.04),
                    disability: String::new(),
                    vulnerability: String::new(),
                    ethnicity: String::new(),
                    sexual_orientation: String::new(),
                    religion: String::new(),
                };
                let safe = SafeContact {
                    channels: vec![AllowedChannel {
                        channel: Channel::PhoneCall,
                        value: format!("07700 9{:05}", seq % 100_000),
                    }],
                    ..Default::default()
                };
                let id = new_id();
                let (details, safe) = (crate::db::to_json(&p)?, crate::db::to_json(&safe)?);
                persons.push([
                    Some(id.clone()),
                    Some(given.clone()),
                    Some(family.clone()),
                    Some(dob.to_string()),
                    Some(String::new()),
                    Some(area.clone()),
                    Some(keyring.seal(sealed::PERSON_DETAILS, &details)?),
                    Some(keyring.seal(sealed::PERSON_SAFE_CONTACT, &safe)?),
                    p.match_key(),
                ]);
                let entry = (id, details, safe);
                if known.len() < 50_000 {
                    known.push(entry.clone());
                }
                (entry.0, entry.1, entry.2, None)
            };
            let age_days = (rng.gen_range(0.0f64..1.0).powf(skew) * f64::from(days)) as i64;
            let received =
                now - Duration::days(age_days) - Duration::minutes(rng.gen_range(0..1440));
            let source = match rng.gen_range(0..100) {
                0..=69 => Source::Police,
                70..=89 => Source::PartnerAgency,
                _ => Source::SelfReferral,
            };
            let status = if age_days < 2 || rng.gen_bool(0.02) {
                Status::Received
            } else if age_days < 30 {
                [Status::Triaged, Status::ReferredOn][rng.gen_range(0..2)]
            } else {
                [Status::ReferredOn, Status::Closed, Status::Closed][rng.gen_range(0..3)]
            };
            let risk = match rng.gen_range(0..100) {
                0..=59 => "standard",
                60..=87 => "medium",
                _ => "high",
            };
            let at = crate::db::format_time(received);
            referrals.push(vec![
                Some(new_id()),
                Some(format!("HBR-DEMO-{seq:08}")),
                Some(person_id),
                Some(status.slug().into()),
                Some(source.slug().into()),
                match source {
                    Source::Police => police.clone(),
                    Source::PartnerAgency => partner.clone(),
                    Source::SelfReferral => None,
                },
                Some(at.clone()),
                Some(due_by(source, received, &calendar).to_string()),
                Some(crime.slug().into()),
                (source == Source::Police)
                    .then(|| format!("SP/{}/{seq:06}", received.format("%y"))),
                Some(uk_date(received).to_string()),
                Some(area.clone()),
                Some(area),
                Some(crime.default_consent_basis_slug().into()),
                Some(risk.into()),
                Some(keyring.seal(sealed::REFERRAL_PERSON_DETAILS, &person_details)?),
                Some(keyring.seal(sealed::REFERRAL_SAFE_CONTACT, &person_safe_contact)?),
                review,
            ]);
        }
        let mut tx = db.begin_write().await?;
        if !persons.is_empty() {
            let mut sql = String::from(
                "INSERT INTO persons (id, given_name, family_name, date_of_birth, postcode, area, details, safe_contact, match_key, created_at, updated_at) VALUES ",
            );
            let mut k = 0;
            for (i, _) in persons.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    k + 1,
                    k + 2,
                    k + 3,
                    k + 4,
                    k + 5,
                    k + 6,
                    k + 7,
                    k + 8,
                    k + 9,
                    k + 10,
                    k + 10
                ));
                k += 10;
            }
            let stamp = crate::db::now();
            let mut q = sqlx::query(&sql);
            for p in &persons {
                for v in p {
                    q = q.bind(v.clone());
                }
                q = q.bind(stamp.clone());
            }
            q.execute(tx.conn()).await?;
        }
        let mut sql = String::from(
            "INSERT INTO referrals (id, reference, person_id, status, source, submitting_agency, received_at, due_on, \
             crime_category, police_reference, incident_date, incident_area, area, consent_basis, referrer_risk_level, \
             person_details, person_safe_contact, details_review, risk_level, reported_to_police, perpetrators, children, \
             consent_to_referral, consent_to_aggregate, notes, created_at, updated_at) VALUES ",
        );
        let per = 18;
        for (i, referral) in referrals.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            let b = i * per;
            let cols: Vec<String> = (1..=per).map(|c| format!("${}", b + c)).collect();
            // risk_level repeats the referrer's; reported_to_police follows the source.
            sql.push_str(&format!(
                "({}, ${}, {}, '[]', '[]', 'given', {}, '', ${}, ${})",
                cols.join(", "),
                b + 15,
                if referral[4].as_deref() == Some("police") {
                    "TRUE"
                } else {
                    "FALSE"
                },
                // One in ten did not consent to appearing in aggregate reporting.
                if i % 10 == 9 { "FALSE" } else { "TRUE" },
                b + 7,
                b + 7
            ));
        }
        let mut q = sqlx::query(&sql);
        for r in &referrals {
            for v in r {
                q = q.bind(v.clone());
            }
        }
        q.execute(tx.conn()).await?;
        let ids: Vec<String> = referrals.iter().filter_map(|r| r[0].clone()).collect();
        let backend = tx.backend();
        crate::reports::facts::refresh(tx.conn(), backend, &ids).await?;
        let event = AuditEvent {
            actor_user_id: None,
            actor_agency_id: None,
            action: AuditAction::Create,
            entity_kind: "referral".into(),
            entity_id: None,
            purpose: format!("load demo referrals ({size})"),
            request_id: new_id(),
        };
        audit::append(&mut tx, &event).await?;
        tx.commit().await?;
        made += size;
    }
    Ok(made)
}
