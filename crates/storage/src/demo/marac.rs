//! The demo's two MARACs, north and south of the county, attended by the police, the hub and
//! the specialist services; and (with the demo referrals) their next meetings with the high-risk
//! victims the hub has triaged on the agenda.

use super::demo_sign_ins;
use super::onward::store_for;
use crate::db::Db;
use crate::error::Result;
use crate::marac::{MaracReferralInput, MaracSetup, MeetingInput, create_marac};
use harbour_domain::ids::ReferralId;
use harbour_domain::role::Role;
use sqlx::Row;

const MEMBERS: [&str; 4] = [
    "Staffordshire Police",
    "Staffordshire Victim Gateway",
    "New Era",
    "Catch 22",
];

/// The two MARACs, with their member agencies.
pub async fn load_demo_maracs(db: &Db) -> Result<()> {
    let coordinator = demo_sign_ins()
        .into_iter()
        .find(|s| s.role == Role::MaracCoordinator)
        .map(|s| s.email);
    let mut north: Vec<String> = MEMBERS.iter().map(|m| (*m).to_owned()).collect();
    north.push("The Alice Charity".into());
    for (name, areas, members, idvas) in [
        (
            "Staffordshire North MARAC",
            vec!["E07000195", "E07000197", "E07000198"],
            north,
            5,
        ),
        (
            "Staffordshire South MARAC",
            vec![
                "E07000192",
                "E07000193",
                "E07000194",
                "E07000196",
                "E07000199",
            ],
            MEMBERS.iter().map(|m| (*m).to_owned()).collect(),
            6,
        ),
    ] {
        create_marac(
            db,
            &MaracSetup {
                name: name.into(),
                areas: areas.into_iter().map(str::to_owned).collect(),
                members,
                coordinator_email: coordinator.clone(),
                capacity: 16,
                idva_posts: idvas,
                coordinator_posts: 1,
            },
        )
        .await?;
    }
    Ok(())
}

/// The next two fortnightly meetings of each MARAC, and the high-risk victims the demo hub has
/// triaged referred to the MARAC for their area.
pub async fn load_demo_marac_work(db: &Db) -> Result<usize> {
    let coordinator = store_for(db, Role::MaracCoordinator).await?;
    let today = harbour_domain::calendar::uk_date(chrono::Utc::now());
    for marac in coordinator.maracs().await? {
        for weeks in [1u64, 3] {
            let on = today + chrono::Days::new(weeks * 7);
            coordinator
                .schedule_meeting(
                    &marac.id,
                    &MeetingInput {
                        held_on: on.format("%-d/%-m/%Y").to_string(),
                        starts_at: "10:00".into(),
                        place: "Police headquarters, Weston Road, Stafford".into(),
                        video_link: "https://meet.example.org/marac".into(),
                        chair: "Detective Inspector on the public protection unit".into(),
                        ..MeetingInput::default()
                    },
                )
                .await?;
        }
    }
    let hub = store_for(db, Role::TriageOfficer).await?;
    let high: Vec<ReferralId> = sqlx::query(
        "SELECT t.referral_id FROM triage_decisions t WHERE t.marac_referral = $1 \
         ORDER BY t.decided_at, t.id",
    )
    .bind(true)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| r.try_get("referral_id"))
    .collect::<std::result::Result<_, _>>()?;
    let mut referred = 0;
    for referral in &high {
        let done = hub
            .refer_to_marac(
                referral,
                &MaracReferralInput {
                    referring_officer: "The hub's triage officer".into(),
                    victim_aware: "yes".into(),
                    victim_consented: "yes".into(),
                    afraid_of: "Her ex-partner".into(),
                    safe_to_talk: "Her sister; her IDVA".into(),
                    unsafe_to_talk: "Her ex-partner's family".into(),
                    minoritised: "not_known".into(),
                    lgbt: "not_known".into(),
                    disabled: "not_known".into(),
                    ..MaracReferralInput::default()
                },
            )
            .await;
        if done.is_ok() {
            referred += 1;
        }
    }
    Ok(referred)
}
