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
    past_meeting(db, &coordinator).await?;
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

/// A meeting of the north MARAC a fortnight ago, held and minuted, with two of the demo's
/// high-risk victims heard and their actions: some done, some overdue.
async fn past_meeting(db: &Db, coordinator: &crate::scoped::ScopedStore) -> Result<()> {
    let Some(north) = coordinator
        .maracs()
        .await?
        .into_iter()
        .find(|m| m.name == "Staffordshire North MARAC")
    else {
        return Ok(());
    };
    let today = harbour_domain::calendar::uk_date(chrono::Utc::now());
    // Scheduled for today (the earliest a meeting can be), then moved back a fortnight.
    let meeting = coordinator
        .schedule_meeting(
            &north.id,
            &MeetingInput {
                held_on: today.format("%-d/%-m/%Y").to_string(),
                starts_at: "10:00".into(),
                place: "Police headquarters, Weston Road, Stafford".into(),
                chair: "Detective Inspector on the public protection unit".into(),
                ..MeetingInput::default()
            },
        )
        .await?;
    let hub = store_for(db, Role::TriageOfficer).await?;
    let victims: Vec<ReferralId> = sqlx::query(
        "SELECT r.id FROM referrals r WHERE r.crime_category = 'domestic_abuse' AND r.status = 'closed' \
         AND r.area IN ('E07000195', 'E07000197', 'E07000198') ORDER BY r.reference DESC LIMIT 2",
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| r.try_get("id"))
    .collect::<std::result::Result<_, _>>()?;
    let agencies: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.name, a.id FROM marac_members m JOIN agencies a ON a.id = m.agency_id WHERE m.marac_id = $1",
    )
    .bind(&north.id)
    .fetch_all(db.pool())
    .await?;
    let agency = |name: &str| {
        agencies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| id.clone())
            .unwrap_or_default()
    };
    let due = (today + chrono::Days::new(1)).to_string();
    let mut cases = Vec::new();
    for referral in &victims {
        let referred = hub
            .refer_to_marac(
                referral,
                &MaracReferralInput {
                    marac_id: north.id.to_string(),
                    referring_officer: "The hub's triage officer".into(),
                    judgement_reason: "Fear of her ex-partner's family; language barriers".into(),
                    victim_aware: "yes".into(),
                    victim_consented: "no".into(),
                    no_consent_reason: "She could not be reached safely before the meeting".into(),
                    afraid_of: "Her ex-partner".into(),
                    minoritised: "yes".into(),
                    lgbt: "not_known".into(),
                    disabled: "no".into(),
                    ..MaracReferralInput::default()
                },
            )
            .await;
        let Ok(referred) = referred else { continue };
        // Referred a fortnight ago, for that meeting.
        sqlx::query("UPDATE marac_cases SET meeting_id = $1 WHERE id = $2")
            .bind(&meeting)
            .bind(&referred.case)
            .execute(db.pool())
            .await?;
        coordinator
            .record_shared(
                &referred.case,
                &agency("Staffordshire Police"),
                "Two call-outs in the last month; he is on bail with a condition not to contact her.",
                "",
            )
            .await?;
        coordinator
            .record_risks(
                &referred.case,
                "Serious harm if bail conditions are broken; the children at school pick-up.",
            )
            .await?;
        for (what, owner) in [
            (
                "Flag her address for an urgent response",
                "Staffordshire Police",
            ),
            (
                "IDVA to review her safety plan and offer the sanctuary scheme",
                "New Era",
            ),
            (
                "Tell the children's school who may collect them",
                "Catch 22",
            ),
        ] {
            coordinator
                .add_marac_action(&referred.case, what, &agency(owner), &due)
                .await?;
        }
        cases.push(referred.case);
    }
    let attended: Vec<String> = agencies.iter().map(|(_, id)| id.clone()).collect();
    coordinator
        .record_attendance(&meeting, &attended, "Crime and Disorder Act 1998 s.115; UK GDPR Art. 6(1)(e) and 9(2)(g); DPA 2018 Sch. 1 para. 18")
        .await?;
    coordinator
        .finish_meeting(&meeting, "Two cases heard; six actions agreed. Review both at the next meeting if bail conditions change.")
        .await?;
    // A fortnight on: the police have done theirs; the others are overdue.
    let police = store_for(db, Role::Referrer).await?;
    for a in police.marac_actions(true).await? {
        police
            .update_marac_action(
                &a.id,
                "done",
                "Address flagged on the command and control system",
            )
            .await?;
    }
    let fortnight = (today - chrono::Days::new(14)).to_string();
    let week = (today - chrono::Days::new(7)).to_string();
    sqlx::query("UPDATE marac_meetings SET held_on = $1 WHERE id = $2")
        .bind(&fortnight)
        .bind(&meeting)
        .execute(db.pool())
        .await?;
    for case in &cases {
        sqlx::query("UPDATE marac_actions SET due_on = $1 WHERE case_id = $2")
            .bind(&week)
            .bind(case)
            .execute(db.pool())
            .await?;
    }
    Ok(())
}

