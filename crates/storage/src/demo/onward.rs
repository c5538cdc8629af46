//! Demo onward referrals, so the partner inbox and the hub's follow-up list have something to
//! show: a dozen of the demo's domestic-abuse referrals triaged by the demo triage officer and
//! referred on to New Era, at different stages, a few of them overdue. Deterministic: the same
//! referrals (the first by reference) and the same steps every time.

use super::demo_sign_ins;
use crate::actor::Actor;
use crate::db::Db;
use crate::error::{Result, StorageError};
use crate::onward::{ReferOnInput, ReferredOn, StepInput};
use crate::scoped::ScopedStore;
use chrono::{Duration, Utc};
use harbour_domain::consent::ConsentInput;
use harbour_domain::ids::ReferralId;
use harbour_domain::instrument::Instrument;
use harbour_domain::role::Role;
use harbour_domain::triage::TriageInput;
use sqlx::Row;

pub(super) async fn store_for(db: &Db, role: Role) -> Result<ScopedStore> {
    let email = demo_sign_ins()
        .into_iter()
        .find(|s| s.role == role)
        .map(|s| s.email)
        .ok_or(StorageError::NotFound("demo sign-in"))?;
    let row = sqlx::query("SELECT id, agency_id FROM users WHERE email = $1")
        .bind(&email)
        .fetch_one(db.pool())
        .await?;
    Ok(ScopedStore::new(
        db.clone(),
        Actor {
            user_id: Some(row.try_get("id")?),
            agency_id: row.try_get("agency_id")?,
            roles: vec![role],
            request_id: "demo".into(),
            token_id: None,
        },
    ))
}

async fn service(db: &Db, name: &str) -> Result<String> {
    Ok(sqlx::query("SELECT id FROM dir_services WHERE name = $1")
        .bind(name)
        .fetch_one(db.pool())
        .await?
        .try_get("id")?)
}

/// Triages and refers on up to 12 demo referrals; returns how many were referred on.
pub async fn load_demo_onward(db: &Db) -> Result<usize> {
    let hub = store_for(db, Role::TriageOfficer).await?;
    let new_era = store_for(db, Role::Caseworker).await?;
    let idva = service(db, "New Era independent domestic violence advisers (IDVA)").await?;
    let outreach = service(db, "New Era targeted outreach").await?;
    let referrals: Vec<ReferralId> = sqlx::query(
        "SELECT id FROM referrals WHERE crime_category = 'domestic_abuse' AND status = 'received' \
         ORDER BY reference LIMIT 12",
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| r.try_get("id"))
    .collect::<std::result::Result<_, _>>()?;
    let items: Vec<String> = Instrument::demo()
        .items
        .iter()
        .map(|i| i.id.clone())
        .collect();
    let now = Utc::now();
    let mut made = 0;
    for (i, id) in referrals.iter().enumerate() {
        let high = i % 3 == 0;
        let answers = items
            .iter()
            .enumerate()
            .map(|(k, item)| {
                let yes = if high { k < 14 } else { k < 4 };
                (item.clone(), if yes { "yes" } else { "no" }.to_owned())
            })
            .collect();
        hub.triage(
            id,
            &TriageInput {
                entitlement: "enhanced".into(),
                entitlement_override_reason: "Domestic abuse: among the most serious crimes".into(),
                needs: vec!["accommodation".into(), "health".into()],
                answers,
                tier: if high { "acute" } else { "targeted" }.into(),
                tier_reason: "Demo triage".into(),
                ..TriageInput::default()
            },
        )
        .await?;
        let shares = if i % 2 == 0 {
            vec!["identity".to_owned(), "incident".to_owned()]
        } else {
            Vec::new()
        };
        let sent = hub
            .refer_onward(
                id,
                &ReferOnInput {
                    service_id: if high { idva.clone() } else { outreach.clone() },
                    consent: ConsentInput {
                        decision: "given".into(),
                        shares,
                        ..ConsentInput::default()
                    },
                    note: "Referred by the demo triage officer.".into(),
                    // Some sent days ago, so a few are overdue.
                    sent_at: Some(now - Duration::days(i64::try_from(i % 6).unwrap_or(0))),
                    ..ReferOnInput::default()
                },
            )
            .await?;
        let ReferredOn::Sent { id: onward } = sent else {
            continue;
        };
        made += 1;
        let steps: &[&str] = match i % 4 {
            1 => &["acknowledge"],
            2 => &["accept"],
            3 => &["accept", "start_service"],
            _ => &[],
        };
        for step in steps {
            new_era
                .take_step(
                    &onward,
                    &StepInput {
                        step: (*step).to_owned(),
                        ..StepInput::default()
                    },
                )
                .await?;
        }
        if i == 8 {
            new_era
                .take_step(
                    &onward,
                    &StepInput {
                        step: "decline".into(),
                        reason: "no_capacity".into(),
                        note: "No IDVA capacity this week.".into(),
                        ..StepInput::default()
                    },
                )
                .await?;
        }
    }
    // A few notes on the cases New Era opened, so a caseload has something to show.
    let load = new_era
        .caseload(&crate::cases::CaseloadFilter::default())
        .await?;
    let notes = [
        (
            "contact",
            "Spoke on the safe number at the agreed time. She is staying with her sister for now and wants help with housing.",
        ),
        (
            "action",
            "Made a homelessness application with the council's housing options team.",
        ),
        (
            "multi_agency",
            "The school's safeguarding lead confirmed the children are attending and knows who may collect them.",
        ),
    ];
    // The first case has two outcome readings, so the distance travelled has something to show.
    if let Some(case) = load.cases.first() {
        let tool = crate::cases::active_outcome_tool(db).await?;
        for (kind, base) in [("start", 2u8), ("review", 5)] {
            let scores = tool
                .areas
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let i = u8::try_from(i).unwrap_or(0);
                    (a.id.clone(), (base + i % 3).min(tool.max).to_string())
                })
                .collect();
            new_era.record_reading(&case.id, kind, &scores).await?;
        }
    }
    for (i, case) in load.cases.iter().take(3).enumerate() {
        for (kind, body) in notes.iter().take(i + 1) {
            new_era
                .add_case_note(
                    &case.id,
                    &crate::cases::NoteInput {
                        kind: (*kind).to_owned(),
                        body: (*body).to_owned(),
                        restricted: false,
                        happened_on: crate::db::format_time(now)[..10].to_owned(),
                    },
                )
                .await?;
        }
    }
    Ok(made)
}
