//! The partnership's reports on both databases. Their facts table is kept with the records in
//! the same transactions: after a random sequence of writes it equals a recount from the
//! records, and one lost (as in a crash between PostgreSQL's intake statement and nothing else)
//! is filled again.

use harbour_domain::advice::AdviceInput;
use harbour_domain::ids::{CaseId, OnwardId, ReferralId};
use harbour_domain::role::Role;
use harbour_storage::cases::ChangeInput;
use harbour_storage::onward::{AttemptInput, StepInput};
use harbour_storage::reports::facts::{fill_missing, recount_differences};
use harbour_testkit::TestApp;
use harbour_testkit::cases::{Case, IDVA, refer_on, service_id, store_as, triaged_referral};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::Row;

type R = anyhow::Result<()>;

const NAMES: [(&str, &str); 3] = [("Alys", "Brereton"), ("Maren", "Oakes"), ("Tamsin", "Vell")];
const AREAS: [(&str, &str); 3] = [
    ("E07000197", "ST16 2DH"),
    ("E07000195", "ST5 1AA"),
    ("E07000192", "WS11 1AA"),
];

async fn count(app: &TestApp, table: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(app.db.pool())
        .await?
        .try_get("n")?)
}

#[tokio::test]
async fn the_reports_facts_equal_a_recount_after_a_random_sequence_of_writes() -> R {
    let app = TestApp::spawn().await?;
    let db = &app.db;
    let hub = store_as(db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let new_era = store_as(db, "New Era", Role::Caseworker).await?;
    let idva = service_id(db, IDVA).await?;
    let mut rng = StdRng::seed_from_u64(20_261_203);
    let mut referrals: Vec<ReferralId> = Vec::new();
    let mut onward: Vec<OnwardId> = Vec::new();
    let mut cases: Vec<CaseId> = Vec::new();
    let mut done = [0usize; 6];
    for step in 0..40 {
        let op = if referrals.is_empty() {
            0
        } else {
            rng.gen_range(0..6)
        };
        let ok = match op {
            0 => {
                let (given_name, family_name) = NAMES[rng.gen_range(0..NAMES.len())];
                let (area, postcode) = AREAS[rng.gen_range(0..AREAS.len())];
                let case = Case {
                    given_name,
                    family_name,
                    area,
                    postcode,
                    crime: if rng.gen_bool(0.7) {
                        "domestic_abuse"
                    } else {
                        "theft"
                    },
                    high_risk: rng.gen_bool(0.2),
                    ..Case::default()
                };
                referrals.push(triaged_referral(db, case).await?);
                true
            }
            1 => {
                let r = &referrals[rng.gen_range(0..referrals.len())];
                let input = AdviceInput {
                    given: vec!["victims_code".into()],
                    signposted: String::new(),
                    how: "phone".into(),
                    note: String::new(),
                    close: false,
                };
                hub.record_advice(r, &input).await.is_ok()
            }
            2 => {
                let r = &referrals[rng.gen_range(0..referrals.len())];
                match refer_on(db, r, &idva).await {
                    Ok(o) => {
                        onward.push(o);
                        true
                    }
                    Err(_) => false,
                }
            }
            3 if !onward.is_empty() => {
                let o = &onward[rng.gen_range(0..onward.len())];
                let step = StepInput {
                    step: "accept".into(),
                    ..StepInput::default()
                };
                let accepted = new_era.take_step(o, &step).await.is_ok();
                if accepted {
                    let id: String =
                        sqlx::query("SELECT id FROM cases WHERE onward_referral_id = $1")
                            .bind(o)
                            .fetch_one(db.pool())
                            .await?
                            .try_get("id")?;
                    cases.push(CaseId::from(id));
                }
                accepted
            }
            4 if !onward.is_empty() => {
                let o = &onward[rng.gen_range(0..onward.len())];
                let attempt = AttemptInput {
                    channel: "phone_call".into(),
                    result: if rng.gen_bool(0.5) {
                        "spoke"
                    } else {
                        "no_answer"
                    }
                    .into(),
                    note: "On the safe number".into(),
                    reason: String::new(),
                };
                new_era.record_contact_attempt(o, &attempt).await.is_ok()
            }
            5 if !cases.is_empty() => {
                let c = &cases[rng.gen_range(0..cases.len())];
                let close = ChangeInput {
                    change: "close".into(),
                    reason: "support_completed".into(),
                    note: "Goals met".into(),
                    cope: "yes".into(),
                    recover: "yes".into(),
                };
                new_era.change_case(c, &close).await.is_ok()
            }
            _ => false,
        };
        if ok {
            done[op] += 1;
        }
        if step % 10 == 9 {
            let differences = recount_differences(db).await?;
            assert!(
                differences.is_empty(),
                "after step {step}: {differences:#?}"
            );
        }
    }
    // Every kind of write happened.
    assert!(done.iter().all(|n| *n > 0), "{done:?}");
    assert_eq!(
        count(&app, "report_facts").await?,
        count(&app, "referrals").await?
    );
    // The milestones are there to count.
    let with: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM report_facts WHERE triaged_at IS NOT NULL AND referred_on_at IS NOT NULL",
    )
    .fetch_one(db.pool())
    .await?
    .try_get("n")?;
    assert!(with > 0);

    // Lost facts are filled again from the records.
    sqlx::query("DELETE FROM report_facts WHERE referral_id IN (SELECT id FROM referrals WHERE area = 'E07000197')")
        .execute(db.pool())
        .await?;
    assert!(!recount_differences(db).await?.is_empty());
    assert!(fill_missing(db).await? > 0);
    assert_eq!(recount_differences(db).await?, Vec::<String>::new());
    Ok(())
}
