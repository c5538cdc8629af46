//! Erasure on request, on both databases: the data protection officer records a request, sees
//! what is held and what stands in the way, refuses on a ground or approves; approved, the job
//! erases everything about the person (nothing planted is left anywhere), the request stays as
//! the record that it was answered, and the audit chain still verifies.

use harbour_domain::erasure_request::RequestStatus;
use harbour_domain::role::Role;
use harbour_storage::audit::{Verification, verify_log};
use harbour_storage::retention::requests::execute;
use harbour_storage::{Db, StorageError};
use harbour_testkit::TestApp;
use harbour_testkit::cases::{Case, store_as, triaged_referral};
use harbour_testkit::inspect::where_text_appears;
use harbour_testkit::journey::{canaries, journey};

type R = anyhow::Result<()>;

async fn dpo(db: &Db) -> anyhow::Result<harbour_storage::ScopedStore> {
    store_as(
        db,
        "Staffordshire Commissioner's Office",
        Role::DataProtectionOfficer,
    )
    .await
}

fn today() -> String {
    harbour_domain::calendar::uk_date(chrono::Utc::now())
        .format("%d/%m/%Y")
        .to_string()
}

#[tokio::test]
async fn an_approved_request_erases_everything_about_the_person() -> R {
    let app = TestApp::spawn().await?;
    let db = &app.db;
    let j = journey(db, "r8t").await?;
    let keep = journey(db, "w9z").await?;
    let dpo = dpo(db).await?;

    let Err(StorageError::Invalid(e)) = dpo.record_erasure_request("", "", "", "").await else {
        panic!("an empty request is refused");
    };
    for field in ["reference", "received", "received_on", "asked"] {
        assert!(e.get(field).is_some(), "{field}");
    }
    let id = dpo
        .record_erasure_request(
            &j.reference,
            "writing",
            &today(),
            "Please delete everything you hold about me, Zephyriner8t",
        )
        .await?;
    let view = dpo.erasure_request(&id).await?;
    assert_eq!(view.request.status, RequestStatus::Open);
    assert!(view.obstacles.is_empty(), "{:?}", view.obstacles);
    assert!(view.holds.iter().any(|t| t.kind == "case" && t.count == 1));
    assert_eq!(
        view.request.respond_by,
        view.request
            .received_on
            .checked_add_months(chrono::Months::new(1))
            .unwrap()
    );

    let Err(StorageError::Invalid(e)) = dpo.decide_erasure_request(&id, "refuse", "", "").await
    else {
        panic!("a refusal needs a ground and a reason");
    };
    assert!(e.get("ground").is_some() && e.get("reason").is_some());
    dpo.decide_erasure_request(&id, "erase", "", "No exception applies")
        .await?;
    assert!(
        dpo.decide_erasure_request(&id, "refuse", "legal_claims", "Changed my mind")
            .await
            .is_err(),
        "decided once"
    );
    let queued: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE kind = 'erasure_request' AND done_at IS NULL",
    )
    .fetch_one(db.pool())
    .await?;
    assert_eq!(queued, 1);
    assert!(execute(db, &id).await? >= 6);
    let planted = canaries("r8t");
    let planted: Vec<&str> = planted.iter().map(String::as_str).collect();
    let left = where_text_appears(db, &planted).await?;
    assert!(left.is_empty(), "{left:#?}");
    // Someone else's records are untouched.
    assert!(
        !where_text_appears(db, &["Zephyrinew9z", "casenotew9z"])
            .await?
            .is_empty()
    );
    let _ = keep;
    let done = dpo.erasure_request(&id).await?;
    assert_eq!(done.request.status, RequestStatus::Erased);
    assert!(done.request.person_name.is_empty());
    assert!(done.request.erased.iter().any(|t| t.kind == "person"));
    assert_eq!(execute(db, &id).await?, 0, "once only");
    assert!(matches!(verify_log(db).await?, Verification::Intact { .. }));
    assert!(
        harbour_storage::reports::facts::recount_differences(db)
            .await?
            .is_empty()
    );
    Ok(())
}

#[tokio::test]
async fn a_hold_or_work_still_going_on_stops_erasure_and_a_refusal_keeps_everything() -> R {
    let app = TestApp::spawn().await?;
    let db = &app.db;
    let held = journey(db, "t1p").await?;
    let dpo = dpo(db).await?;
    dpo.place_legal_hold(&held.reference, "litigation", "person", "Claim 77")
        .await?;
    let id = dpo
        .record_erasure_request(&held.reference, "phone", &today(), "Delete me")
        .await?;
    assert!(dpo.erasure_request(&id).await?.obstacles[0].contains("legal hold"));
    let Err(StorageError::Invalid(e)) = dpo.decide_erasure_request(&id, "erase", "", "Asked").await
    else {
        panic!("a hold stops erasure");
    };
    assert!(e.get("decision").unwrap().contains("legal hold"));
    dpo.decide_erasure_request(
        &id,
        "refuse",
        "legal_claims",
        "Her records are needed for claim 77",
    )
    .await?;
    let refused = dpo.erasure_request(&id).await?;
    assert_eq!(refused.request.status, RequestStatus::Refused);
    assert_eq!(execute(db, &id).await?, 0);
    assert!(!where_text_appears(db, &["Zephyrinet1p"]).await?.is_empty());

    // A referral still with the hub stands in the way too.
    let open = triaged_referral(
        db,
        Case {
            given_name: "Orlaith",
            family_name: "Penhallow",
            ..Case::default()
        },
    )
    .await?;
    let reference: String = sqlx::query_scalar("SELECT reference FROM referrals WHERE id = $1")
        .bind(&open)
        .fetch_one(db.pool())
        .await?;
    let id = dpo
        .record_erasure_request(&reference, "in_person", &today(), "Delete me")
        .await?;
    let Err(StorageError::Invalid(e)) = dpo.decide_erasure_request(&id, "erase", "", "Asked").await
    else {
        panic!("open work stops erasure");
    };
    assert!(e.get("decision").unwrap().contains("still with the hub"));
    // Anyone but the officer is refused.
    let hub = store_as(db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    assert!(matches!(
        hub.erasure_requests().await,
        Err(StorageError::Denied(_))
    ));
    Ok(())
}