/// For the benchmark: `meetings` fortnightly meetings of the north MARAC going back from today,
/// each held with `per_meeting` victims heard (one thing shared, three actions each; the last
/// four meetings' actions still open), and one meeting to come with a full agenda. The victims
/// are the demo referrals' people, in turn. Returns how many cases it made.
pub async fn load_marac_history(db: &Db, meetings: usize, per_meeting: usize) -> Result<usize> {
    use crate::db::{format_time, new_id};
    let north: String =
        sqlx::query_scalar("SELECT id FROM maracs WHERE name = 'Staffordshire North MARAC'")
            .fetch_one(db.pool())
            .await?;
    let members: Vec<String> = sqlx::query_scalar(
        "SELECT agency_id FROM marac_members WHERE marac_id = $1 ORDER BY agency_id",
    )
    .bind(&north)
    .fetch_all(db.pool())
    .await?;
    let people: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, person_id FROM referrals WHERE crime_category = 'domestic_abuse' ORDER BY reference",
    )
    .fetch_all(db.pool())
    .await?;
    if people.is_empty() || members.is_empty() {
        return Ok(0);
    }
    let today = harbour_domain::calendar::uk_date(chrono::Utc::now());
    let now = chrono::Utc::now();
    let mut made = 0usize;
    let mut n = 0usize;
    for m in 0..=meetings {
        // The last is the meeting to come.
        let coming = m == meetings;
        let held_on = if coming {
            today + chrono::Days::new(7)
        } else {
            today - chrono::Days::new(14 * u64::try_from(meetings - m).unwrap_or(0))
        };
        let open_actions = !coming && meetings - m <= 4;
        let mut tx = db.begin_write().await?;
        let meeting = new_id();
        sqlx::query(
            "INSERT INTO marac_meetings (id, marac_id, held_on, starts_at, place, chair, capacity, status, \
             legal_basis, summary, created_at) VALUES ($1, $2, $3, '10:00', 'Stafford', 'The chair', $4, $5, $6, $7, $8)",
        )
        .bind(&meeting)
        .bind(&north)
        .bind(held_on.to_string())
        .bind(i64::try_from(per_meeting).unwrap_or(16))
        .bind(if coming { "scheduled" } else { "held" })
        .bind((!coming).then_some("Crime and Disorder Act 1998 s.115"))
        .bind(tx.keyring()?.seal_opt(
            crate::sealed::MARAC_SUMMARY,
            (!coming).then_some("Cases heard; actions agreed."),
        )?)
        .bind(format_time(now))
        .execute(tx.conn())
        .await?;
        for agency in &members {
            sqlx::query("INSERT INTO marac_attendance (meeting_id, agency_id, attended) VALUES ($1, $2, $3)")
                .bind(&meeting)
                .bind(agency)
                .bind((!coming).then_some(true))
                .execute(tx.conn())
                .await?;
        }
        let referred_at = format_time(
            now - chrono::Duration::days(14 * i64::try_from(meetings - m).unwrap_or(0) + 7),
        );
        for _ in 0..per_meeting {
            let (referral, person) = &people[n % people.len()];
            n += 1;
            let case = new_id();
            sqlx::query(
                "INSERT INTO marac_cases (id, reference, marac_id, meeting_id, person_id, referral_id, \
                 referring_agency_id, referring_officer, referred_at, criteria, victim_aware, victim_consented, \
                 afraid_of, safe_to_talk, unsafe_to_talk, previous_maracs, perpetrators, children, \
                 victim_minoritised, victim_lgbt, victim_disabled, status, risks) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'An officer', $8, 'null', $9, $9, 'Her ex-partner', '', '', '', \
                 '[]', '[]', $10, NULL, $11, $12, $13)",
            )
            .bind(&case)
            .bind(format!("SNM-BENCH-{n:05}"))
            .bind(&north)
            .bind(&meeting)
            .bind(person)
            .bind(referral)
            .bind(&members[n % members.len()])
            .bind(&referred_at)
            .bind(true)
            .bind(n.is_multiple_of(5))
            .bind(n.is_multiple_of(7))
            .bind(if coming { "listed" } else if open_actions { "heard" } else { "closed" })
            .bind((!coming).then_some("Serious harm"))
            .execute(tx.conn())
            .await?;
            if coming {
                made += 1;
                continue;
            }
            sqlx::query(
                "INSERT INTO marac_shared (id, case_id, meeting_id, agency_id, information, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(new_id())
            .bind(&case)
            .bind(&meeting)
            .bind(&members[0])
            .bind(
                tx.keyring()?
                    .seal(crate::sealed::MARAC_SHARED, "Two call-outs this month")?,
            )
            .bind(format_time(now))
            .execute(tx.conn())
            .await?;
            for k in 0..3 {
                sqlx::query(
                    "INSERT INTO marac_actions (id, case_id, meeting_id, what, owner_agency_id, due_on, status, \
                     update_note, created_at) VALUES ($1, $2, $3, 'Review the safety plan', $4, $5, $6, $7, $8)",
                )
                .bind(new_id())
                .bind(&case)
                .bind(&meeting)
                .bind(&members[(n + k) % members.len()])
                .bind((held_on + chrono::Days::new(14)).to_string())
                .bind(if open_actions { "open" } else { "done" })
                .bind((!open_actions).then_some("Done"))
                .bind(format_time(now))
                .execute(tx.conn())
                .await?;
            }
            made += 1;
        }
        tx.commit().await?;
    }
    // Written plain, in bulk; sealed as a database from before sealing is.
    crate::sealed::seal_plain_values(db).await?;
    if db.backend() == crate::db::Backend::Postgres {
        sqlx::query("ANALYZE").execute(db.pool()).await?;
    }
    Ok(made)
}
