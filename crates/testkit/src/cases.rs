//! Cases for onward-referral tests: a store acting as a member of a demo agency, a referral
//! made by the demo police and triaged by the hub, and a caseworker for any agency.

use anyhow::Result;
use harbour_domain::instrument::Instrument;
use harbour_domain::referral::ReferralInput;
use harbour_domain::role::Role;
use harbour_domain::triage::TriageInput;
use harbour_domain::user::UserInput;
use harbour_storage::Db;
use harbour_storage::actor::Actor;
use harbour_storage::demo::DEMO_PASSWORD;
use harbour_storage::intake::Submitted;
use harbour_storage::scoped::ScopedStore;
use serde_json::json;
use sqlx::Row;

/// A store acting as someone in `agency` with `role`: the demo sign-in for that role when it
/// belongs to the agency, else the agency's first member of staff.
pub async fn store_as(db: &Db, agency: &str, role: Role) -> Result<ScopedStore> {
    let row = sqlx::query(
        "SELECT u.id, u.agency_id FROM users u JOIN agencies a ON a.id = u.agency_id \
         WHERE a.name = $1 ORDER BY CASE WHEN u.email = $2 THEN 0 ELSE 1 END, u.email LIMIT 1",
    )
    .bind(agency)
    .bind(crate::app::demo_email(role))
    .fetch_one(db.pool())
    .await?;
    Ok(ScopedStore::new(
        db.clone(),
        Actor {
            user_id: Some(row.get("id")),
            agency_id: row.get("agency_id"),
            roles: vec![role],
            request_id: "test".into(),
            token_id: None,
        },
    ))
}

pub async fn service_id(db: &Db, name: &str) -> Result<String> {
    Ok(sqlx::query("SELECT id FROM dir_services WHERE name = $1")
        .bind(name)
        .fetch_one(db.pool())
        .await?
        .get("id"))
}

/// The demo's IDVA service (New Era) and the Alice Charity's household help.
pub const IDVA: &str = "New Era independent domestic violence advisers (IDVA)";
pub const ALICE: &str = "The Alice Charity: basics and household furnishings";

/// Who the referral is about and how it was triaged.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// Where the person lives (a GSS code) and their postcode.
    pub area: &'static str,
    pub postcode: &'static str,
    /// 14 yeses on the demonstration checklist, and the acute tier.
    pub high_risk: bool,
    /// Safe to contact only on weekdays 10:00 to 12:00.
    pub safe_times: bool,
    /// Safe to contact only on one day, this many days from today (UK time), all day: 0 makes
    /// now safe, 1 makes now unsafe, whenever the test runs.
    pub safe_day_offset: Option<i64>,
    /// E-mail is the only channel allowed (otherwise a phone call or e-mail).
    pub email_only: bool,
    /// The crime category's slug.
    pub crime: &'static str,
    /// The needs decided at triage, as slugs.
    pub needs: &'static [&'static str],
    /// The person's names (Alys Brereton unless given).
    pub given_name: &'static str,
    pub family_name: &'static str,
}

impl Default for Case {
    fn default() -> Self {
        Case {
            area: "E07000197",
            postcode: "ST16 2DH",
            high_risk: false,
            safe_times: false,
            safe_day_offset: None,
            email_only: false,
            crime: "domestic_abuse",
            needs: &["accommodation", "health"],
            given_name: "Alys",
            family_name: "Brereton",
        }
    }
}

/// A police referral about Alys Brereton made by the demo police referrer, triaged by the
/// hub with accommodation and health needs; its id.
pub async fn triaged_referral(db: &Db, case: Case) -> Result<harbour_domain::ids::ReferralId> {
    let police = store_as(db, "Staffordshire Police", Role::Referrer).await?;
    let mut body = json!({
        "source": "police",
        "crime_category": case.crime,
        "police_reference": "SP/26/9001",
        "incident_date": "2026-11-01",
        "incident_area": case.area,
        "person": { "given_name": case.given_name, "family_name": case.family_name, "date_of_birth": "1990-04-02", "gender": "female",
                    "postcode": case.postcode, "area": case.area, "address": "4 Quiet Lane, Stafford" },
        "perpetrators": [ { "relationship": "ex-partner", "name": "Rhys Calder" } ],
        "consent_to_referral": "given",
        "safe_contact": {
            "channels": [ { "channel": "phone_call", "value": "07700 900123" },
                          { "channel": "email", "value": "alys.safe@example.org" } ],
            "code_word": "bluebell"
        },
        "notes": "Ex-partner waited outside her work twice this week."
    });
    if case.email_only {
        body["safe_contact"]["channels"] =
            json!([ { "channel": "email", "value": "alys.safe@example.org" } ]);
    }
    if case.safe_times {
        body["safe_contact"]["safe_times"] = json!([ { "days": ["mon", "tue", "wed", "thu", "fri"], "from": "10:00", "to": "12:00" } ]);
    }
    if let Some(offset) = case.safe_day_offset {
        use chrono::Datelike;
        let day =
            harbour_domain::calendar::uk_date(chrono::Utc::now()) + chrono::Duration::days(offset);
        let name = day.weekday().to_string().to_lowercase();
        body["safe_contact"]["safe_times"] =
            json!([ { "days": [name], "from": "00:00", "to": "23:59" } ]);
    }
    let input: ReferralInput = serde_json::from_value(body)?;
    let Submitted::Created(receipt) = police.submit_referral(&input, None, "test").await? else {
        anyhow::bail!("not created");
    };
    let hub = store_as(db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let demo = Instrument::demo();
    let answers = demo
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let yes = case.high_risk && i < 14;
            (item.id.clone(), if yes { "yes" } else { "no" }.to_owned())
        })
        .collect();
    hub.triage(
        &receipt.id,
        &TriageInput {
            entitlement: "enhanced".into(),
            entitlement_override_reason: "Repeatedly targeted by the same person".into(),
            needs: case.needs.iter().map(|n| (*n).to_owned()).collect(),
            answers,
            tier: if case.high_risk { "acute" } else { "targeted" }.into(),
            tier_reason: "Continuing contact from the ex-partner".into(),
            ..Default::default()
        },
    )
    .await?;
    Ok(receipt.id)
}

/// Refers `referral` on, as the hub, to the service with id `service`, with the person's
/// consent (the minimum shared); the onward referral's id.
pub async fn refer_on(
    db: &Db,
    referral: &harbour_domain::ids::ReferralId,
    service: &str,
) -> Result<harbour_domain::ids::OnwardId> {
    use harbour_domain::consent::ConsentInput;
    use harbour_storage::onward::{ReferOnInput, ReferredOn};
    let hub = store_as(db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let input = ReferOnInput {
        service_id: service.into(),
        consent: ConsentInput {
            decision: "given".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    match hub.refer_onward(referral, &input).await? {
        ReferredOn::Sent { id } => Ok(id),
        ReferredOn::ConsentRefused => anyhow::bail!("consent refused"),
    }
}

/// Adds a caseworker to `agency` who signs in with `email` and the demo password.
pub async fn add_caseworker(db: &Db, agency: &str, email: &str) -> Result<()> {
    let agency_id: String = sqlx::query("SELECT id FROM agencies WHERE name = $1")
        .bind(agency)
        .fetch_one(db.pool())
        .await?
        .get("id");
    harbour_storage::users::create_as_system(
        db,
        &UserInput {
            display_name: "Casey Worthing".into(),
            email: email.into(),
            agency_id,
            roles: vec![Role::Caseworker.slug().into()],
            password: DEMO_PASSWORD.into(),
        },
        "test",
    )
    .await?;
    Ok(())
}
