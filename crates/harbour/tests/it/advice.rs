//! Information, advice and guidance on both databases: the hub records what it gave and where it
//! signposted the person, closing the referral when that is all they need, but not one that has
//! been referred on; only the hub records it.

use harbour_domain::advice::{AdviceInput, Given, How};
use harbour_domain::role::Role;
use harbour_storage::error::StorageError;
use harbour_testkit::TestApp;
use harbour_testkit::cases::{Case, IDVA, refer_on, service_id, store_as, triaged_referral};
use sqlx::Row;

type R = anyhow::Result<()>;

fn advice(close: bool) -> AdviceInput {
    AdviceInput {
        given: vec!["victims_code".into(), "safety".into()],
        signposted: "National Domestic Abuse Helpline\nCitizens Advice Stafford".into(),
        how: "phone".into(),
        note: String::new(),
        close,
    }
}

#[tokio::test]
async fn the_hub_records_advice_and_signposting_as_the_referrals_outcome() -> R {
    let app = TestApp::spawn().await?;
    let hub = store_as(&app.db, "Staffordshire Victim Gateway", Role::TriageOfficer).await?;
    let referral = triaged_referral(&app.db, Case::default()).await?;

    let e = hub
        .record_advice(&referral, &AdviceInput::default())
        .await
        .unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!("invalid")
    };
    assert!(errors.get("given").is_some() && errors.get("how").is_some());

    hub.record_advice(&referral, &advice(true)).await?;
    let status: String = sqlx::query("SELECT status FROM referrals WHERE id = $1")
        .bind(referral.as_str())
        .fetch_one(app.db.pool())
        .await?
        .get("status");
    assert_eq!(status, "closed");
    let recorded = hub.advice_for(&referral).await?;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].given, [Given::VictimsCode, Given::Safety]);
    assert_eq!(recorded[0].signposted.len(), 2);
    assert_eq!(recorded[0].how, How::Phone);
    assert!(recorded[0].closed_referral);
    // Closed already: more advice is kept, but it cannot close it again.
    assert!(matches!(
        hub.record_advice(&referral, &advice(true)).await,
        Err(StorageError::Invalid(_))
    ));

    // A referral sent on stays open while services work it.
    let sent = triaged_referral(&app.db, Case::default()).await?;
    refer_on(&app.db, &sent, &service_id(&app.db, IDVA).await?).await?;
    let e = hub.record_advice(&sent, &advice(true)).await.unwrap_err();
    let StorageError::Invalid(errors) = e else {
        panic!("invalid")
    };
    assert!(errors.get("close").unwrap().contains("referred on"));
    hub.record_advice(&sent, &advice(false)).await?;
    assert_eq!(hub.advice_for(&sent).await?.len(), 1);

    // Only the hub records it.
    let cw = store_as(&app.db, "New Era", Role::Caseworker).await?;
    assert!(matches!(
        cw.record_advice(&sent, &advice(false)).await,
        Err(StorageError::Denied(_))
    ));
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE entity_kind = 'referral_advice'")
            .fetch_one(app.db.pool())
            .await?;
    assert_eq!(audited, 2);
    Ok(())
}
