//! A victim's whole journey for tests of retention and erasure: a police referral triaged by the
//! hub, referred on with consent, taken on, contacted, noted and closed, every record carrying
//! canaries unique to the journey, so a search of the whole database shows whether any is left.

use crate::cases::{IDVA, service_id, store_as};
use chrono::Utc;
use harbour_domain::ids::{CaseId, OnwardId, ReferralId};
use harbour_domain::instrument::Instrument;
use harbour_domain::referral::ReferralInput;
use harbour_domain::role::Role;
use harbour_domain::triage::TriageInput;
use harbour_storage::Db;
use harbour_storage::cases::{ChangeInput, NoteInput};
use harbour_storage::intake::Submitted;
use harbour_storage::onward::{AttemptInput, ReferOnInput, ReferredOn, StepInput};
use serde_json::json;

/// The last six digits of the journey's safe number, made from its tag: found in whatever form
/// the number is stored.
pub fn phone(tag: &str) -> String {
    let n = tag
        .bytes()
        .fold(0u32, |a, b| (a * 31 + u32::from(b)) % 10_000);
    format!("90{n:04}")
}

/// What one journey plants, each unique to it: `{tag}` makes them so.
pub fn canaries(tag: &str) -> Vec<String> {
    [
        "Zephyrine{tag}",
        "Quillfeather{tag}",
        "{phone}",
        "zq{tag}@example.org",
        "marigold{tag}",
        "Canary Row {tag}",
        "Brannoch{tag}",
        "SP/26/{tag}",
        "referralnote{tag}",
        "triagenote{tag}",
        "onwardnote{tag}",
        "contactnote{tag}",
        "casenote{tag}",
        "closingnote{tag}",
    ]
    .iter()
    .map(|c| c.replace("{tag}", tag).replace("{phone}", &phone(tag)))
    .collect()
}

pub struct Journey {
    pub referral: ReferralId,
    pub reference: String,
    pub case: CaseId,
    pub onward: OnwardId,
}

/// A police referral triaged by the hub, referred on to the IDVA service with consent, taken on,
/// contacted, noted, closed by the service: every kind of record a victim's support leaves, each
/// carrying `tag`'s canaries.
pub async fn journey(db: &Db, tag: &str) -> anyhow::Result<Journey> {
    let police = store_as(db, "Staffordshire Police", Role::Referrer).await?;
    let input: ReferralInput = serde_json::from_value(json!({
        "source": "police",
        "crime_category": "domestic_abuse",
        "police_reference": format!("SP/26/{tag}"),
        "incident_date": "2026-11-01",
        "incident_area": "E07000197",
        "person": { "given_name": format!("Zephyrine{tag}"), "family_name": format!("Quillfeather{tag}"),
                    "date_of_birth": "1988-05-06", "gender": "female", "postcode": "ST16 2DH",
                    "area": "E07000197", "address": format!("4 Canary Row {tag}, Stafford") },
        "perpetrators": [ { "relationship": "ex-partner", "name": format!("Brannoch{tag} Vex") } ],
        "consent_to_referral": "given",
        "safe_contact": {
            "channels": [ { "channel": "phone_call", "value": format!("07700 {}", phone(tag)) },
                          { "channel": "email", "value": format!("zq{tag}@example.org") } ],
            "code_word": format!("marigold{tag}")
        },
        "notes": format!("referralnote{tag}: he waited outside her work.")
    }))?;
    let Submitted::Created(receipt) = police.submit_referral(&input, None, "test").await? else {
        anyhow::bail!("not created");
    };
    let hub = store_as(db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let answers = Instrument::demo()
        .items
        .iter()
        .map(|i| (i.id.clone(), "no".to_owned()))
        .collect();
    hub.triage(
        &receipt.id,
        &TriageInput {
            entitlement: "enhanced".into(),
            entitlement_override_reason: format!("triagenote{tag}"),
            needs: vec!["health".into()],
            answers,
            tier: "targeted".into(),
            tier_reason: format!("triagenote{tag} continuing contact"),
            ..Default::default()
        },
    )
    .await?;
    let onward = match hub
        .refer_onward(
            &receipt.id,
            &ReferOnInput {
                service_id: service_id(db, IDVA).await?,
                consent: harbour_domain::consent::ConsentInput {
                    decision: "given".into(),
                    ..Default::default()
                },
                note: format!("onwardnote{tag}: call on the safe number"),
                ..Default::default()
            },
        )
        .await?
    {
        ReferredOn::Sent { id } => id,
        ReferredOn::ConsentRefused => anyhow::bail!("consent refused"),
    };
    let new_era = store_as(db, "New Era", Role::Caseworker).await?;
    let step = |s: &str| StepInput {
        step: s.into(),
        ..StepInput::default()
    };
    new_era.take_step(&onward, &step("accept")).await?;
    new_era
        .record_contact_attempt(
            &onward,
            &AttemptInput {
                channel: "phone_call".into(),
                result: "spoke".into(),
                note: format!("contactnote{tag}"),
                reason: String::new(),
            },
        )
        .await?;
    let case: String = sqlx::query_scalar("SELECT id FROM cases WHERE onward_referral_id = $1")
        .bind(&onward)
        .fetch_one(db.pool())
        .await?;
    let case = CaseId::from(case);
    new_era
        .add_case_note(
            &case,
            &NoteInput {
                kind: "contact".into(),
                body: format!("casenote{tag}: she is staying with her sister"),
                restricted: false,
                happened_on: harbour_domain::calendar::uk_date(Utc::now()).to_string(),
            },
        )
        .await?;
    new_era
        .change_case(
            &case,
            &ChangeInput {
                change: "close".into(),
                reason: "support_completed".into(),
                note: format!("closingnote{tag}"),
                cope: "yes".into(),
                recover: "yes".into(),
            },
        )
        .await?;
    new_era.take_step(&onward, &step("close")).await?;
    Ok(Journey {
        referral: receipt.id,
        reference: receipt.reference,
        case,
        onward,
    })
}

/// Moves the journey's closing back to `when` (RFC 3339): the case's closure, the referral on's,
/// its contact attempts and notes' day, as if it had all ended then.
pub async fn backdate(db: &Db, j: &Journey, when: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE cases SET closed_at = $1 WHERE id = $2")
        .bind(when)
        .bind(&j.case)
        .execute(db.pool())
        .await?;
    sqlx::query("UPDATE onward_referrals SET state_at = $1 WHERE id = $2")
        .bind(when)
        .bind(&j.onward)
        .execute(db.pool())
        .await?;
    sqlx::query("UPDATE contact_attempts SET made_at = $1 WHERE onward_referral_id = $2")
        .bind(when)
        .bind(&j.onward)
        .execute(db.pool())
        .await?;
    Ok(())
}
