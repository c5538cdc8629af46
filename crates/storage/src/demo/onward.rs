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
use harbour_domain::ids::{CaseId, ReferralId};
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
    if let Some(case) = load.cases.first() {
        plans(&new_era, &case.id).await?;
    }
    advice(db, &hub).await?;
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

/// The first demo case's support plan (two goals in her words, with actions, one done), safety
/// plan (five sections) with an alarm issued, a reassessment of the risk, and rights explained.
async fn plans(new_era: &ScopedStore, case: &CaseId) -> Result<()> {
    let today = harbour_domain::calendar::uk_date(Utc::now());
    let in_days = |n: u64| {
        (today + chrono::Days::new(n))
            .format("%-d/%-m/%Y")
            .to_string()
    };
    let home = new_era
        .add_goal(
            case,
            "I want a home of my own where he can't find us",
            &["accommodation".into(), "family_and_children".into()],
        )
        .await?;
    let asked = new_era
        .add_goal_action(
            case,
            &home,
            "Make a homelessness application",
            "Caseworker",
            &in_days(3),
        )
        .await?;
    new_era
        .add_goal_action(
            case,
            &home,
            "Gather ID and proof of income for the council",
            "Her",
            &in_days(10),
        )
        .await?;
    new_era.goal_action_done(case, &asked).await?;
    let sleep = new_era
        .add_goal(
            case,
            "I want to sleep properly and stop feeling on edge all the time",
            &["health".into()],
        )
        .await?;
    new_era
        .add_goal_action(
            case,
            &sleep,
            "Book a GP appointment about sleep and anxiety",
            "Her",
            &in_days(14),
        )
        .await?;
    new_era
        .update_goal(
            case,
            &home,
            &crate::cases::ProgressInput {
                progress: "under_way".into(),
                note: "The council has the application and has given her a caseworker".into(),
                version: 1,
            },
        )
        .await?;
    let sections: std::collections::BTreeMap<String, String> = [
        (
            "safe_places",
            "Her sister's flat in Stafford; the refuge number is saved as 'Salon'.",
        ),
        (
            "calling_for_help",
            "The service's phone, kept charged in her coat pocket. She knows to press 55.",
        ),
        (
            "emergency_bag",
            "At her sister's: passports, birth certificates, bank cards, inhaler, chargers.",
        ),
        (
            "code_words",
            "If she texts her sister 'is the blue jumper dry?', her sister calls 999.",
        ),
        (
            "children",
            "The school knows only she and her sister may collect the children.",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    new_era.save_safety_plan(case, 0, &sections).await?;
    new_era
        .issue_resource(
            case,
            &crate::bundle::ResourceInput {
                kind: "safety_device".into(),
                description: "Alarm linked to the police control room".into(),
                issued_on: String::new(),
            },
        )
        .await?;
    let answers = Instrument::demo()
        .items
        .iter()
        .enumerate()
        .map(|(k, item)| (item.id.clone(), if k < 2 { "yes" } else { "no" }.to_owned()))
        .collect();
    new_era
        .reassess_risk(
            case,
            &answers,
            "medium",
            "He knows where her sister lives; he has not been seen there.",
        )
        .await?;
    new_era
        .record_rights(case, &["1".into(), "4".into(), "7".into()], "explained")
        .await?;
    Ok(())
}

/// Information and advice the hub gave on three demo referrals it did not refer on, two of them
/// closed as all the person needed.
async fn advice(db: &Db, hub: &ScopedStore) -> Result<()> {
    let referrals: Vec<ReferralId> = sqlx::query(
        "SELECT id FROM referrals WHERE crime_category <> 'domestic_abuse' AND status = 'received' \
         ORDER BY reference LIMIT 3",
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| r.try_get("id"))
    .collect::<std::result::Result<_, _>>()?;
    for (i, id) in referrals.iter().enumerate() {
        hub.record_advice(
            id,
            &harbour_domain::advice::AdviceInput {
                given: vec!["criminal_justice".into(), "victims_code".into()],
                signposted: ["Citizens Advice Stafford", "Victim Support's national line"]
                    [..=i % 2]
                    .join("\n"),
                how: "phone".into(),
                note: String::new(),
                close: i < 2,
            },
        )
        .await?;
    }
    Ok(())
}
